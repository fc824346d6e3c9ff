"""Who hears about a notice, counted and queued in SQL: never a Python loop over recipients.

Recipients are
- residents whose **home** place lies in the target (ST_Covers: a home on the edge is inside, the
  platform's boundary rule); other saved places count only through an alert the resident made
  for them, so a notice reaches where people live plus where they asked to hear about;
- subscribers whose area alert (notices on; an anonymous one confirmed by email) intersects it.
A person is reached once per channel, however many places and alerts match. A notice goes by
email, else by SMS, on the channels the resident allows (Preferences, default all); an emergency
goes on every allowed channel. Residents who turned notices off hear nothing. Quiet hours (in
the municipality's time zone) delay a message to their end (`OutboundMessage.send_after`);
emergencies ignore them. Push has no device tokens yet, so it counts 0.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from notices.models import OutboundMessage
from notices.notice import MunicipalityNoticeSettings, Notice
from toolkit.conf import imbizo_setting

# Parameters: area (the notice's target as hex EWKB), municipality, emergency, now, tz. Rows:
# (user_id, channel, address, send_after), each (channel, address) once. The area goes in as a
# constant, not read from the notice's row in a CTE: then the planner estimates from the columns'
# statistics how many homes it covers (from a CTE it assumed 100,000 people where 16,806 were).
RECIPIENTS_SQL = """
WITH people AS (
    SELECT p.user_id FROM residents_place p WHERE p.is_home AND ST_Covers(%(area)s::geometry, p.point)
    UNION
    SELECT a.user_id FROM residents_areaalert a
    WHERE a.user_id IS NOT NULL AND a.notices AND a.municipality_id = %(municipality)s
      AND ST_Intersects(%(area)s::geometry, a.area)
), resident_routes AS (
    -- Email when allowed and known, else SMS; an emergency on every allowed channel. A user has one
    -- email and one phone, so (channel, address) is unique here without sorting.
    SELECT u.id AS user_id, route.channel, route.address, pr.quiet_start, pr.quiet_end
    FROM people JOIN accounts_user u ON u.id = people.user_id AND u.is_active
    LEFT JOIN residents_preferences pr ON pr.user_id = u.id
    CROSS JOIN LATERAL (VALUES (1, 'email', lower(u.email), coalesce(pr.by_email, true)),
                               (2, 'sms', u.phone, coalesce(pr.by_sms, true))) AS route(rank, channel, address, allowed)
    WHERE coalesce(pr.notices, true) AND route.allowed AND coalesce(route.address, '') <> ''
      AND (%(emergency)s OR route.rank = 1 OR NOT (coalesce(pr.by_email, true) AND coalesce(u.email, '') <> ''))
), subscriber_routes AS (
    SELECT DISTINCT lower(a.email) AS address
    FROM residents_areaalert a
    WHERE a.user_id IS NULL AND a.notices AND a.confirmed_at IS NOT NULL AND a.email <> ''
      AND a.municipality_id = %(municipality)s AND ST_Intersects(%(area)s::geometry, a.area)
), routes AS (
    SELECT * FROM resident_routes
    UNION ALL
    SELECT NULL::bigint, 'email', s.address, NULL::time, NULL::time FROM subscriber_routes s
    WHERE NOT EXISTS (SELECT 1 FROM resident_routes r WHERE r.channel = 'email' AND r.address = s.address)
), clock AS (
    SELECT (%(now)s::timestamptz AT TIME ZONE %(tz)s) AS local_now
)
SELECT routes.user_id, routes.channel, routes.address,
       CASE WHEN NOT %(emergency)s AND quiet_start IS NOT NULL AND quiet_end IS NOT NULL AND quiet_start <> quiet_end
             AND CASE WHEN quiet_start < quiet_end
                      THEN local_now::time >= quiet_start AND local_now::time < quiet_end
                      ELSE local_now::time >= quiet_start OR local_now::time < quiet_end END
            THEN ((local_now::date + quiet_end
                   + CASE WHEN quiet_end <= local_now::time THEN interval '1 day' ELSE interval '0' END)
                  AT TIME ZONE %(tz)s)
       END AS send_after
