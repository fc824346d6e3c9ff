"""Questions asked about residents' data: which municipality a request is about, where a place is
(its ward and suburb, derived from the point at read time), and who subscribed to a point."""

from django.contrib.gis.geos import Point

from toolkit.conf import imbizo_setting
from wards.models import Municipality

SESSION_MUNICIPALITY = "municipality"


def default_municipality() -> Municipality | None:
    """IMBIZO DEFAULT_MUNICIPALITY, else the first with real boundaries, else any with a boundary
    (the rule of the public home page)."""
    municipalities = Municipality.objects.exclude(boundary=None)
    code = imbizo_setting("DEFAULT_MUNICIPALITY")
    return ((code and municipalities.filter(code=code).first())
            or municipalities.filter(is_generated=False).order_by("code").first()
            or municipalities.order_by("code").first())


def municipality_of_request(request) -> Municipality | None:
    """The municipality a resident is dealing with: the one whose pages they came from (the
    session remembers it), else the default one."""
    code = request.session.get(SESSION_MUNICIPALITY) if request is not None and hasattr(request, "session") else None
    return (code and Municipality.objects.filter(code=code).first()) or default_municipality()


def areas_at(point: Point) -> dict:
    """The municipality, current ward and suburb at a point (the tie-break rule of wards on shared
    edges), each a dict or None, in one query."""
    municipality = Municipality.objects.covering(point).with_areas_at(point).first()
    if municipality is None:
        return {"municipality": None, "ward": None, "suburb": None}
    return {"municipality": {"code": municipality.code, "name": municipality.title},
            "ward": municipality.ward_at, "suburb": municipality.suburb_at}



