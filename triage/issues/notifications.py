"""Who hears about what happens to an issue. Everything goes out through notices.outbound.notify.

The reporter and followers hear of every public change (status with its public note, public
comments) until the issue is closed, unless they stopped them from their signed link or, with an
account, turned off the progress of their issues in their preferences (`my_issues`); departments
hear of each new issue routed to them. Internal notes are never sent to residents. Residents read
messages in their language: their preferences' when they have an account, else the language they
filed in (the reporter's first message), else the municipality's default language; staff messages
are in the municipality's default language. Every message names the issue's municipality, whose
SMS or WhatsApp account sends it.
"""

from collections import defaultdict
from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notices.outbound import Letter, Recipient, notify, notify_each
from residents.models import Preferences
from toolkit.conf import imbizo_setting
from triage.issues.workflow import Status
from triage.residents.links import PHONE_CHANNEL_OF_REPORT, link_for, recipients_with_keys


def issue_url(issue) -> str:
    return imbizo_setting("PUBLIC_URL").rstrip("/") + f"/track/{issue.reference}"


def anonymous_reporter(issue) -> Recipient:
    return Recipient(email=issue.reporter_email, phone=issue.reporter_phone,
                     phone_channel=PHONE_CHANNEL_OF_REPORT.get(issue.channel, ""))


class _LocalName:
    """A category's name, written when the message is: in the recipient's language."""

    def __init__(self, category):
        self.category = category

    def __str__(self) -> str:
        return self.category.local_name


def _topic(issue) -> str:
    return f"issue:{issue.reference}"


def _preferences(recipients: list[Recipient]) -> dict[int, tuple[str, bool]]:
    """Each account's chosen language ("" for none) and whether it hears of its issues' progress
    (`my_issues`), by user id, in one query; accounts without preferences are left out."""
    user_ids = {recipient.user_id for recipient in recipients if recipient.user_id}
    if not user_ids:
        return {}
    return {user_id: (language, my_issues) for user_id, language, my_issues in
            Preferences.objects.filter(user_id__in=user_ids).values_list("user_id", "language", "my_issues")}


def _languages(recipients: list[Recipient], fallback: str,
               preferences: dict[int, tuple[str, bool]] | None = None) -> dict[int | None, str]:
    """Each account's chosen language (one query for all, unless `preferences` were read), by user
    id; None: the fallback."""
    preferences = _preferences(recipients) if preferences is None else preferences
    return {None: fallback, **{recipient.user_id: preferences.get(recipient.user_id, ("", True))[0] or fallback
                               for recipient in recipients if recipient.user_id}}


def _notify_in_their_languages(recipients: list[Recipient], issue, message: Callable[[], tuple[str, str, str]],
                               *, fallback: str = "") -> None:
    """Queue `message()` (subject, body, SMS body), written in each recipient's language."""
    languages = _languages(recipients, fallback or issue.municipality.default_language)
    groups: dict[str, list[Recipient]] = defaultdict(list)
    for recipient in recipients:
        groups[languages[recipient.user_id]].append(recipient)
    for language, group in groups.items():
        with translation.override(language):
            subject, body, sms_body = message()
            notify(group, subject, body, sms_body=sms_body, topic=_topic(issue), municipality=issue.municipality)


def tell_reporter_issue_received(issue) -> None:
    recipients = []
    if issue.reporter_id:
        recipients.append(Recipient.of_user(issue.reporter))
    if issue.reporter_email or issue.reporter_phone:
        recipients.append(anonymous_reporter(issue))
    if not recipients:
        return
    values = {"reference": issue.reference, "category": _LocalName(issue.category), "url": issue_url(issue),
              "code": issue.municipality.code}
    # Filed by the reporter's own request: its language is theirs.
    _notify_in_their_languages(recipients, issue, lambda: (
        _("%(reference)s: we received your report") % values,
        _("Thank you. Your report '%(category)s' has the reference %(reference)s.\nFollow it at %(url)s\n") % values,
        _("%(code)s: report received, ref %(reference)s. Track: %(url)s") % values,
    ), fallback=translation.get_language() or "")