FROM routes, clock
"""


def _parameters(notice: Notice, now) -> dict:
    area = Notice.objects.values_list("area", flat=True).get(pk=notice.pk)
    return {"area": area.hexewkb.decode() if area else None, "municipality": notice.municipality_id,
            "emergency": notice.is_emergency, "now": now or timezone.now(), "tz": notice.municipality.timezone}


@dataclass
class Audience:
    people: int = 0
    channels: dict[str, int] = field(default_factory=dict)
    sms_cost: Decimal = Decimal(0)
    currency: str = ""
    delayed: int = 0

    def as_dict(self) -> dict:
        return {"people": self.people, "channels": self.channels, "delayed_by_quiet_hours": self.delayed,
                "sms_cost": str(self.sms_cost), "currency": self.currency}


def notice_audience(*, notice: Notice, now=None) -> Audience:
    """How many people and messages per channel the notice reaches, and what the SMS cost."""
    # Outside emergencies each person has one route, so people are rows: no DISTINCT to sort.
    people = "count(DISTINCT coalesce(user_id::text, address))" if notice.is_emergency else "count(*)"
    sql = f"""SELECT channel, count(*), {people}, count(send_after)
              FROM ({RECIPIENTS_SQL}) AS recipients GROUP BY ROLLUP (channel)"""
    with connection.cursor() as cursor:
        cursor.execute(sql, _parameters(notice, now))
        rows = cursor.fetchall()
    audience = Audience(channels=dict.fromkeys(OutboundMessage.Channel.values, 0))
    for channel, messages, people, delayed in rows:
        if channel is None:
            audience.people, audience.delayed = people, delayed
        else:
            audience.channels[channel] = messages
    prices = MunicipalityNoticeSettings.objects.filter(municipality_id=notice.municipality_id).first()
    price = prices.sms_price if prices else Decimal(0)
    audience.sms_cost = (price * audience.channels.get("sms", 0)).quantize(Decimal("0.01"))
    audience.currency = prices.currency if prices else ""
    return audience


def notice_enqueue(*, notice: Notice, subject: str, email_body: str, sms_body: str, now=None,
                   state: str = OutboundMessage.State.QUEUED) -> int:
    """Queue this version's messages in one INSERT … SELECT; returns how many. Idempotent: a
    (channel, address) already queued for this version is not queued again. With Celery delivery,
    the messages due now get their delivery tasks after the commit (those held for quiet hours are
    taken up by the outbox sweep when the hours end)."""
    # What this version already queued is read once, before the first row goes in: an anti-join on
    # the table being written would read each new row's page again (the planner picks a nested loop
    # over a seq scan when the table's statistics say it is empty: quadratic in a whole municipality).
    sql = f"""
        WITH done AS MATERIALIZED (
            SELECT channel, address FROM notices_outboundmessage WHERE topic = %(topic)s
        )
        INSERT INTO notices_outboundmessage
            (channel, address, user_id, municipality_id, subject, body, topic, state, attempts, last_error, created_at,
             send_after, dispatched_at, provider, provider_message_id, delivery_status)
        SELECT r.channel, r.address, r.user_id, %(municipality)s, %(subject)s,
               CASE WHEN r.channel = 'sms' THEN %(sms_body)s ELSE %(email_body)s END,
               %(topic)s, %(state)s, 0, '', %(now)s, r.send_after,
               -- the outbox sweep takes up a message held for quiet hours once they are over
               COALESCE(r.send_after, %(now)s), '', '', ''
        FROM ({RECIPIENTS_SQL}) AS r
        WHERE NOT EXISTS (SELECT 1 FROM done WHERE done.channel = r.channel AND done.address = r.address)
    """
    parameters = {**_parameters(notice, now), "subject": subject[:200], "sms_body": sms_body, "email_body": email_body,
                  "topic": notice.topic, "state": state}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        count = cursor.rowcount
        if count and state == OutboundMessage.State.QUEUED and imbizo_setting("DELIVERY") == "celery":
            from notices.delivery import queue_deliveries

            # After the commit, the messages due now stream from the database into their tasks, a
            # chunk at a time: a whole municipality's ids are never held in memory.
            due = (OutboundMessage.objects.filter(topic=notice.topic, created_at=parameters["now"], send_after=None,
                                                  state=OutboundMessage.State.QUEUED)
                   .order_by("pk").values_list("pk", "channel"))
            transaction.on_commit(lambda: queue_deliveries(due.iterator(chunk_size=2000)))
        return count


def notice_delivery_report(*, notice: Notice) -> dict[str, dict[str, int]]:
    """Messages per channel and state over every notified version: {"email": {"queued": 3, ...}}."""
    rows = (OutboundMessage.objects.filter(topic__in=notice.topics).values_list("channel", "state")
            .annotate(count=Count("id")).order_by())
    report: dict[str, dict[str, int]] = {}
    for channel, state, count in rows:
        report.setdefault(channel, {})[state] = count
    return report


def notice_retry_failed(*, notice: Notice) -> int:
    """Put the notice's failed and given-up messages back in the queue; returns how many."""
    return OutboundMessage.objects.filter(
        topic__in=notice.topics, state__in=[OutboundMessage.State.FAILED, OutboundMessage.State.GAVE_UP],
    ).update(state=OutboundMessage.State.QUEUED, attempts=0)
