"""Who hears about a notice, on the real Lesedi wards: residents whose home is inside the target
and subscribers whose alert area meets it, once per channel, after their quiet hours unless it is
an emergency; failures retried and reported per notice."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from django.db import connection
from django.utils import timezone

from accounts.models import User
from notices.models import OutboundMessage
from notices.notice import MunicipalityNoticeSettings, Notice
from notices.notice_audience import notice_audience, notice_delivery_report, notice_retry_failed
from notices.notice_services import notice_publish, notice_write
from notices.outbound import deliver_waiting
from residents.models import AreaAlert, Place, Preferences
from wards.models import Suburb, Ward

# 10:00 in Johannesburg (UTC+2) on a weekday.
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
FAILING_SMS = set()


class TestSmsChannel:
    def deliver(self, message):
        if message.address in FAILING_SMS:
            raise ConnectionError("the SMS gateway timed out")


class TestEmailChannel:
    def deliver(self, message):
        return None


@pytest.fixture
def channels(imbizo_settings):
    imbizo_settings(CHANNELS={"email": f"{__name__}.TestEmailChannel", "sms": f"{__name__}.TestSmsChannel"})
    FAILING_SMS.clear()
    return FAILING_SMS


def sql_point(sql: str, *parameters) -> Point:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        x, y = cursor.fetchone()
    return Point(x, y, srid=4326)


@pytest.fixture
def ratanda(lesedi):
    """A suburb shaped as the real ward 5 of Lesedi."""
    ward = Ward.objects.get(municipality=lesedi, number=5)
    return Suburb.objects.create(municipality=lesedi, name="Ratanda", code="ratanda", geom=MultiPolygon(ward.geom[0]))


def inside(suburb) -> Point:
    return sql_point("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM wards_suburb WHERE id=%s) s",
                     suburb.pk)


def on_edge(suburb) -> Point:
    """A real vertex of the suburb's outline: on its edge."""
    return sql_point("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 7) p "
                     "FROM wards_suburb WHERE id=%s) s", suburb.pk)


def just_outside(suburb, metres: float = 30) -> Point:
    """A point `metres` outside the suburb, beyond its edge vertex."""
    return sql_point(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Project(v::geography, %s, ST_Azimuth(ST_Centroid(geom), v))::geometry p "
        "FROM (SELECT geom, ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 7) v FROM wards_suburb WHERE id=%s) s) t",
        metres, suburb.pk)


def resident(name: str, home: Point, *, phone: str | None = None, email: bool = True, **preferences) -> User:
    user = User.objects.create_user(f"{name}@example.org" if email else None, "x", phone=phone)
    Place.objects.create(user=user, name="Home", is_home=True, point=home)
    if preferences:
        Preferences.objects.create(user=user, **preferences)
    return user


def suburb_notice(lesedi, suburb, **values) -> Notice:
    values = {"title": "Water supply interrupted", "body": "Pipe repairs.", "kind": Notice.Kind.WATER_OUTAGE, **values}
    return notice_write(municipality=lesedi, actor=None, target=Notice.Target.SUBURBS, suburbs=[suburb], **values)


def addresses(notice) -> set[tuple[str, str]]:
    return set(OutboundMessage.objects.filter(topic__in=notice.topics).values_list("channel", "address"))


@pytest.mark.shared_data
def test_a_notice_to_a_suburb_reaches_residents_inside_and_nobody_outside(lesedi, ratanda, channels):
    resident("inside", inside(ratanda))
    resident("edge", on_edge(ratanda))
    resident("outside", just_outside(ratanda))
    away = User.objects.create_user("work@example.org", "x")
    Place.objects.create(user=away, name="Work", is_home=False, point=inside(ratanda))  # not a home

    notice = suburb_notice(lesedi, ratanda)
    notice = notice_publish(notice=notice, actor=None, now=NOW)

    assert notice.state == Notice.State.PUBLISHED
    # A home on the suburb's edge is inside, the platform's rule for areas (ST_Covers).
    assert addresses(notice) == {("email", "inside@example.org"), ("email", "edge@example.org")}
    # Each message names the municipality it speaks for (whose SMS account sends it: channels.outbound).
    assert set(OutboundMessage.objects.filter(topic__in=notice.topics).values_list("municipality", flat=True)) == {
        lesedi.pk}


