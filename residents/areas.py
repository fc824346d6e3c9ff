"""An alert's area, computed by PostGIS: a ward's or a suburb's polygon, a radius around a saved place
(ST_Buffer on geography: true metres), or a drawn polygon checked before it is kept. Every answer is
a MultiPolygon in the storage SRID; a bad input raises AreaError naming the field at fault."""

import json

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import connection

from toolkit.conf import STORAGE_SRID

MIN_RADIUS_M, MAX_RADIUS_M = 50, 20_000
MAX_VERTICES = 1_000


class AreaError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


# Named query: a circle of true metres around a point (geography buffer, 16 segments a quarter),
# made a MultiPolygon in the storage SRID. The ORM's Buffer works in the column's degrees.
BUFFER_SQL = """
SELECT ST_AsEWKB(ST_Multi(ST_Buffer(%(point)s::geometry::geography, %(metres)s, 'quad_segs=16')::geometry))
"""

# Named query: what is wrong with a drawn polygon, judged against the municipality's boundary.
CHECK_DRAWN_SQL = """
SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
       ST_Area(g::geography) AS area_m2, ST_Area(m.boundary::geography) AS municipality_m2,
       ST_Intersects(g, m.boundary) AS meets, ST_AsEWKB(ST_Multi(g)) AS multi
FROM (SELECT %(geom)s::geometry AS g) AS drawn, wards_municipality AS m
WHERE m.id = %(municipality)s
"""


def _one(sql: str, params: dict):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def radius_area(point, metres) -> GEOSGeometry:
    """A circle of `metres` (50 m – 20 km) around the point."""
    if isinstance(metres, bool) or not isinstance(metres, int | float) or not MIN_RADIUS_M <= metres <= MAX_RADIUS_M:
        raise AreaError("radius_m", f"The radius must be a number of metres from {MIN_RADIUS_M} to {MAX_RADIUS_M:,}.")
    (ewkb,) = _one(BUFFER_SQL, {"point": point.ewkt, "metres": float(metres)})
    return GEOSGeometry(memoryview(bytes(ewkb)))


def drawn_area(geojson, *, municipality) -> GEOSGeometry:
    """A polygon drawn on the map: a valid (not self-intersecting) Polygon or MultiPolygon of at most
    1,000 vertices, inside the municipality's reach and no larger than the municipality."""
    try:
        geom = GEOSGeometry(json.dumps(geojson) if isinstance(geojson, dict) else str(geojson))
    except (GEOSException, ValueError, TypeError):
        raise AreaError("area", "The area is not a GeoJSON geometry.") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise AreaError("area", f"The area must be a Polygon or MultiPolygon, not a {geom.geom_type}.")
    if geom.num_coords > MAX_VERTICES:
        raise AreaError("area", f"The area has {geom.num_coords:,} vertices; at most {MAX_VERTICES:,} are allowed.")
    geom.srid = STORAGE_SRID
    if municipality.boundary is None:
        raise AreaError("municipality", "This municipality has no boundary yet.")
    valid, reason, area_m2, municipality_m2, meets, multi = _one(
        CHECK_DRAWN_SQL, {"geom": geom.ewkt, "municipality": municipality.pk})
    if not valid:
        raise AreaError("area", f"The area is not a valid polygon ({reason}); its edges may cross themselves.")
    if area_m2 > municipality_m2:
        raise AreaError("area", f"The area ({area_m2 / 1e6:,.0f} km²) is larger than the municipality "
                                f"({municipality_m2 / 1e6:,.0f} km²).")
    if not meets:
        raise AreaError("area", "The area is outside the municipality.")
    return GEOSGeometry(memoryview(bytes(multi)))