def ask_follower_to_confirm(follower, *, token: str) -> None:
    """The one message an address typed into a follow form gets before its owner confirms."""
    issue = follower.issue
    link = imbizo_setting("PUBLIC_URL").rstrip("/") + f"/track/{issue.reference}/follow/{token}/"
    values = {"reference": issue.reference, "category": _LocalName(issue.category), "link": link,
              "days": imbizo_setting("FOLLOW_CONFIRMATION_DAYS")}
    _notify_in_their_languages([Recipient(email=follower.email)], issue, lambda: (
        _("%(reference)s: confirm you want its updates") % values,
        _("Someone asked for updates about %(reference)s (%(category)s) to be sent to this address.\n\n"
          "To get them, open this link within %(days)s days and confirm:\n%(link)s\n\n"
          "If that was not you, ignore this message: nothing more will be sent.\n") % values,
        "",
    ), fallback=translation.get_language() or "")


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
        topic=_topic(issue), municipality=issue.municipality,
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
        topic=_topic(issue), municipality=issue.municipality,
    )


def tell_of_public_update(issue, *, headline: str, note: str = "", was_closed: bool = False) -> None:
    """A public status change or comment: the reporter (unless they stopped this issue's updates) and
    followers hear of it, unless the issue was already closed before this change (a reopening is news
    again). An account whose preferences turn off the progress of its issues (`my_issues`) hears
    nothing, nor does anyone else at its address. Their preferences (language, `my_issues`) are read
    in one query and their messages queued in one INSERT."""
    if was_closed:
        return
    recipients = recipients_with_keys(issue)
    preferences = _preferences([recipient for recipient, _key in recipients])
    # A reporter who stopped the updates hears nothing at their addresses, nor as a follower there;
    # nor does an account that turned its issues' progress off.
    silent = ({recipient.route for recipient, key in recipients if key == "reporter"}
              if issue.reporter_updates_stopped_at else set())
    silent |= {recipient.route for recipient, _key in recipients
               if recipient.user_id and not preferences.get(recipient.user_id, ("", True))[1]}
    # Each address hears once: notify_each keeps the first letter to it (the reporter's, then followers').
    keyed = [(recipient, key) for recipient, key in recipients if recipient.route not in silent]
    languages = _languages([recipient for recipient, _key in keyed], issue.municipality.default_language, preferences)
    letters = []
    # Each recipient gets their own signed link to act on the issue from any device (triage.residents.links),
    # in their own language.
    for recipient, key in keyed:
        link = link_for(issue, key)
        with translation.override(languages[recipient.user_id]):
            said = str(headline)  # a lazy headline (status_headline) is written in the recipient's language here
            lines = [f"{issue.reference} ({issue.category.local_name}): {said}"]
            if note:
                lines.append(note)
            lines.append(_("Follow it at %(url)s") % {"url": issue_url(issue)})
            lines.append(action_line(issue, key, link))
            letters.append(Letter(recipient, f"{issue.reference}: {said}", "\n\n".join(lines) + "\n",
                                  f"{issue.reference}: {said}" + (f" - {note[:100]}" if note else "") + f" {link}"))
    notify_each(letters, topic=_topic(issue), municipality=issue.municipality)


def action_line(issue, key: str, link: str) -> str:
    if key == "reporter" and issue.status == Status.RESOLVED:
        return _("Is it fixed? Confirm, say it is not, rate the service or stop these updates (no log-in needed): "
                 "%(link)s") % {"link": link}
    return _("Comment or stop these updates (no log-in needed): %(link)s") % {"link": link}


def status_headline(status: str):
    """What a status change means to a resident (lazy: written in each recipient's language)."""
    return {
        Status.ACKNOWLEDGED: gettext_lazy("your report was acknowledged"),
        Status.ASSIGNED: gettext_lazy("your report was assigned to a team"),
        Status.IN_PROGRESS: gettext_lazy("work has started"),
        Status.RESOLVED: gettext_lazy("resolved; please rate the service"),
        Status.CLOSED: gettext_lazy("closed"),
        Status.REJECTED: gettext_lazy("not taken further"),
        Status.DUPLICATE: gettext_lazy("merged with an earlier report of the same problem"),
        Status.REOPENED: gettext_lazy("reopened"),
    }.get(status, f"now {status}")
