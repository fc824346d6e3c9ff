"""New issues told to the residents whose area alerts cover them (residents.selectors finds them in
SQL; this module words the message and sends it through notices.outbound.notify)."""

import datetime
import logging
import zoneinfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.outbound import Letter, Recipient, notify_each
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


def quiet_hours_end(row: dict, now: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.datetime | None:
    """When the quiet hours `now` falls in end (UTC), or None outside them. Quiet hours are wall-clock
    times in the municipality's zone: 22:00-06:00 inside the night of a clock change still ends at
    06:00 local time, whatever the UTC offset was when they began."""
    local = now.astimezone(zone)
    if not in_quiet_hours(row, local.time()):
        return None
    end = row["quiet_end"]
    day = local.date() if local.time() < end else local.date() + datetime.timedelta(days=1)
    # A wall time the clock skips (spring forward) reads with the offset before the change, so it
    # falls just after the gap; one the clock repeats (fall back) is its first pass, unless that has gone by.
    for fold in (0, 1):
        ends = datetime.datetime.combine(day, end, tzinfo=zone).replace(fold=fold).astimezone(datetime.UTC)
        if ends > now:
            return ends
    return ends


def recipient_of(row: dict, now: datetime.datetime, zone: zoneinfo.ZoneInfo) -> Recipient | None:
    """How a subscriber with an account hears of new issues: by email if it has one and allows email,
    else by SMS if allowed; an SMS inside its quiet hours waits for their end (`send_after`)."""
    by_email, by_sms = row["by_email"] is not False, row["by_sms"] is not False
    if row["user_email"] and by_email:
        return Recipient(email=row["user_email"], user_id=row["user_id"])
    if row["phone"] and by_sms:
        return Recipient(phone=row["phone"], user_id=row["user_id"], send_after=quiet_hours_end(row, now, zone))
    return None


def where_words(issue) -> str:
    parts = []
    if issue.ward_id:
        parts.append(_("ward %(number)s") % {"number": issue.ward.number})
    if issue.suburb_id:
        parts.append(issue.suburb.name)
    return ", ".join(parts) or issue.municipality.title


def tell_area_subscribers(issue, *, now: datetime.datetime | None = None) -> int:
    """Queue the alert for a new issue to everyone whose alert covers it (each address once); the
    issues of private categories are never announced. Returns how many messages were queued."""
    if issue.category.is_private:
        return 0
    now, zone = now or timezone.now(), zoneinfo.ZoneInfo(issue.municipality.timezone)
    rows = list(alert_subscribers(point=issue.location, municipality=issue.municipality, digest="each"))
    subject = _("New issue near you: %(category)s (%(reference)s)") % {
        "category": issue.category.name, "reference": issue.reference}
    text = _("%(category)s was reported in %(where)s.\nSee it and follow it: %(link)s\n") % {
        "category": issue.category.name, "where": where_words(issue), "link": site(f"/track/{issue.reference}")}
    sms = _("%(code)s: new %(category)s in %(where)s. %(link)s") % {
        "code": issue.municipality.code, "category": issue.category.name, "where": where_words(issue),
        "link": site(f"/track/{issue.reference}")}
    for_accounts = text + _("\nChange your alerts: %(link)s\n") % {"link": site("/me/alerts/")}
    letters = [Letter(recipient, subject, for_accounts, sms)
               for recipient in (recipient_of(row, now, zone) for row in rows if row["user_id"]) if recipient]
    # Anonymous subscribers each get their own one-click unsubscribe link.
    letters += [Letter(Recipient(email=row["email"]), subject, text + _("\nStop these alerts (one click): %(link)s\n") % {
                    "link": site(f"/alerts/unsubscribe/{row['token']}/")})
                for row in rows if row["user_id"] is None]
    return len(notify_each(letters, topic=f"alert:{issue.reference}", municipality=issue.municipality))


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
    area). An account hears on the channel its preferences allow (as for each new issue), an SMS inside
    its quiet hours waiting for their end. Idempotent per day: an address already sent that day's
    digest is skipped."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef, Q

    from notices.models import OutboundMessage
    from residents.models import AreaAlert
    from triage.issues.models import Issue

    now = timezone.now()
    until = until or now
    since = until - datetime.timedelta(days=1)
    topic = f"alert-digest:{until.date().isoformat()}"
    issues = (Issue.objects.filter(municipality=OuterRef("municipality"), location__coveredby=OuterRef("area"),
                                   created_at__gte=since, created_at__lt=until, category__is_private=False)
              .order_by("created_at").values("reference"))
    alerts = (AreaAlert.objects.filter(digest=AreaAlert.Digest.DAILY, issues=True, confirmed_at__isnull=False)
              .filter(Q(user__isnull=True) | (Q(user__is_active=True) & (
                  Q(user__preferences__isnull=True) | Q(user__preferences__area_alerts=True))))
              .select_related("user__preferences", "municipality").annotate(references=ArraySubquery(issues)))
    already = set(OutboundMessage.objects.filter(topic=topic).values_list("address", flat=True))
    by_subscriber: dict[tuple, dict] = {}
    for alert in alerts:
        if not alert.references:
            continue
        key = (alert.user_id, alert.email)
        entry = by_subscriber.setdefault(key, {"alert": alert, "references": []})
        entry["references"].extend(ref for ref in alert.references if ref not in entry["references"])
    # Each subscriber's own list, queued in one INSERT per municipality (its SMS account sends them).
    letters: dict[int, tuple] = {}
    for (user_id, email), entry in by_subscriber.items():
        alert = entry["alert"]
        recipient = (recipient_of(_preference_row(alert.user), now, zoneinfo.ZoneInfo(alert.municipality.timezone))
                     if user_id else Recipient(email=email))
        if recipient is None or recipient.route is None or recipient.route[1] in already:
            continue
        lines = "\n".join(f"- {reference}: {site(f'/track/{reference}')}" for reference in entry["references"])
        stop = site("/me/alerts/") if user_id else site(f"/alerts/unsubscribe/{alert.token}/")
        municipality, batch = letters.setdefault(alert.municipality_id, (alert.municipality, []))
        batch.append(Letter(recipient, _("New issues in your areas today (%(count)s)") % {"count": len(entry["references"])},
                            lines + "\n\n" + _("Change or stop these alerts: %(link)s\n") % {"link": stop}))
    return sum(len(notify_each(batch, topic=topic, municipality=municipality)) for municipality, batch in letters.values())


def _preference_row(user) -> dict:
    """A user and their preferences as the row `recipient_of` reads (what alert_subscribers selects)."""
    preferences = getattr(user, "preferences", None)
    return {"user_id": user.pk, "user_email": user.email, "phone": user.phone,
            "by_email": preferences.by_email if preferences else None, "by_sms": preferences.by_sms if preferences else None,
            "quiet_start": preferences.quiet_start if preferences else None,
            "quiet_end": preferences.quiet_end if preferences else None}
