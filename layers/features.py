"""Selecting a layer's features: the filters every way out shares (bbox, datetime, published
properties), keyset pages on the id, and feature rows built as GeoJSON by PostgreSQL.

Nothing here sees a request: parameters come in as a plain mapping of strings, and a bad one raises
BadParameter naming it, which each edge turns into its own 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet

from gisplatform import geojson
from gisplatform.params import BadParameter, parse_bbox
from layers.registry import Layer

# Six decimals of a degree is about 0.1 m, the same as the other GeoJSON the platform serves.
PRECISION = 6
OPEN_END = {"", ".."}


@dataclass(frozen=True)
class FeatureFilter:
    bbox: tuple[float, float, float, float] | None = None
    # A closed or half-open interval [start, end]; None at either end means unbounded.
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    properties: dict[str, str] = field(default_factory=dict)


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
    """SQL returning (id, feature as GeoJSON text) per row, in the queryset's order and slice:
    paging needs the first and last ids, and Python only joins the database's text."""
    sql, params = geojson.feature_rows_sql(rows, geometry=layer.geometry, properties=layer.properties,
                                           feature_id=layer.id_path, precision=precision)
    return f"SELECT r.id, r.feature::text FROM ({sql}) AS r", params


@contextmanager
def single_process_cursor():
    """A cursor whose statements run in one server process, in a transaction of their own.

    A page of 100 features, or a tile of a few thousand, is milliseconds of work: the planner still
    picks a parallel plan on a million-row table, and launching the workers cost 40-50 ms on a busy
    2-core machine for 8 ms of work (benchmarks/layers.py, OGC items with a bbox)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield cursor


def feature_rows(layer: Layer, rows: QuerySet) -> list[tuple]:
    sql, params = feature_rows_sql(layer, rows)
    with single_process_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Page:
    features: list[str]  # each a GeoJSON Feature as text, straight from PostgreSQL
    first_id: object = None
    last_id: object = None
    has_next: bool = False
    has_prev: bool = False


def _page_rows(layer: Layer, rows: QuerySet, ordering: str, limit: int) -> list[tuple]:
    """The first `limit` rows in `ordering`, as features. The ids are chosen first, on the filtered
    table alone; only those rows are then joined to what their properties read (category, ward, ...):
    joining every issue of the bbox before keeping 100 was half the time of a page at a million issues."""
    chosen = rows.order_by(ordering).values(layer.id_path)[:limit]
    return feature_rows(layer, rows.model._base_manager.filter(**{f"{layer.id_path}__in": chosen}).order_by(ordering))


def page(layer: Layer, rows: QuerySet, *, limit: int, after=None, before=None) -> Page:
    """One keyset page ordered by the id: after=<id> (forwards) or before=<id> (backwards).

    One query fetches limit + 1 rows, the extra one only telling whether another page follows.
    """
    id_path = layer.id_path
    if before is not None:
        fetched = _page_rows(layer, rows.filter(**{f"{id_path}__lt": before}), f"-{id_path}", limit + 1)
        more = len(fetched) > limit
        fetched = list(reversed(fetched[:limit]))
        result = Page([text for _, text in fetched], has_prev=more, has_next=True)
    else:
        if after is not None:
            rows = rows.filter(**{f"{id_path}__gt": after})
        fetched = _page_rows(layer, rows, id_path, limit + 1)
        more = len(fetched) > limit
        fetched = fetched[:limit]
        result = Page([text for _, text in fetched], has_next=more, has_prev=after is not None)
    if fetched:
        result.first_id, result.last_id = fetched[0][0], fetched[-1][0]
    return result
