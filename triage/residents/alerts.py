"""New issues told to the residents whose area alerts cover them (residents.selectors finds them in
SQL; this module words the message and sends it through notices.outbound.notify)."""

import datetime
import logging
import zoneinfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.outbound import Recipient, notify
from residents.selectors import alert_subscribers
from toolkit.conf import imbizo_setting

logger = logging.getLogger(__name__)


def site(path: str) -> str:
    return imbizo_setting("PUBLIC_URL").rstrip("/") + path


def in_quiet_hours(row: dict, local_now: datetime.time) -> bool:
    start, end = row["quiet_start"], row["quiet_end"]
    if start is None or end is None:
        return False
    return start <= local_now < end if start <= end else (local_now >= start or local_now < end)


def recipient_of(row: dict, local_now: datetime.time) -> Recipient | None:
    """How a subscriber hears of a new issue: an anonymous subscriber by email; an account by email if
    it has one and allows email, else by SMS if allowed, never by SMS inside its quiet hours."""
    if row["user_id"] is None:
        return Recipient(email=row["email"])
    by_email, by_sms = row["by_email"] is not False, row["by_sms"] is not False
    if row["user_email"] and by_email:
        return Recipient(email=row["user_email"], user_id=row["user_id"])
    if row["phone"] and by_sms and not in_quiet_hours(row, local_now):
        return Recipient(phone=row["phone"], user_id=row["user_id"])
    return None


def where_words(issue) -> str:
    parts = []
    if issue.ward_id:
        parts.append(_("ward %(number)s") % {"number": issue.ward.number})
    if issue.suburb_id:
        parts.append(issue.suburb.name)
    return ", ".join(parts) or issue.municipality.title


def tell_area_subscribers(issue) -> int:
    """Queue the alert for a new issue to everyone whose alert covers it (each address once); the
    issues of private categories are never announced. Returns how many messages were queued."""
    if issue.category.is_private:
        return 0
    local_now = timezone.now().astimezone(zoneinfo.ZoneInfo(issue.municipality.timezone)).time()
    rows = list(alert_subscribers(point=issue.location, municipality=issue.municipality, digest="each"))
    subject = _("New issue near you: %(category)s (%(reference)s)") % {
        "category": issue.category.name, "reference": issue.reference}
    text = _("%(category)s was reported in %(where)s.\nSee it and follow it: %(link)s\n") % {
        "category": issue.category.name, "where": where_words(issue), "link": site(f"/track/{issue.reference}")}
    sms = _("%(code)s: new %(category)s in %(where)s. %(link)s") % {
        "code": issue.municipality.code, "category": issue.category.name, "where": where_words(issue),
        "link": site(f"/track/{issue.reference}")}
    accounts = [recipient for recipient in (recipient_of(row, local_now) for row in rows if row["user_id"]) if recipient]
    sent = len(notify(accounts, subject, text + _("\nChange your alerts: %(link)s\n") % {"link": site("/me/alerts/")},
                      sms_body=sms, topic=f"alert:{issue.reference}"))
    # Anonymous subscribers each get their own one-click unsubscribe link.
    for row in rows:
        if row["user_id"] is None:
            token = row["token"]
            sent += len(notify([Recipient(email=row["email"])], subject,
                               text + _("\nStop these alerts (one click): %(link)s\n") % {
                                   "link": site(f"/alerts/unsubscribe/{token}/")},
                               topic=f"alert:{issue.reference}"))
    return sent


def tell_area_subscribers_on_commit(issue) -> None:
    """After the report's transaction commits (a rolled-back report alerts nobody). With Celery
    delivery the matching runs as a task on the "fanout" queue, so thousands of subscribers never
    slow the resident's report; if the broker is away it runs here."""
    if imbizo_setting("DELIVERY") != "celery":
        transaction.on_commit(lambda: tell_area_subscribers(issue))
        return

    def queue():
        from triage.tasks import fanout_area_alerts

        try:
            fanout_area_alerts.delay(issue.pk)
        except Exception:
            logger.warning("could not queue the area alerts of %s; sending them from the request", issue.reference)
            tell_area_subscribers(issue)

    transaction.on_commit(queue)


def send_daily_digests(*, until: datetime.datetime | None = None) -> int:
    """One message per daily-digest subscriber listing the public issues filed in their alert areas in
    the 24 hours before `until` (now by default), found in one query (ST_CoveredBy on each alert's
    area). Idempotent per day: an address already sent that day's digest is skipped."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef

    from notices.models import OutboundMessage
    from residents.models import AreaAlert
    from triage.issues.models import Issue

    until = until or timezone.now()
    since = until - datetime.timedelta(days=1)
    topic = f"alert-digest:{until.date().isoformat()}"
    issues = (Issue.objects.filter(municipality=OuterRef("municipality"), location__coveredby=OuterRef("area"),
                                   created_at__gte=since, created_at__lt=until, category__is_private=False)
              .order_by("created_at").values("reference"))
    alerts = (AreaAlert.objects.filter(digest=AreaAlert.Digest.DAILY, issues=True, confirmed_at__isnull=False)
              .select_related("user", "municipality").annotate(references=ArraySubquery(issues)))
    already = set(OutboundMessage.objects.filter(topic=topic).values_list("address", flat=True))
    by_subscriber: dict[tuple, dict] = {}
    for alert in alerts:
        if not alert.references:
            continue
        key = (alert.user_id, alert.email)
        entry = by_subscriber.setdefault(key, {"alert": alert, "references": []})
        entry["references"].extend(ref for ref in alert.references if ref not in entry["references"])
    sent = 0
    for (user_id, email), entry in by_subscriber.items():
        alert = entry["alert"]
        recipient = Recipient.of_user(alert.user) if user_id else Recipient(email=email)
        if recipient.route is None or recipient.route[1] in already:
            continue
        lines = "\n".join(f"- {reference}: {site(f'/track/{reference}')}" for reference in entry["references"])
        stop = site("/me/alerts/") if user_id else site(f"/alerts/unsubscribe/{alert.token}/")
        sent += len(notify([recipient], _("New issues in your areas today (%(count)s)") % {"count": len(entry["references"])},
                           lines + "\n\n" + _("Change or stop these alerts: %(link)s\n") % {"link": stop}, topic=topic))
    return sent
