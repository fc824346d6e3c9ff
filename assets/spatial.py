"""Distance in metres on the spheroid, with the geography index doing the work.

Geometry is stored in EPSG:4326 (degrees). A planar `<->` on that column orders by degrees, and a
degree of longitude at Lesedi's latitude is 10% shorter than a degree of latitude, so nearest-first
by degrees is simply wrong. Each point table therefore carries a GiST index on the expression
`(geom::geography)`, and these expressions filter and order on exactly that expression, so
PostgreSQL uses the index (checked with EXPLAIN in the tests).
"""

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import BooleanField, F, FloatField, Func, Value
from django.db.models.functions import Cast

from toolkit.conf import storage_srid


def GeographyField() -> GeometryField:  # noqa: N802 - reads like the field type it stands for
    return GeometryField(geography=True, srid=storage_srid())


def as_geography(field_name: str) -> Cast:
    return Cast(F(field_name), output_field=GeographyField())


def geography_constant(point: GEOSGeometry) -> Cast:
    return Cast(Value(point, output_field=GeographyField()), output_field=GeographyField())


class GeographyKnn(Func):
    """`geog <-> point::geography`: the index-assisted nearest-neighbour order, in metres
    (on the sphere; the reported distance_m is then computed on the spheroid)."""

    arg_joiner = " <-> "
    template = "(%(expressions)s)"
    output_field = FloatField()


class GeographyDistance(Func):
    """ST_Distance on geography: metres on the WGS 84 spheroid."""

    function = "ST_Distance"
    output_field = FloatField()


class GeographyDWithin(Func):
    function = "ST_DWithin"
    output_field = BooleanField()


def knn_order(field_name: str, point: GEOSGeometry) -> GeographyKnn:
    return GeographyKnn(as_geography(field_name), geography_constant(point))


def distance_metres(field_name: str, point: GEOSGeometry) -> GeographyDistance:
    return GeographyDistance(as_geography(field_name), geography_constant(point))


def within_metres(field_name: str, point: GEOSGeometry, metres: float) -> GeographyDWithin:
    return GeographyDWithin(as_geography(field_name), geography_constant(point), Value(float(metres)))
