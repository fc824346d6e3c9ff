"""Every change to areas goes through these functions (imports, demo data, admin actions)."""

import zoneinfo
from pathlib import Path

from django.contrib.gis.db.models import Union
from django.contrib.gis.db.models.functions import GeoFunc
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery

from toolkit.conf import imbizo_setting
from wards.models import BoundarySet, Municipality, Ward, validate_country, validate_timezone


class Multi(GeoFunc):
    function = "ST_Multi"


# The number to call in an emergency where a country has its own; 112 reaches emergency services
# from any GSM phone elsewhere.
EMERGENCY_NUMBERS = {"ZA": "112", "US": "911", "CA": "911", "MX": "911", "GB": "999", "IE": "112", "KE": "999",
                     "NG": "112", "BW": "997", "NA": "10111", "AU": "000", "NZ": "111", "IN": "112", "BR": "190"}


def country_currency(country: str) -> str | None:
    """The ISO 4217 currency in use in a country today (CLDR's territory data, through Babel)."""
    from babel.numbers import get_territory_currencies

    currencies = get_territory_currencies(country.upper(), tender=True)
    return currencies[0] if currencies else None


def country_time_zones(country: str) -> list[str]:
    """The IANA time zones of a country, from the tz database's own zone.tab."""
    for root in zoneinfo.TZPATH:
        table = Path(root) / "zone.tab"
        if table.exists():
            rows = (line.split("\t") for line in table.read_text().splitlines() if not line.startswith("#"))
            return [row[2] for row in rows if len(row) >= 3 and row[0] == country]
    return []


def municipality_settings(*, country: str | None = None, timezone: str | None = None,
                          emergency_number: str | None = None) -> dict:
    """A new municipality's settings: those given, the rest from its country. Raises ValidationError
    naming the setting when one is not valid, or when the country has several time zones and none
    was chosen."""
    country = (country or imbizo_setting("DEFAULT_COUNTRY")).upper()
    validate_country(country)
    if timezone is None:
        zones = country_time_zones(country)
        if len(zones) != 1:
            raise ValidationError(f"{country} has {len(zones) or 'no'} time zones; say which with a time zone "
                                  "(e.g. --timezone America/Los_Angeles).")
        timezone = zones[0]
    validate_timezone(timezone)
    return {"country": country, "timezone": timezone,
            "emergency_number": emergency_number or EMERGENCY_NUMBERS.get(country, "112")}


def municipality_get_or_create(*, code: str, name: str | None = None, **settings) -> tuple[Municipality, bool]:
    """The municipality with this code; a new one gets `settings` (country, timezone,
    emergency_number), defaults from its country for those not given. Given settings also update
    an existing municipality."""
    municipality = Municipality.objects.filter(code=code).first()
    given = {key: value for key, value in settings.items() if value}
    if municipality is None:
        municipality = Municipality(code=code, name=name or code, **municipality_settings(**given))
        municipality.full_clean(exclude=["boundary"])
        municipality.save()
        return municipality, True
    if given:
        for key, value in given.items():
            setattr(municipality, key, value.upper() if key == "country" else value)
        municipality.full_clean(exclude=["boundary"])
        municipality.save(update_fields=list(given))
    return municipality, False


def boundary_set_get_or_create(*, municipality: Municipality, year: int, source: str = "",
                               is_generated: bool = False) -> BoundarySet:
    boundary_set, created = BoundarySet.objects.get_or_create(
        municipality=municipality, year=year, defaults={"source": source, "is_generated": is_generated}
    )
    if not created and source and boundary_set.source != source:
        boundary_set.source = source
        boundary_set.save(update_fields=["source", "imported_at"])
    return boundary_set


@transaction.atomic
def boundary_sets_refresh_current(*, municipality: Municipality) -> BoundarySet | None:
    """The newest demarcation is the current one; older ones stay, marked historical."""
    newest_year = municipality.boundary_sets.aggregate(newest=Max("year"))["newest"]
    if newest_year is None:
        return None
    municipality.boundary_sets.exclude(year=newest_year).filter(is_current=True).update(is_current=False)
    municipality.boundary_sets.filter(year=newest_year).update(is_current=True)
    return municipality.boundary_sets.get(year=newest_year)


def municipality_boundary_from_wards(*, municipality: Municipality) -> None:
    """Where no boundary file was imported, the boundary is the union of the current wards,
    computed in PostGIS without the polygons passing through Python."""
    if municipality.boundary_source != Municipality.BoundarySource.WARDS:
        return
    union_of_current_wards = (
        Ward.objects.current()
        .filter(municipality=OuterRef("pk"))
        .values("municipality")
        .annotate(union=Multi(Union("geom")))
        .values("union")
    )
    Municipality.objects.filter(pk=municipality.pk).update(boundary=Subquery(union_of_current_wards))
