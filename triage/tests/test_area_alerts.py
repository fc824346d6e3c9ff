"""New issues reach the residents whose area alerts cover them, on the real Lesedi wards: at ward
edges, after a new demarcation, by preference, and anonymous subscribers only once confirmed."""

import datetime
import json
import re
import zoneinfo

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from shapely.geometry import shape

from notices.models import OutboundMessage
from notices.outbound import deliver_waiting
from residents import services as residents_services
from residents.models import AreaAlert, Place, Preferences
from residents.selectors import areas_at
from tests.support import import_lesedi_wards
from triage.intake.services import Report, issue_create
from wards.models import Ward

pytestmark = pytest.mark.shared_data


@pytest.fixture
def features(lesedi_wards_file):
    return json.loads(lesedi_wards_file.read_text())["features"]


def inside(features, number: int) -> Point:
    feature = next(f for f in features if int(f["properties"]["WardNumber"]) == number)
    point = shape(feature["geometry"]).representative_point()
    return Point(point.x, point.y, srid=4326)


def shared_vertex(features, first: int, second: int) -> Point:
    def vertices(number):
        geometry = shape(next(f for f in features if int(f["properties"]["WardNumber"]) == number)["geometry"])
        return {coord for polygon in getattr(geometry, "geoms", [geometry]) for coord in polygon.exterior.coords}
    common = sorted(vertices(first) & vertices(second))
    assert common, f"wards {first} and {second} share no vertex"
    lon, lat = common[len(common) // 2]
    return Point(lon, lat, srid=4326)


def neighbours(features) -> tuple[int, int]:
    shapes = {int(f["properties"]["WardNumber"]): shape(f["geometry"]) for f in features}
    return next((a, b) for a in sorted(shapes) for b in sorted(shapes) if a < b and shapes[a].touches(shapes[b]))


def subscriber(django_user_model, email, ward_number, **user_fields):
    user = django_user_model.objects.create_user(email, "a-long-passphrase-42", **user_fields)
    residents_services.alert_create(user=user, area={"ward": Ward.objects.current().get(number=ward_number).code})
    return user


def file_issue(category, point, capture):
    with capture(execute=True):
        return issue_create(report=Report(category=category, location=point, description="Deep hole",
                                          answers={"size": "small"} if category.code == "pothole" else {})).issue


def alerted(issue) -> set[str]:
    return set(OutboundMessage.objects.filter(topic=f"alert:{issue.reference}").values_list("address", flat=True))


def test_an_issue_inside_a_ward_alerts_its_subscribers_and_no_one_elses(
        pothole, features, django_user_model, django_capture_on_commit_callbacks):
    subscriber(django_user_model, "three@example.org", 3)
    subscriber(django_user_model, "five@example.org", 5)
    inside_three = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    assert alerted(inside_three) == {"three@example.org"}
    message = OutboundMessage.objects.get(topic=f"alert:{inside_three.reference}")
    assert inside_three.reference in message.body and "/me/alerts/" in message.body
    assert "Deep hole" not in message.body  # the alert names the issue, the track page tells the rest
    assert message.municipality == inside_three.municipality  # whose SMS account would send it


def test_a_point_on_the_shared_edge_of_two_wards_alerts_both_wards_subscribers(
        pothole, features, django_user_model, django_capture_on_commit_callbacks):
    first, second = neighbours(features)
    subscriber(django_user_model, "first@example.org", first)
    subscriber(django_user_model, "second@example.org", second)
    far = next(n for n in range(1, 14) if n not in (first, second) and not shape(
        next(f for f in features if int(f["properties"]["WardNumber"]) == n)["geometry"]).touches(
        shape(next(f for f in features if int(f["properties"]["WardNumber"]) == first)["geometry"])))
    subscriber(django_user_model, "far@example.org", far)
    issue = file_issue(pothole, shared_vertex(features, first, second), django_capture_on_commit_callbacks)
    assert issue.ward.number == min(first, second)  # the issue itself is filed in one ward, by the tie-break rule
    assert alerted(issue) == {"first@example.org", "second@example.org"}  # the edge is in both areas


def test_one_message_per_address_and_preferences_and_private_categories_are_respected(
        pothole, private_category, features, django_user_model, django_capture_on_commit_callbacks):
    twice = subscriber(django_user_model, "twice@example.org", 3)
    residents_services.alert_create(user=twice, area={"place": Place.objects.create(
        user=twice, name="Work", point=inside(features, 3)).pk, "radius_m": 2000})
    muted = subscriber(django_user_model, "muted@example.org", 3)
    Preferences.objects.create(user=muted, area_alerts=False)
    issue = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    assert OutboundMessage.objects.filter(topic=f"alert:{issue.reference}").count() == 1
    assert alerted(issue) == {"twice@example.org"}
    private = file_issue(private_category, inside(features, 3), django_capture_on_commit_callbacks)
    assert alerted(private) == set()


JOHANNESBURG = zoneinfo.ZoneInfo("Africa/Johannesburg")  # Lesedi's time zone (no daylight saving)


class AcceptingSmsGateway:
    """An SMS channel that accepts every message: what a provider account does (channels tests those)."""

    def deliver(self, message) -> None:
        pass


@pytest.fixture
def sms_gateway(settings):
    settings.IMBIZO = {**settings.IMBIZO, "CHANNELS": {**settings.IMBIZO["CHANNELS"],
                                                       "sms": f"{__name__}.AcceptingSmsGateway"}}


def quiet_around_now() -> tuple[dict, datetime.datetime]:
    """Quiet hours from an hour ago until two hours from now (local, whole minutes; across midnight
    late in the evening), and the instant they end, worked out by hand."""
    local_now = timezone.now().astimezone(JOHANNESBURG)
    start = (local_now - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    end = (local_now + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    return {"quiet_start": start.time(), "quiet_end": end.time()}, end.astimezone(datetime.UTC)


def test_quiet_hours_hold_an_sms_alert_until_they_end_and_email_goes_at_once(
        pothole, features, django_user_model, django_capture_on_commit_callbacks, monkeypatch, sms_gateway):
    quiet, ends = quiet_around_now()
    by_phone = django_user_model.objects.create_user(phone="+27821110000")
    residents_services.alert_create(user=by_phone, area={"ward": Ward.objects.current().get(number=3).code})
    Preferences.objects.create(user=by_phone, **quiet)
    by_email = subscriber(django_user_model, "email@example.org", 3, phone="+27821110001")
    Preferences.objects.create(user=by_email, **quiet)
    issue = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    assert alerted(issue) == {"email@example.org", "+27821110000"}
    email = OutboundMessage.objects.get(topic=f"alert:{issue.reference}", channel="email")
    assert email.state == "sent" and email.send_after is None
    held = OutboundMessage.objects.get(topic=f"alert:{issue.reference}", channel="sms")
    assert held.state == "queued" and held.send_after == ends and held.sent_at is None
    assert deliver_waiting() == {"sent": 0, "failed": 0}  # the outbox sweep leaves it until then
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: ends - datetime.timedelta(seconds=1))
    assert deliver_waiting()["sent"] == 0
    monkeypatch.setattr(timezone, "now", lambda: ends + datetime.timedelta(seconds=1))
    assert deliver_waiting()["sent"] == 1
    monkeypatch.setattr(timezone, "now", real_now)
    held.refresh_from_db()
    assert held.state == "sent" and held.sent_at == ends + datetime.timedelta(seconds=1)

    Preferences.objects.filter(user=by_phone).update(quiet_start=None, quiet_end=None)
    again = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    at_once = OutboundMessage.objects.get(topic=f"alert:{again.reference}", channel="sms")
    assert at_once.state == "sent" and at_once.send_after is None


def utc(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("zone", "quiet", "now", "ends"), [
    # Johannesburg (UTC+2 all year), 22:00-06:00: late in the evening, after midnight, and at midday.
    ("Africa/Johannesburg", ("22:00", "06:00"), utc(2026, 12, 7, 21, 30), utc(2026, 12, 8, 4, 0)),
    ("Africa/Johannesburg", ("22:00", "06:00"), utc(2026, 12, 8, 1, 0), utc(2026, 12, 8, 4, 0)),
    ("Africa/Johannesburg", ("22:00", "06:00"), utc(2026, 12, 8, 3, 59, 59), utc(2026, 12, 8, 4, 0)),
    ("Africa/Johannesburg", ("22:00", "06:00"), utc(2026, 12, 8, 4, 0), None),
    ("Africa/Johannesburg", ("22:00", "06:00"), utc(2026, 12, 8, 10, 0), None),
    ("Africa/Johannesburg", ("12:00", "14:00"), utc(2026, 12, 8, 10, 30), utc(2026, 12, 8, 12, 0)),
    # London: the night the clocks go forward (29 March 2026) 06:00 is already summer time (UTC+1) ...
    ("Europe/London", ("22:00", "06:00"), utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 5, 0)),
    # ... and the night they go back (25 October 2026) 06:00 is winter time again (UTC).
    ("Europe/London", ("22:00", "06:00"), utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 6, 0)),
    # An end the clock skips (01:30 on 29 March) falls after the gap; one it repeats (01:30 on 25
    # October) is its first pass, or its second for someone already past the first.
    ("Europe/London", ("23:00", "01:30"), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),
    ("Europe/London", ("23:00", "01:30"), utc(2026, 10, 25, 0, 10), utc(2026, 10, 25, 0, 30)),
    ("Europe/London", ("23:00", "01:30"), utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)),
])
def test_quiet_hours_end_at_their_local_wall_time(zone, quiet, now, ends):
    from triage.residents.alerts import quiet_hours_end

    row = {"quiet_start": datetime.time.fromisoformat(quiet[0]), "quiet_end": datetime.time.fromisoformat(quiet[1])}
    assert quiet_hours_end(row, now, zoneinfo.ZoneInfo(zone)) == ends


