"""Open now: OpenStreetMap opening hours (opening-hours-py) on the municipality's clock, with its
country's public holidays and the sun at the facility's point."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from assets.models import Facility, FacilityType
from assets.opening_hours import OpeningHoursError, parse_opening_hours
from assets.services import facility_opening_intervals_refresh, facility_set_opening_hours, facility_types_ensure_standard
from wards.models import Municipality

UTC = datetime.UTC
JOHANNESBURG = ZoneInfo("Africa/Johannesburg")


def next_monday() -> datetime.date:
    """A Monday ahead, inside the window of materialised intervals, not a South African holiday."""
    today = datetime.datetime.now(JOHANNESBURG).date()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return monday if monday.strftime("%m-%d") not in ("12-16", "12-25", "12-26", "01-01") else monday + datetime.timedelta(7)


MONDAY = next_monday()


def at_utc(day_offset: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(MONDAY + datetime.timedelta(days=day_offset), datetime.time(hour, minute), UTC)


@pytest.fixture
def office(lesedi):
    facility_types_ensure_standard()
    facility = Facility.objects.create(
        municipality=lesedi, facility_type=FacilityType.objects.get(code="municipal-office"),
        external_id="test:office", name="Heidelberg Civic Centre", location=Point(28.358, -26.504, srid=4326))
    facility_set_opening_hours(facility=facility, opening_hours="Mo-Fr 08:00-16:30; Sa 08:00-12:00")
    return facility


def is_open(facility, moment) -> bool | None:
    return Facility.objects.with_open_now(moment).get(pk=facility.pk).open_now


@pytest.mark.django_db
@pytest.mark.parametrize("moment,expected", [
    (at_utc(0, 6, 30), True),    # Monday 08:30 in Heidelberg (06:30 UTC)
    (at_utc(0, 5, 59), False),   # Monday 07:59 local: not yet
    (at_utc(0, 14, 29), True),   # Monday 16:29 local
    (at_utc(0, 14, 30), False),  # Monday 16:30 local: closed (though 14:30 UTC is within 08:00-16:30)
    (at_utc(5, 9, 0), True),     # Saturday 11:00 local
    (at_utc(5, 10, 0), False),   # Saturday 12:00 local
    (at_utc(6, 9, 0), False),    # Sunday
    (at_utc(-1, 22, 30), False), # Sunday 22:30 UTC is already Monday 00:30 local: closed at night
])
def test_open_now_uses_the_local_clock(office, moment, expected):
    assert is_open(office, moment) is expected


@pytest.mark.django_db
def test_overnight_and_always_open(lesedi, office):
    facility_set_opening_hours(facility=office, opening_hours="Fr 18:00-02:00")
    assert is_open(office, at_utc(4, 17, 0))       # Friday 19:00 local
    assert is_open(office, at_utc(4, 23, 30))      # Saturday 01:30 local, Friday's period
    assert not is_open(office, at_utc(5, 0, 30))   # Saturday 02:30 local
    assert not is_open(office, at_utc(0, 23, 30))  # Tuesday 01:30 local: Monday had no night opening
    facility_set_opening_hours(facility=office, opening_hours="24/7")
    assert all(is_open(office, at_utc(day, hour)) for day in range(7) for hour in (0, 11, 23))


@pytest.mark.django_db
def test_public_holidays_dates_and_the_sun(lesedi, office):
    christmas = datetime.date(MONDAY.year if MONDAY.month == 12 else MONDAY.year - 1, 12, 25)
    hours = parse_opening_hours("Mo-Su 08:00-16:00; PH off", timezone="Africa/Johannesburg", country="ZA")
    at_ten = datetime.datetime.combine(christmas, datetime.time(10), JOHANNESBURG)
    assert hours.is_closed(at_ten) and hours.is_open(at_ten + datetime.timedelta(days=2))  # 25th off, 27th open
    dated = parse_opening_hours("Mo-Su 08:00-16:00; Dec 25 off", timezone="Africa/Johannesburg")
    assert dated.is_closed(at_ten) and dated.is_open(at_ten - datetime.timedelta(days=1))
    # sunrise-sunset at Heidelberg's latitude: open at local noon, closed at local midnight.
    facility_set_opening_hours(facility=office, opening_hours="sunrise-sunset")
    assert is_open(office, at_utc(1, 10, 0)) and not is_open(office, at_utc(1, 22, 0))


@pytest.mark.django_db
def test_open_now_follows_the_municipalitys_time_zone_across_daylight_saving(office):
    """In Los Angeles (UTC-8 in winter, UTC-7 in summer) 09:00 local is 17:00 or 16:00 UTC."""
    Municipality.objects.filter(pk=office.municipality_id).update(timezone="America/Los_Angeles", country="US")
    facility_set_opening_hours(facility=office, opening_hours="Mo-Su 09:00-10:00")
    assert is_open(office, at_utc(1, 17, 30)) is True
    assert is_open(office, at_utc(1, 7, 30)) is False  # 09:30 in Johannesburg, the old assumption


@pytest.mark.django_db
def test_hours_unknown_is_neither_open_nor_closed_and_the_refresh_keeps_it_so(office):
    facility_set_opening_hours(facility=office, opening_hours="")
    assert is_open(office, at_utc(0, 8)) is None
    facility_set_opening_hours(facility=office, opening_hours="Mo-Fr 08:00-16:30")
    assert facility_opening_intervals_refresh() > 0
    assert is_open(office, at_utc(0, 8)) is True


@pytest.mark.django_db
def test_open_now_filter_in_the_api_keeps_unknown_hours_when_asked(office, client):
    closed = Facility.objects.create(
        municipality=office.municipality, facility_type=office.facility_type, external_id="test:closed",
        name="Night office", location=Point(28.359, -26.505, srid=4326))
    facility_set_opening_hours(facility=closed, opening_hours="Mo-Su 00:00-00:01")
    Facility.objects.create(
        municipality=office.municipality, facility_type=office.facility_type, external_id="test:unknown",
        name="Clinic of unknown hours", location=Point(28.357, -26.503, srid=4326))
    facility_set_opening_hours(facility=office, opening_hours="24/7")
    near = {"lat": -26.504, "lon": 28.358}
    body = client.get("/api/v1/facilities/nearest", {**near, "open_now": "false"}).json()
    assert {f["properties"]["name"]: f["properties"]["open_now"] for f in body["features"]} == {
        "Heidelberg Civic Centre": True, "Night office": False, "Clinic of unknown hours": None}
    only_open = client.get("/api/v1/facilities/nearest", {**near, "open_now": "true"}).json()
    assert [f["properties"]["name"] for f in only_open["features"]] == ["Heidelberg Civic Centre"]
    flagged = client.get("/api/v1/facilities/nearest", {**near, "open_now": "true", "include_unknown": "true"}).json()
    assert sorted(f["properties"]["name"] for f in flagged["features"]) == [
        "Clinic of unknown hours", "Heidelberg Civic Centre"]
    assert client.get("/api/v1/facilities/nearest", {**near, "include_unknown": "perhaps"}).status_code == 400


@pytest.mark.parametrize("text", [
    "Mo-Fr 08:00-16:30", "Sa,Su 09:00-12:00,13:00-15:00", "Fr-Mo 10:00-11:00", "Mo-Su 08:00-17:00; Su off",
    "Mo 20:00-24:00", "PH off", "Mo-Fr 08:00-16:00; Su,PH off", "sunrise-sunset", "Mo-Fr 08:00-16:00; Dec 25 off",
    "Mo-Fr 08:00-12:00, 13:00-16:00", 'Mo-Fr 08:00-16:00 "by appointment"', "Mo-Fr 08:00-16:30; Sa 08:00-12:00; PH off",
])
def test_valid_osm_values_are_accepted(text):
    assert parse_opening_hours(text, timezone="Africa/Johannesburg", country="ZA", coordinates=(-26.504, 28.358))


@pytest.mark.parametrize("text", ["Mo-Fx 08:00-16:00", "Mo 25:00-26:00", "whenever"])
def test_bad_opening_hours_quote_the_value(text):
    with pytest.raises(OpeningHoursError, match=f"'{text}' is not valid OpenStreetMap opening_hours"):
        parse_opening_hours(text)