@pytest.mark.shared_data
def test_the_edge_of_two_wards_belongs_to_both_for_notices(lesedi, channels):
    """A home on a vertex two neighbouring wards share hears a notice to either ward."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.number, b.number, ST_X(v.geom), ST_Y(v.geom) FROM wards_ward a JOIN wards_ward b "
            "ON a.number < b.number AND ST_Touches(a.geom, b.geom), "
            "LATERAL ST_DumpPoints(a.geom) v WHERE ST_Intersects(v.geom, b.geom) "
            "ORDER BY a.number, b.number LIMIT 1")
        first, second, x, y = cursor.fetchone()
    resident("shared", Point(x, y, srid=4326))
    for number in (first, second):
        notice = notice_write(municipality=lesedi, actor=None, title=f"Ward {number}", body="Meeting.",
                              target=Notice.Target.WARDS, wards=Ward.objects.filter(number=number))
        assert notice_audience(notice=notice, now=NOW).people == 1
    elsewhere = Ward.objects.exclude(number__in=(first, second)).exclude(geom__intersects=Point(x, y, srid=4326)).first()
    notice = notice_write(municipality=lesedi, actor=None, title="Elsewhere", body="Meeting.",
                          target=Notice.Target.WARDS, wards=[elsewhere])
    assert notice_audience(notice=notice, now=NOW).people == 0


@pytest.mark.shared_data
def test_a_resident_subscribed_twice_gets_one_message_per_channel(lesedi, ratanda, channels):
    user = resident("twice", inside(ratanda), phone="+27820000001")
    for _ in range(2):
        AreaAlert.objects.create(user=user, municipality=lesedi, source=AreaAlert.Source.SUBURB, suburb=ratanda,
                                 area=ratanda.geom)
    AreaAlert.objects.create(email="TWICE@example.org", municipality=lesedi, source=AreaAlert.Source.DRAWN,
                             area=ratanda.geom, confirmed_at=NOW)
    AreaAlert.objects.create(email="unconfirmed@example.org", municipality=lesedi, source=AreaAlert.Source.DRAWN,
                             area=ratanda.geom)

    notice = notice_publish(notice=suburb_notice(lesedi, ratanda), actor=None, now=NOW)
    assert addresses(notice) == {("email", "twice@example.org")}  # email first; the same address once

    emergency = notice_publish(notice=suburb_notice(lesedi, ratanda, kind=Notice.Kind.EMERGENCY, title="Flood"),
                               actor=None, now=NOW)
    assert sorted(OutboundMessage.objects.filter(topic__in=emergency.topics).values_list("channel", "address")) == [
        ("email", "twice@example.org"), ("sms", "+27820000001")]


@pytest.mark.shared_data
def test_the_preview_counts_people_and_channels_and_prices_the_sms(lesedi, ratanda, channels):
    MunicipalityNoticeSettings.objects.create(municipality=lesedi, sms_price=Decimal("0.35"))
    resident("a", inside(ratanda))
    resident("b", inside(ratanda), phone="+27820000002", email=False)
    resident("c", inside(ratanda), phone="+27820000003", email=False)
    resident("d", inside(ratanda), phone="+27820000004", by_email=False)
    resident("quiet", inside(ratanda), notices=False)
    resident("far", just_outside(ratanda, 500), phone="+27820000005", email=False)

    audience = notice_audience(notice=suburb_notice(lesedi, ratanda), now=NOW)

    assert audience.people == 4
    assert audience.channels == {"email": 1, "sms": 3, "push": 0, "whatsapp": 0}
    assert (audience.sms_cost, audience.currency) == (Decimal("1.05"), "ZAR")


@pytest.mark.shared_data
def test_quiet_hours_delay_a_notice_and_an_emergency_overrides_them(lesedi, ratanda, channels):
    now = timezone.now()
    local = timezone.localtime(now, ZoneInfo(lesedi.timezone)).replace(second=0, microsecond=0)
    # Quiet from an hour ago to an hour from now (in Lesedi's time), and quiet hours that are not now.
    resident("sleeper", inside(ratanda), quiet_start=(local - timedelta(hours=1)).time(),
             quiet_end=(local + timedelta(hours=1)).time())
    resident("night", inside(ratanda), quiet_start=(local + timedelta(hours=2)).time(),
             quiet_end=(local + timedelta(hours=3)).time())

    notice = notice_publish(notice=suburb_notice(lesedi, ratanda), actor=None, now=now)
    waits = dict(OutboundMessage.objects.filter(topic__in=notice.topics).values_list("address", "send_after"))
    assert waits == {"sleeper@example.org": local + timedelta(hours=1), "night@example.org": None}
    deliver_waiting()
    assert OutboundMessage.objects.get(address="sleeper@example.org").state == OutboundMessage.State.QUEUED
    assert OutboundMessage.objects.get(address="night@example.org").state == OutboundMessage.State.SENT

    emergency = notice_publish(notice=suburb_notice(lesedi, ratanda, kind=Notice.Kind.EMERGENCY, title="Flood"),
                               actor=None, now=now)
    assert set(OutboundMessage.objects.filter(topic__in=emergency.topics).values_list("send_after", flat=True)) == {None}
    deliver_waiting()
    assert set(OutboundMessage.objects.filter(topic__in=emergency.topics).values_list("state", flat=True)) == {"sent"}


@pytest.mark.shared_data
def test_a_failed_sms_is_reported_and_retried(lesedi, ratanda, channels):
    resident("mail", inside(ratanda))
    resident("phone", inside(ratanda), phone="+27820000009", email=False)
    channels.add("+27820000009")
    notice = notice_publish(notice=suburb_notice(lesedi, ratanda), actor=None, now=NOW)

    deliver_waiting()
    assert notice_delivery_report(notice=notice) == {"email": {"sent": 1}, "sms": {"failed": 1}}

    channels.clear()  # the gateway is back
    assert notice_retry_failed(notice=notice) == 1
    deliver_waiting()
    assert notice_delivery_report(notice=notice) == {"email": {"sent": 1}, "sms": {"sent": 1}}


@pytest.mark.shared_data
def test_fanning_out_a_version_twice_queues_nothing_new(lesedi, ratanda, channels):
    from notices.notice_services import notice_fan_out

    resident("once", inside(ratanda))
    notice = notice_publish(notice=suburb_notice(lesedi, ratanda), actor=None, now=NOW)
    assert notice_fan_out(notice=notice, now=NOW) == 0
    edited = notice_write(municipality=lesedi, actor=None, notice=notice, title="Water back at 18:00")
    assert edited.version == 2 and edited.versions.get().title == "Water supply interrupted"
    assert notice_fan_out(notice=edited, now=NOW) == 1
    assert OutboundMessage.objects.filter(topic=edited.topic).get().subject.startswith("Updated: ")


@pytest.mark.shared_data
def test_the_beat_publishes_what_is_due_and_fans_out_versions_nobody_was_told_of(lesedi, ratanda, channels):
    from notices.notice_services import notices_publish_due

    resident("reader", inside(ratanda))
    now = timezone.now()
    due = notice_publish(notice=suburb_notice(lesedi, ratanda, title="Road closed", publish_at=now + timedelta(minutes=1)),
                         actor=None, now=now)
    told = notice_publish(notice=suburb_notice(lesedi, ratanda, title="Told"), actor=None, now=now)
    edited, just_edited = (
        notice_write(municipality=lesedi, actor=None, title=f"{title}: water back at 18:00",
                     notice=notice_publish(notice=suburb_notice(lesedi, ratanda, title=title), actor=None, now=now))
        for title in ("Edited", "Just edited"))
    # Their fan-out tasks were lost: the beat sends version 2 of the one edited minutes ago; the one edited
    # a moment ago may still have its task running.
    Notice.objects.filter(pk__in=[told.pk, edited.pk]).update(updated_at=now - timedelta(minutes=5))
    assert due.state == Notice.State.SCHEDULED and edited.version == just_edited.version == 2

    assert notices_publish_due(now=now + timedelta(minutes=1)) == 2
    due.refresh_from_db()
    assert due.state == Notice.State.PUBLISHED and due.notified_versions == [1]
    assert OutboundMessage.objects.filter(topic=due.topic).count() == 1
    assert OutboundMessage.objects.filter(topic=edited.topic).count() == 1
    assert Notice.objects.get(pk=edited.pk).notified_versions == [1, 2]
    assert Notice.objects.get(pk=just_edited.pk).notified_versions == [1]
    assert OutboundMessage.objects.filter(topic=told.topic).count() == 1  # told once, not again
    assert notices_publish_due(now=now + timedelta(minutes=1)) == 0