def test_anonymous_subscribers_confirm_first_and_unsubscribe_in_one_click(
        pothole, features, client, django_capture_on_commit_callbacks):
    ward = Ward.objects.current().get(number=3)
    answer = client.post("/api/v1/alerts", {"email": "Anon@Example.org", "area": {"ward": ward.code},
                                            "municipality": "GT423"}, content_type="application/json")
    assert answer.status_code == 202
    confirm = OutboundMessage.objects.get(address="anon@example.org", topic="alert-confirm")
    link = re.search(r"/alerts/confirm/\S+/", confirm.body).group(0)
    before = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    assert alerted(before) == set()  # not confirmed yet: nothing
    assert client.get(link).status_code == 200 and AreaAlert.objects.get().confirmed_at is None  # opening only asks
    client.post(link)
    after = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    assert alerted(after) == {"anon@example.org"}
    unsubscribe = re.search(r"/alerts/unsubscribe/\S+/", OutboundMessage.objects.get(
        topic=f"alert:{after.reference}").body).group(0)
    assert client.get(unsubscribe).status_code == 200 and AreaAlert.objects.exists()
    client.post(unsubscribe)
    assert not AreaAlert.objects.exists()
    assert client.get(unsubscribe).status_code == 404


def test_anonymous_subscription_names_a_bad_field(lesedi, client):
    answer = client.post("/api/v1/alerts", {"email": "anon@example.org", "area": {"ward": "nope"},
                                            "municipality": "GT423"}, content_type="application/json")
    assert answer.status_code == 400 and "ward" in answer.json()["area"]
    assert client.post("/api/v1/alerts", {"email": "not-an-email", "area": {"ward": "x"}, "municipality": "GT423"},
                       content_type="application/json").json().keys() == {"email"}


