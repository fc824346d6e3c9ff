"""Who hears about what happens to an issue. Everything goes out through notices.outbound.notify.

The reporter and followers hear of every public change (status with its public note, public
comments) until the issue is closed; departments hear of each new issue routed to them. Internal
notes are never sent to residents.
"""


from notices.outbound import Recipient, notify
from toolkit.conf import imbizo_setting
from triage.issues.models import Channel
from triage.issues.workflow import Status
from triage.residents.links import PHONE_CHANNEL_OF_REPORT, link_for, recipients_with_keys


def issue_url(issue) -> str:
    return imbizo_setting("PUBLIC_URL").rstrip("/") + f"/track/{issue.reference}"


def anonymous_reporter(issue) -> Recipient:
    return Recipient(email=issue.reporter_email, phone=issue.reporter_phone,
                     phone_channel=PHONE_CHANNEL_OF_REPORT.get(issue.channel, ""))


def _topic(issue) -> str:
    return f"issue:{issue.reference}"


def tell_reporter_issue_received(issue) -> None:
    recipients = []
    if issue.reporter_id:
        recipients.append(Recipient.of_user(issue.reporter))
    if issue.reporter_email or issue.reporter_phone:
        recipients.append(anonymous_reporter(issue))
    if not recipients:
        return
    notify(
        recipients,
        f"{issue.reference}: we received your report",
        f"Thank you. Your report '{issue.category.name}' has the reference {issue.reference}.\n"
        f"Follow it at {issue_url(issue)}\n",
        sms_body=f"{issue.municipality.code}: report received, ref {issue.reference}. Track: {issue_url(issue)}",
        topic=_topic(issue),
    )


def ask_follower_to_confirm(follower, *, token: str) -> None:
    """The one message an address typed into a follow form gets before its owner confirms."""
    issue = follower.issue
    link = imbizo_setting("PUBLIC_URL").rstrip("/") + f"/track/{issue.reference}/follow/{token}/"
    days = imbizo_setting("FOLLOW_CONFIRMATION_DAYS")
    notify(
        [Recipient(email=follower.email)],
        f"{issue.reference}: confirm you want its updates",
        f"Someone asked for updates about {issue.reference} ({issue.category.name}) to be sent to this address.\n\n"
        f"To get them, open this link within {days} days and confirm:\n{link}\n\n"
        "If that was not you, ignore this message: nothing more will be sent.\n",
        topic=_topic(issue),
    )


def tell_department_of_new_issue(issue) -> None:
    department = issue.department
    if department is None or not department.email:
        return
    where = f"ward {issue.ward.number}" if issue.ward_id else "no ward"
    notify(
        [Recipient(email=department.email)],
        f"New issue {issue.reference}: {issue.category.name}",
        f"{issue.category.name} reported by {issue.get_channel_display().lower()} in {where}.\n"
        f"{issue.description}\n\nLocation: {issue.location.y:.6f}, {issue.location.x:.6f}\n",
        topic=_topic(issue),
    )


def tell_department_of_routed_issue(issue, *, previous: str = "") -> None:
    """An open issue passed to the department by hand (re-routed or assigned), not at intake."""
    department = issue.department
    if department is None or not department.email:
        return
    where = f"ward {issue.ward.number}" if issue.ward_id else "no ward"
    moved = f" (from {previous})" if previous else ""
    notify(
        [Recipient(email=department.email)],
        f"Issue {issue.reference} passed to you: {issue.category.name}",
        f"{issue.reference} ({issue.category.name}, {where}) is now with {department.name}{moved}.\n"
        f"{issue.description}\n\nLocation: {issue.location.y:.6f}, {issue.location.x:.6f}\n",
        topic=_topic(issue),
    )


def tell_of_public_update(issue, *, headline: str, note: str = "", was_closed: bool = False) -> None:
    """A public status change or comment: the reporter and followers hear of it, unless the issue
    was already closed before this change (a reopening is news again)."""
    if was_closed:
        return
    lines = [f"{issue.reference} ({issue.category.name}): {headline}"]
    if note:
        lines.append(note)
    lines.append(f"Follow it at {issue_url(issue)}")
    # Each recipient gets their own signed link to act on the issue from any device (triage.residents.links).
    seen = set()
    for recipient, key in recipients_with_keys(issue):
        if recipient.route is None or recipient.route in seen:
            continue  # each address once, as notify() does within one call
        seen.add(recipient.route)
        link = link_for(issue, key)
        notify(
            [recipient],
            f"{issue.reference}: {headline}",
            "\n\n".join([*lines, action_line(issue, key, link)]) + "\n",
            sms_body=f"{issue.reference}: {headline}" + (f" - {note[:100]}" if note else "") + f" {link}",
            topic=_topic(issue),
        )


def action_line(issue, key: str, link: str) -> str:
    if key == "reporter" and issue.status == Status.RESOLVED:
        return f"Is it fixed? Confirm, say it is not, or rate the service (no log-in needed): {link}"
    return f"Comment or stop these updates (no log-in needed): {link}"


def status_headline(status: str) -> str:
    return {
        Status.ACKNOWLEDGED: "your report was acknowledged",
        Status.ASSIGNED: "your report was assigned to a team",
        Status.IN_PROGRESS: "work has started",
        Status.RESOLVED: "resolved; please rate the service",
        Status.CLOSED: "closed",
        Status.REJECTED: "not taken further",
        Status.DUPLICATE: "merged with an earlier report of the same problem",
        Status.REOPENED: "reopened",
    }.get(status, f"now {status}")
