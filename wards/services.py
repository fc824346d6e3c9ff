"""Every change to areas goes through these functions (imports, demo data, admin actions)."""

from django.contrib.gis.db.models import Union
from django.contrib.gis.db.models.functions import GeoFunc
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery

from wards.models import BoundarySet, Municipality, Ward


class Multi(GeoFunc):
    function = "ST_Multi"


def municipality_get_or_create(*, code: str, name: str | None = None) -> tuple[Municipality, bool]:
    return Municipality.objects.get_or_create(code=code, defaults={"name": name or code})


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
