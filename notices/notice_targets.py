"""A notice's target as one MultiPolygon, computed by PostGIS.

Radii and line buffers are in metres: the buffer is taken on geography (a true distance on the
spheroid), which the ORM's Buffer (degrees on geometry) cannot say, hence one named raw query.
The result is clipped to the municipality's boundary; a target that does not reach into the
municipality at all is refused.
"""

from django.db import connection
from django.utils.translation import gettext as _

from notices.notice import Notice


class NoticeRefused(ValueError):
    """The notice is not taken as given: the message says why, `field` names the input at fault."""

    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


MAX_RADIUS_M = 50_000

# $1 notice id. Each branch yields the raw target; the outer query clips it to the municipality
# (its boundary, or the union of its current wards when it has none) and keeps only polygons.
TARGET_AREA_SQL = """
WITH notice AS (
    SELECT n.id, n.target, n.drawn, n.radius_m, n.municipality_id FROM notices_notice n WHERE n.id = %(notice)s
), municipality_area AS (
    SELECT coalesce(
        (SELECT m.boundary FROM wards_municipality m JOIN notice ON m.id = notice.municipality_id),
        (SELECT ST_Multi(ST_Union(w.geom)) FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id
         JOIN notice ON w.municipality_id = notice.municipality_id WHERE b.is_current)
    ) AS geom
), raw AS (
    SELECT CASE notice.target
        WHEN 'municipality' THEN (SELECT geom FROM municipality_area)
        WHEN 'wards' THEN (SELECT ST_Union(w.geom) FROM notices_notice_wards nw JOIN wards_ward w ON w.id = nw.ward_id
                           WHERE nw.notice_id = notice.id)
        WHEN 'suburbs' THEN (SELECT ST_Union(s.geom) FROM notices_notice_suburbs ns JOIN wards_suburb s ON s.id = ns.suburb_id
                             WHERE ns.notice_id = notice.id)
        WHEN 'polygon' THEN notice.drawn
        WHEN 'radius' THEN ST_Buffer(notice.drawn::geography, notice.radius_m)::geometry
        WHEN 'line' THEN ST_Buffer(notice.drawn::geography, notice.radius_m)::geometry
    END AS geom FROM notice
)
SELECT ST_Multi(ST_CollectionExtract(
           CASE WHEN municipality_area.geom IS NULL THEN raw.geom
                ELSE ST_Intersection(raw.geom, municipality_area.geom) END, 3))
FROM raw, municipality_area
"""


def drawn_problem(notice: Notice) -> tuple[str, str] | None:
    """(field, message) when the drawn geometry does not fit the target kind or is invalid."""
    target, drawn = notice.target, notice.drawn
    needs = {Notice.Target.POLYGON: ("Polygon", "MultiPolygon"), Notice.Target.RADIUS: ("Point",),
             Notice.Target.LINE: ("LineString", "MultiLineString")}
    if target not in needs:
        return None
    if drawn is None or drawn.empty:
        return "drawn", _("Draw the target on the map: a %(target)s needs a geometry.") % {
            "target": Notice.Target(target).label.lower()}
    if drawn.geom_type not in needs[target]:
        return "drawn", _("A %(target)s needs a %(expected)s, not a %(found)s.") % {
            "target": Notice.Target(target).label.lower(), "expected": " or ".join(needs[target]), "found": drawn.geom_type}
    if not drawn.valid:
        return "drawn", _("The drawn geometry is invalid: %(reason)s.") % {"reason": drawn.valid_reason}
    if target in (Notice.Target.RADIUS, Notice.Target.LINE):
        if not notice.radius_m:
            return "radius_m", _("Give the radius or buffer width in metres.")
        if notice.radius_m > MAX_RADIUS_M:
            return "radius_m", _("The radius may be at most %(limit)s metres.") % {"limit": MAX_RADIUS_M}
    return None


def notice_compute_area(*, notice: Notice) -> None:
    """Compute and store `notice.area` from its target; NoticeRefused when there is none or it lies
    outside the municipality. The wards and suburbs of the target must be saved first."""
    problem = drawn_problem(notice)
    if problem:
        raise NoticeRefused(problem[1], problem[0])
    if notice.target == Notice.Target.WARDS and not notice.wards.exists():
        raise NoticeRefused(_("Choose at least one ward."), "wards")
    if notice.target == Notice.Target.SUBURBS and not notice.suburbs.exists():
        raise NoticeRefused(_("Choose at least one suburb."), "suburbs")
    if notice.target == Notice.Target.WARDS and notice.wards.exclude(municipality_id=notice.municipality_id).exists():
        raise NoticeRefused(_("A chosen ward is not in this municipality."), "wards")
    if notice.target == Notice.Target.SUBURBS and notice.suburbs.exclude(municipality_id=notice.municipality_id).exists():
        raise NoticeRefused(_("A chosen suburb is not in this municipality."), "suburbs")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE notices_notice SET area = ({TARGET_AREA_SQL}) WHERE id = %(notice)s "
                       "RETURNING area IS NULL OR ST_IsEmpty(area)", {"notice": notice.pk})
        (empty,) = cursor.fetchone()
    if empty:
        field = {Notice.Target.WARDS: "wards", Notice.Target.SUBURBS: "suburbs"}.get(notice.target, "drawn")
        raise NoticeRefused(_("The target area lies outside the municipality."), field)
    notice.area = Notice.objects.values_list("area", flat=True).get(pk=notice.pk)
