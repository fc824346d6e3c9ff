"""Every change to assets and facilities goes through these functions."""

import datetime

from django.db import transaction
from django.utils import timezone

from assets.facility_types import STANDARD_FACILITY_TYPES
from assets.models import Facility, FacilityType, OpeningInterval
from assets.opening_hours import DEFAULT_TIMEZONE, OpeningHoursError, opening_intervals, parse_opening_hours

# Open intervals are kept from a day back to this far ahead; refresh_opening_hours (daily) moves
# the window on.
OPEN_INTERVAL_WINDOW = (datetime.timedelta(days=1), datetime.timedelta(days=42))


@transaction.atomic
def facility_set_opening_hours(*, facility: Facility, opening_hours: str) -> None:
    """Replace a facility's opening hours (OSM syntax) and its open intervals. Raises
    OpeningHoursError, naming the bad part, before changing anything."""
    place = _places([facility.pk])[facility.pk]
    parse_opening_hours(opening_hours, **place)
    Facility.objects.filter(pk=facility.pk).update(opening_hours=opening_hours)
    facility.opening_hours = opening_hours
    facility_opening_hours_replace(facilities_periods={facility.pk: opening_hours})


def _places(pks) -> dict:
    """{facility pk: the keyword arguments that place its hours: time zone, country, coordinates}."""
    rows = Facility.objects.filter(pk__in=list(pks)).values_list("pk", "location", "municipality__timezone",
                                                                  "municipality__country")
    return {pk: {"timezone": zone or DEFAULT_TIMEZONE, "country": country or None,
                 "coordinates": (location.y, location.x)} for pk, location, zone, country in rows}


def facility_opening_hours_replace(*, facilities_periods: dict, now: datetime.datetime | None = None) -> int:
    """Bulk form: {facility pk: opening hours text} replaces those facilities' open intervals over
    OPEN_INTERVAL_WINDOW around `now`. A value that does not parse raises OpeningHoursError (check
    values with parse_opening_hours first). Returns how many intervals were written."""
    now = now or timezone.now()
    start, end = now - OPEN_INTERVAL_WINDOW[0], now + OPEN_INTERVAL_WINDOW[1]
    places = _places(facilities_periods)
    rows = [OpeningInterval(facility_id=pk, opens_at=opens, closes_at=closes)
            for pk, text in facilities_periods.items() if pk in places
            for opens, closes in opening_intervals(parse_opening_hours(text or "", **places[pk]), start, end)]
    OpeningInterval.objects.filter(facility_id__in=list(facilities_periods)).delete()
    OpeningInterval.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


@transaction.atomic
def facility_opening_intervals_refresh(*, now: datetime.datetime | None = None) -> int:
    """Move every facility's open intervals on to the window around now (run daily). A value
    that no longer parses (e.g. an edit in the admin) leaves that facility without intervals."""
    hours = dict(Facility.objects.exclude(opening_hours="").values_list("pk", "opening_hours"))
    places = _places(hours)
    valid = {}
    for pk, text in hours.items():
        try:
            parse_opening_hours(text, **places[pk])
            valid[pk] = text
        except OpeningHoursError:
            valid[pk] = ""
    OpeningInterval.objects.exclude(facility_id__in=list(hours)).delete()
    return facility_opening_hours_replace(facilities_periods=valid, now=now)


def facility_types_ensure_standard() -> None:
    """Create any standard facility type that is missing; an administrator's edits stay."""
    existing = set(FacilityType.objects.values_list("code", flat=True))
    FacilityType.objects.bulk_create(
        FacilityType(code=code, name=name, aliases=aliases)
        for code, name, aliases in STANDARD_FACILITY_TYPES if code not in existing
    )