def test_after_a_new_demarcation_a_ward_alert_keeps_its_area_and_a_home_is_re_derived(
        pothole, features, lesedi_wards_file, tmp_path, django_user_model, django_capture_on_commit_callbacks):
    old_ward = Ward.objects.current().get(number=1)
    user = subscriber(django_user_model, "one@example.org", 1)
    home = Place.objects.create(user=user, name="Home", is_home=True, point=inside(features, 1))
    assert areas_at(home.point)["ward"]["number"] == 1
    # The 2016 demarcation renumbers the old ward 1 as ward 14 (same land, new number and code).
    data = json.loads(lesedi_wards_file.read_text())
    for feature in data["features"]:
        if int(feature["properties"]["WardNumber"]) == 1:
            feature["properties"].update(WardNumber=14, WardID="74203014")
    renumbered = tmp_path / "lesedi_2016.geojson"
    renumbered.write_text(json.dumps(data))
    import_lesedi_wards(renumbered, year_field=None, year=2016)

    assert areas_at(home.point)["ward"] == {**areas_at(home.point)["ward"], "number": 14, "year": 2016}
    alert = AreaAlert.objects.get(user=user)
    assert alert.area.equals(old_ward.geom) and alert.ward_id == old_ward.pk  # stored, not moved
    issue = file_issue(pothole, inside(features, 1), django_capture_on_commit_callbacks)
    assert issue.ward.number == 14 and alerted(issue) == {"one@example.org"}


