"""Selecting a layer's features: the filters every way out shares (bbox, datetime, published
properties), keyset pages on the id, and feature rows built as GeoJSON by PostgreSQL.

Nothing here sees a request: parameters come in as a plain mapping of strings, and a bad one raises
BadParameter naming it, which each edge turns into its own 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, QuerySet

from layers.registry import Layer

# Six decimals of a degree is about 0.1 m, the same as the other GeoJSON the platform serves.
PRECISION = 6
OPEN_END = {"", ".."}


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(f"Invalid parameter '{name}': {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class FeatureFilter:
    bbox: tuple[float, float, float, float] | None = None
    # A closed or half-open interval [start, end]; None at either end means unbounded.
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    properties: dict[str, str] = field(default_factory=dict)


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """minLon,minLat,maxLon,maxLat in WGS 84 (OGC's CRS84 order)."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) == 6:  # a 3D box: the heights do not matter for 2D areas
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise BadParameter("bbox", "expected four numbers: minLon,minLat,maxLon,maxLat.")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise BadParameter("bbox", f"'{raw}' has a part that is not a number.") from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise BadParameter("bbox", "coordinates must be longitude/latitude in WGS 84.")
    if west > east or south > north:
        raise BadParameter("bbox", "the minimum corner must come before the maximum corner.")
    return (west, south, east, north)


def _parse_instant(raw: str, *, end: bool) -> dt.datetime:
    try:
        if "T" not in raw.upper() and len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter("datetime", f"'{raw}' is not an RFC 3339 date or date-time.") from None
    if moment.tzinfo is None:
        raise BadParameter("datetime", f"'{raw}' has no time zone (add Z or an offset such as +02:00).")
    return moment


def parse_datetime(raw: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """An instant (`2021-11-01T10:00:00Z`, or a whole day `2021-11-01`) or an interval
    (`start/end`, either end open as `..` or empty)."""
    if raw is None or raw == "":
        return None
    if "/" in raw:
        start_raw, _, end_raw = raw.partition("/")
        if start_raw in OPEN_END and end_raw in OPEN_END:
            raise BadParameter("datetime", "an interval needs at least one end.")
        start = None if start_raw in OPEN_END else _parse_instant(start_raw, end=False)
        end = None if end_raw in OPEN_END else _parse_instant(end_raw, end=True)
        if start and end and start > end:
            raise BadParameter("datetime", "the interval ends before it starts.")
        return (start, end)
    return (_parse_instant(raw, end=False), _parse_instant(raw, end=True))


def parse_limit(raw: str | None, *, default: int = 100, maximum: int = 10_000) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter("limit", f"'{raw}' is not a whole number.") from None
    if not 1 <= value <= maximum:
        raise BadParameter("limit", f"{value} is outside the range 1 to {maximum}.")
    return value


def parse_filter(layer: Layer, params: Mapping[str, str]) -> FeatureFilter:
    """The shared filters: bbox, datetime and ?<published property>=<value>."""
    return FeatureFilter(
        bbox=parse_bbox(params.get("bbox")),
        interval=parse_datetime(params.get("datetime")),
        properties={name: params[name] for name in layer.properties if params.get(name) not in (None, "")},
    )


def filtered(layer: Layer, feature_filter: FeatureFilter, queryset: QuerySet | None = None) -> QuerySet:
    """The layer's rows that pass the filter; a value that does not fit its property raises BadParameter."""
    rows = layer.queryset() if queryset is None else queryset
    if feature_filter.bbox:
        # ST_Intersects on the indexed column against a constant box: the GiST index is used.
        rows = rows.filter(**{f"{layer.geometry}__intersects": Polygon.from_bbox(feature_filter.bbox)})
    if feature_filter.interval and layer.datetime_field:
        start, end = feature_filter.interval
        if start:
            rows = rows.filter(**{f"{layer.datetime_field}__gte": start})
        if end:
            rows = rows.filter(**{f"{layer.datetime_field}__lte": end})
    for name, value in feature_filter.properties.items():
        field = layer.field(layer.properties[name])
        try:
            value = field.to_python(value)
            rows = rows.filter(**{layer.properties[name]: value})
        except (ValidationError, ValueError, TypeError):
            raise BadParameter(name, f"'{value}' is not a valid {field.get_internal_type()} value.") from None
    return rows


def parse_id(layer: Layer, raw: str, *, parameter: str):
    """A feature id (or a paging cursor) converted to the id field's type."""
    try:
        return layer.field(layer.id_path).to_python(raw)
    except (ValidationError, ValueError, TypeError):
        raise BadParameter(parameter, f"'{raw}' is not an id of this layer.") from None


def feature_rows_sql(layer: Layer, rows: QuerySet, *, precision: int = PRECISION) -> tuple[str, tuple]:
    """SQL returning (id, feature as GeoJSON text) per row, in the queryset's order and slice.

    The same shape as gisplatform.geojson.feature_collection_sql, but one row per feature: paging
    needs the first and last ids, and Python only joins the database's text, never parses it.
    """
    aliases = {f"layer_prop_{index}": name for index, name in enumerate(layer.properties)}
    annotated = rows.annotate(
        layer_geometry=AsGeoJSON(layer.geometry, precision=precision),
        layer_id=F(layer.id_path),
        **{alias: F(layer.properties[name]) for alias, name in aliases.items()},
    ).values("layer_id", "layer_geometry", *aliases)
    inner_sql, params = annotated.query.sql_with_params()
    # Property names are checked identifiers (layers.registry.validate): safe to place in SQL.
    pairs = ", ".join(f"'{name}', f.{alias}" for alias, name in aliases.items())
    sql = (
        "SELECT f.layer_id, json_build_object('type', 'Feature', 'id', f.layer_id, "
        f"'geometry', f.layer_geometry::json, 'properties', json_build_object({pairs}))::text "
        f"FROM ({inner_sql}) AS f"
    )
    return sql, params


def feature_rows(layer: Layer, rows: QuerySet) -> list[tuple]:
    sql, params = feature_rows_sql(layer, rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Page:
    features: list[str]  # each a GeoJSON Feature as text, straight from PostgreSQL
    first_id: object = None
    last_id: object = None
    has_next: bool = False
    has_prev: bool = False


def page(layer: Layer, rows: QuerySet, *, limit: int, after=None, before=None) -> Page:
    """One keyset page ordered by the id: after=<id> (forwards) or before=<id> (backwards).

    One query fetches limit + 1 rows, the extra one only telling whether another page follows.
    """
    id_path = layer.id_path
    if before is not None:
        fetched = feature_rows(layer, rows.filter(**{f"{id_path}__lt": before}).order_by(f"-{id_path}")[: limit + 1])
        more = len(fetched) > limit
        fetched = list(reversed(fetched[:limit]))
        result = Page([text for _, text in fetched], has_prev=more, has_next=True)
    else:
        if after is not None:
            rows = rows.filter(**{f"{id_path}__gt": after})
        fetched = feature_rows(layer, rows.order_by(id_path)[: limit + 1])
        more = len(fetched) > limit
        fetched = fetched[:limit]
        result = Page([text for _, text in fetched], has_next=more, has_prev=after is not None)
    if fetched:
        result.first_id, result.last_id = fetched[0][0], fetched[-1][0]
    return result
