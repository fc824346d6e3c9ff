"""Every change to assets and facilities goes through these functions."""

from django.db import transaction

from assets.facility_types import STANDARD_FACILITY_TYPES
from assets.models import Facility, FacilityType, OpeningPeriod
from assets.opening_hours import parse_opening_hours


@transaction.atomic
def facility_set_opening_hours(*, facility: Facility, opening_hours: str) -> None:
    """Replace a facility's opening periods with those of `opening_hours` (OSM syntax).
    Raises OpeningHoursError, naming the bad part, before changing anything."""
    periods = parse_opening_hours(opening_hours)
    facility_opening_hours_replace(facilities_periods={facility.pk: periods})
    Facility.objects.filter(pk=facility.pk).update(opening_hours=opening_hours)


def facility_opening_hours_replace(*, facilities_periods: dict) -> None:
    """Bulk form: {facility pk: [Period, ...]} replaces those facilities' periods."""
    OpeningPeriod.objects.filter(facility_id__in=facilities_periods).delete()
    OpeningPeriod.objects.bulk_create(
        OpeningPeriod(facility_id=pk, weekday=p.weekday, opens=p.opens, closes=p.closes)
        for pk, periods in facilities_periods.items() for p in periods
    )


def facility_types_ensure_standard() -> None:
    """Create any standard facility type that is missing; an administrator's edits stay."""
    existing = set(FacilityType.objects.values_list("code", flat=True))
    FacilityType.objects.bulk_create(
        FacilityType(code=code, name=name, aliases=aliases)
        for code, name, aliases in STANDARD_FACILITY_TYPES if code not in existing
    )