def test_the_daily_digest_lists_the_days_issues_once(pothole, features, django_user_model,
                                                     django_capture_on_commit_callbacks):
    from triage.residents.alerts import send_daily_digests

    user = django_user_model.objects.create_user("daily@example.org", "a-long-passphrase-42")
    residents_services.alert_create(user=user, area={"ward": Ward.objects.current().get(number=3).code}, digest="daily")
    inside_three = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    elsewhere = file_issue(pothole, inside(features, 5), django_capture_on_commit_callbacks)
    assert alerted(inside_three) == set()  # daily subscribers get no message per issue
    assert send_daily_digests() == 1
    digest = OutboundMessage.objects.get(address="daily@example.org", topic__startswith="alert-digest:")
    assert inside_three.reference in digest.body and elsewhere.reference not in digest.body
    assert send_daily_digests() == 0  # once a day


def test_a_daily_digest_by_sms_waits_for_the_end_of_quiet_hours(pothole, features, django_user_model,
                                                                 django_capture_on_commit_callbacks, sms_gateway):
    from triage.residents.alerts import send_daily_digests

    quiet, ends = quiet_around_now()
    by_phone = django_user_model.objects.create_user(phone="+27821110002")
    residents_services.alert_create(user=by_phone, area={"ward": Ward.objects.current().get(number=3).code}, digest="daily")
    Preferences.objects.create(user=by_phone, **quiet)
    # Email turned off: the digest goes by SMS, at once outside quiet hours.
    no_email = subscriber(django_user_model, "no-email@example.org", 3, phone="+27821110003")
    AreaAlert.objects.filter(user=no_email).update(digest="daily")
    Preferences.objects.create(user=no_email, by_email=False)
    muted = subscriber(django_user_model, "muted@example.org", 3)
    AreaAlert.objects.filter(user=muted).update(digest="daily")
    Preferences.objects.create(user=muted, area_alerts=False)
    issue = file_issue(pothole, inside(features, 3), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests() == 2
    digests = {m.address: m for m in OutboundMessage.objects.filter(topic__startswith="alert-digest:")}
    assert set(digests) == {"+27821110002", "+27821110003"}
    assert issue.reference in digests["+27821110002"].body
    assert digests["+27821110002"].state == "queued" and digests["+27821110002"].send_after == ends
    assert digests["+27821110003"].state == "sent" and digests["+27821110003"].send_after is None
    assert {digest.municipality for digest in digests.values()} == {issue.municipality}
