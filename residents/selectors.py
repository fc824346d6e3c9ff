"""Questions asked about residents' data: which municipality a request is about, where a place is
(its ward and suburb, derived from the point at read time), and who subscribed to a point."""

from django.contrib.gis.geos import Point
from django.db.models import F, Q

from residents.models import AlertShape, AreaAlert
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





def place_areas(places) -> list[dict]:
    """Each place with its areas derived now (one query per place: a resident keeps a handful)."""
    return [{"place": place, **areas_at(place.point)} for place in places]


def alert_subscribers(*, point: Point, municipality, digest: str | None = "each"):
    """Who hears about a new issue at `point`: one row per subscriber (an account, or a confirmed
    anonymous email address) whose confirmed alert covers the point, wants issues, has `digest`
    ("each"/"daily"; None: any), and whose preferences (if any) allow area alerts. The areas are
    tested as their distinct shapes (ST_Covers on AlertShape's GiST index, each shape once). Rows:
    user_id, email, token (the alert's), user_email, phone, by_email, by_sms, quiet_start, quiet_end."""
    shapes = AlertShape.objects.filter(geom__covers=point).values("pk")
    alerts = AreaAlert.objects.filter(municipality=municipality, issues=True, confirmed_at__isnull=False,
                                      shape__in=shapes)
    if digest is not None:
        alerts = alerts.filter(digest=digest)
    return (
        alerts.filter(Q(user__isnull=True) | (Q(user__is_active=True) & (
            Q(user__preferences__isnull=True) | Q(user__preferences__area_alerts=True))))
        .order_by("user_id", "email").distinct("user_id", "email")
        .values("user_id", "email", "token", user_email=F("user__email"), phone=F("user__phone"),
                by_email=F("user__preferences__by_email"), by_sms=F("user__preferences__by_sms"),
                quiet_start=F("user__preferences__quiet_start"), quiet_end=F("user__preferences__quiet_end"))
    )
