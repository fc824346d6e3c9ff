"""Open now: opening hours on the municipality's clock (Africa/Johannesburg, UTC+2, no DST)."""

import datetime

import pytest
from django.contrib.gis.geos import Point

from assets.models import Facility, FacilityType
from assets.opening_hours import OpeningHoursError, Period, parse_opening_hours
from assets.services import facility_set_opening_hours, facility_types_ensure_standard

UTC = datetime.UTC
# Monday 23 November 2026.
MONDAY = datetime.date(2026, 11, 23)


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


def is_open(facility, moment) -> bool:
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
    assert is_open(office, at_utc(4, 23, 30))      # Saturday 01:30 local, yesterday's period
    assert not is_open(office, at_utc(5, 0, 30))   # Saturday 02:30 local
    assert not is_open(office, at_utc(0, 23, 30))  # Tuesday 01:30 local: Monday had no night opening
    facility_set_opening_hours(facility=office, opening_hours="24/7")
    assert all(is_open(office, at_utc(day, hour)) for day in range(7) for hour in (0, 11, 23))


@pytest.mark.django_db
def test_open_now_filter_in_the_api(office, client):
    closed = Facility.objects.create(
        municipality=office.municipality, facility_type=office.facility_type, external_id="test:closed",
        name="Night office", location=Point(28.359, -26.505, srid=4326))
    facility_set_opening_hours(facility=closed, opening_hours="Su 01:00-02:00")
    body = client.get("/api/v1/facilities/nearest", {"lat": -26.504, "lon": 28.358, "open_now": "false"}).json()
    assert {f["properties"]["name"] for f in body["features"]} == {"Heidelberg Civic Centre", "Night office"}
    only_open = client.get("/api/v1/facilities/nearest", {"lat": -26.504, "lon": 28.358, "open_now": "true"}).json()
    local = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    office_open_now = local.weekday() < 5 and datetime.time(8) <= local.time() < datetime.time(16, 30) or (
        local.weekday() == 5 and datetime.time(8) <= local.time() < datetime.time(12))
    assert [f["properties"]["name"] for f in only_open["features"]] == (
        ["Heidelberg Civic Centre"] if office_open_now else [])


@pytest.mark.parametrize("text,expected", [
    ("Mo-Fr 08:00-16:30", [Period(d, datetime.time(8), datetime.time(16, 30)) for d in range(5)]),
    ("Sa,Su 09:00-12:00,13:00-15:00", [Period(5, datetime.time(9), datetime.time(12)),
                                        Period(6, datetime.time(9), datetime.time(12)),
                                        Period(5, datetime.time(13), datetime.time(15)),
                                        Period(6, datetime.time(13), datetime.time(15))]),
    ("Fr-Mo 10:00-11:00", [Period(d, datetime.time(10), datetime.time(11)) for d in (4, 5, 6, 0)]),
    ("Mo-Su 08:00-17:00; Su off", [Period(d, datetime.time(8), datetime.time(17)) for d in range(6)]),
    ("Mo 20:00-24:00", [Period(0, datetime.time(20), datetime.time(0))]),
    ("", []),
])
def test_opening_hours_syntax(text, expected):
    assert sorted(parse_opening_hours(text), key=lambda p: (p.opens, p.weekday)) == \
        sorted(expected, key=lambda p: (p.opens, p.weekday))


@pytest.mark.parametrize("text,message", [
    ("Mo-Fx 08:00-16:00", "'Mo-Fx'"),
    ("Mo 8-16", "'8-16'"),
    ("Mo 25:00-26:00", "not a valid time"),
    ("Mo-Fr", "gives days but no hours"),
])
def test_bad_opening_hours_name_the_part(text, message):
    with pytest.raises(OpeningHoursError, match=message):
        parse_opening_hours(text)
