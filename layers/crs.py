"""Coordinate reference systems of OGC API - Features - Part 2 (OGC 18-058r1): the `crs` a client asks
features in, the `bbox-crs` its bbox is written in, and the list each collection offers.

Offered: CRS84 (longitude, latitude: the default and the storage CRS), EPSG:4326 (the same datum with
latitude first, as EPSG defines its axes), Web Mercator (EPSG:3857) and the WGS 84 UTM zone of each
municipality, from its boundary's centroid (Lesedi: zone 35 south, EPSG:32735), whose metres GIS teams
measure in. Coordinates are transformed by PostGIS (ST_Transform, ST_FlipCoordinates), never in Python.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import Centroid, GeoFunc, Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from toolkit.conf import storage_srid
from toolkit.params import BadParameter, shown

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{code}"
WEB_MERCATOR = 3857
# Shorter spellings clients also send: EPSG:32735, urn:ogc:def:crs:EPSG::32735, OGC:CRS84.
_EPSG_CODE = re.compile(r"^(?:https?://www\.opengis\.net/def/crs/EPSG/0/|EPSG:|urn:ogc:def:crs:EPSG::?)(\d{4,5})$",
                        re.IGNORECASE)
_CRS84 = {CRS84.lower(), "https://www.opengis.net/def/crs/ogc/1.3/crs84", "ogc:crs84", "crs84",
          "urn:ogc:def:crs:ogc:1.3:crs84"}
# A box in metres is cut into edges of this many metres before it is transformed, so its curved outline in
# degrees is followed closely (ST_Segmentize).
BOX_EDGE_METRES = 1000


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int  # what PostGIS transforms to
    latitude_first: bool = False  # EPSG:4326's axis order: ST_FlipCoordinates after the transform
    precision: int = 6  # decimals written: 6 of a degree is about 0.1 m; 2 of a metre, a centimetre

    @property
    def header(self) -> str:
        """The Content-Crs header: the URI in angle brackets (Part 2, /req/crs/ogc-crs-header)."""
        return f"<{self.uri}>"


DEFAULT = Crs(CRS84, 4326)


def epsg(code: int) -> Crs:
    if code == 4326:
        return Crs(EPSG.format(code=4326), 4326, latitude_first=True)
    return Crs(EPSG.format(code=code), code, precision=2)


def utm_srid(longitude: float, latitude: float) -> int:
    """The EPSG code of the WGS 84 UTM zone holding the point: 326zz north of the equator, 327zz south."""
    zone = min(60, max(1, math.floor((longitude + 180) / 6) + 1))
    return (32600 if latitude >= 0 else 32700) + zone


def municipality_utm_srids() -> list[int]:
    from wards.models import Municipality

    centres = Municipality.objects.exclude(boundary=None).annotate(centre=Centroid("boundary"))
    return sorted({utm_srid(centre.x, centre.y) for centre in centres.values_list("centre", flat=True)})


def offered() -> list[Crs]:
    """Every CRS the collections offer, the default first."""
    return [DEFAULT, epsg(4326), epsg(WEB_MERCATOR), *(epsg(code) for code in municipality_utm_srids())]


def parse(raw: str | None, choices: list[Crs], name: str) -> Crs:
    """A `crs` or `bbox-crs` value (a URI, or EPSG:nnnn) as one of `choices`; absent: CRS84."""
    if raw is None or raw.strip() == "":
        return DEFAULT
    text = raw.strip()
    if text.lower() in _CRS84:
        return DEFAULT
    match = _EPSG_CODE.match(text)
    code = int(match.group(1)) if match else None
    for choice in choices:
        if code is not None and choice.srid == code and choice.uri != CRS84:
            return choice
    raise BadParameter(name, f"'{shown(text, 80)}' is not offered; use one of: {', '.join(c.uri for c in choices)}.")


class FlipCoordinates(GeoFunc):
    function = "ST_FlipCoordinates"


def output_geometry(geometry: str, crs: Crs):
    """The geometry column as written in `crs`: transformed, and with latitude first where the CRS says so."""
    expression = F(geometry)
    if crs.srid != storage_srid():
        expression = Transform(expression, crs.srid)
    if crs.latitude_first:
        expression = FlipCoordinates(expression)
    return expression


def parse_box(raw: str, crs: Crs, name: str = "bbox") -> tuple[float, float, float, float]:
    """A bbox written in `crs` (four numbers, or six with heights) as (minimum x, minimum y, maximum x,
    maximum y) in that CRS's own axis order."""
    parts = raw.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise BadParameter(name, "expected four numbers: the lower corner, then the upper corner.")
    try:
        low_a, low_b, high_a, high_b = (float(part) for part in parts)
    except ValueError:
        raise BadParameter(name, f"'{shown(raw)}' has a part that is not a number.") from None
    if not all(math.isfinite(value) for value in (low_a, low_b, high_a, high_b)):
        raise BadParameter(name, "every part must be a finite number.")
    if low_a > high_a or low_b > high_b:
        raise BadParameter(name, "the minimum corner must come before the maximum corner.")
    return low_a, low_b, high_a, high_b


def box_in_storage(box: tuple[float, float, float, float], crs: Crs) -> GEOSGeometry:
    """A box written in a projected CRS, as the area it covers in the storage CRS: PostGIS transforms its
    outline (cut into short edges first, so the edges' curves are kept)."""
    west, south, east, north = box
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT ST_AsEWKB(ST_Transform(ST_Segmentize(ST_MakeEnvelope(%s, %s, %s, %s, %s), %s), %s))",
                [west, south, east, north, crs.srid, BOX_EDGE_METRES, storage_srid()])
            return GEOSGeometry(memoryview(cursor.fetchone()[0]))
    except DatabaseError:  # a box beyond where the projection is defined
        raise BadParameter("bbox", f"the box is outside the area {crs.uri} covers.") from None
