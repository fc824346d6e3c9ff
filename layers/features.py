"""Selecting a layer's features: the filters every way out shares (bbox, datetime, published
properties), keyset pages on the id, and feature rows built as GeoJSON by PostgreSQL.

Nothing here sees a request: parameters come in as a plain mapping of strings, and a bad one raises
BadParameter naming it, which each edge turns into its own 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import DateTimeField, Expression, FloatField, Func, QuerySet, Value

from layers.crs import DEFAULT as DEFAULT_CRS
from layers.crs import Crs, output_geometry
from layers.registry import Layer
from toolkit import geojson
from toolkit.conf import STORAGE_SRID, storage_srid
from toolkit.params import BadParameter, parse_bbox
from toolkit.params import parse_datetime as parse_date_time
from toolkit.replica import read_alias

OPEN_END = {"", ".."}


@dataclass(frozen=True)
class FeatureFilter:
    bbox: tuple[float, float, float, float] | None = None
    # A closed or half-open interval [start, end]; None at either end means unbounded.
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    properties: dict[str, str] = field(default_factory=dict)
    # A bbox written in another CRS (OGC's bbox-crs): the area it covers in the storage CRS, used instead of bbox.
    area: GEOSGeometry | None = None


def _parse_instant(raw: str, *, end: bool) -> dt.datetime:
    if "T" not in raw.upper() and len(raw) == 10:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise BadParameter("datetime", f"'{raw}' is not an RFC 3339 date or date-time.") from None
        return dt.datetime.combine(day, dt.time.max if end else dt.time.min, tzinfo=dt.UTC)
    # RFC 3339 date-times always carry their offset.
    return parse_date_time(raw, "datetime", zone_required=True)


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
    start, end = feature_filter.interval or (None, None)
    area = feature_filter.area or (feature_filter.bbox and Polygon.from_bbox(feature_filter.bbox))
    return _narrowed(layer, rows, bbox=area,
                     start=start, end=end,
                     properties={name: property_value(layer, name, value)
                                 for name, value in feature_filter.properties.items()})


def _narrowed(layer: Layer, rows: QuerySet, *, bbox=None, start=None, end=None, properties=None) -> QuerySet:
    """rows.filter() by each given value: a real value, or a Bound placeholder of a prepared page."""
    if bbox is not None:
        # ST_Intersects on the indexed column against a constant box: the GiST index is used.
        rows = rows.filter(**{f"{layer.geometry}__intersects": bbox})
    if layer.datetime_field:
        if start is not None:
            rows = rows.filter(**{f"{layer.datetime_field}__gte": start})
        if end is not None:
            rows = rows.filter(**{f"{layer.datetime_field}__lte": end})
    for name, value in (properties or {}).items():
        rows = rows.filter(**{layer.properties[name]: value})
    return rows


def property_value(layer: Layer, name: str, raw: str):
    """?<name>=<raw> as the value of the property's field, or BadParameter."""
    field = layer.field(layer.properties[name])
    try:
        return field.get_prep_value(field.to_python(raw))
    except (ValidationError, ValueError, TypeError):
        raise BadParameter(name, f"'{raw}' is not a valid {field.get_internal_type()} value.") from None


def parse_id(layer: Layer, raw: str, *, parameter: str):
    """A feature id (or a paging cursor) converted to the id field's type."""
    try:
        return layer.field(layer.id_path).to_python(raw)
    except (ValidationError, ValueError, TypeError):
        raise BadParameter(parameter, f"'{raw}' is not an id of this layer.") from None


def feature_rows_sql(layer: Layer, rows: QuerySet, *, crs: Crs = DEFAULT_CRS) -> tuple[str, tuple]:
    """SQL returning (id, feature as GeoJSON text) per row, in the queryset's order and slice:
    paging needs the first and last ids, and Python only joins the database's text. The geometry is
    written in `crs` (transformed by PostGIS)."""
    sql, params = geojson.feature_rows_sql(rows, geometry=output_geometry(layer.geometry, crs),
                                           properties=layer.properties, feature_id=layer.id_path,
                                           precision=crs.precision)
    return f"SELECT r.id, r.feature::text FROM ({sql}) AS r", params


def fetch_in_one_process(sql: str, params) -> list[tuple]:
    """The rows of one statement run in one server process: no parallel workers, since starting them
    costs more than a page's or a tile's 8 ms of work. SET LOCAL and the statement go as one message, one
    implicit transaction, so the setting ends with the statement."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = 0; {sql}", params)
        cursor.nextset()
        return cursor.fetchall()


def feature_rows(layer: Layer, rows: QuerySet, *, crs: Crs = DEFAULT_CRS) -> list[tuple]:
    return fetch_in_one_process(*feature_rows_sql(layer, rows, crs=crs))


@dataclass
class Page:
    features: list[str]  # each a GeoJSON Feature as text, straight from PostgreSQL
    first_id: object = None
    last_id: object = None
    has_next: bool = False
    has_prev: bool = False


def _page_query(layer: Layer, rows: QuerySet, ordering: str, limit: int) -> QuerySet:
    """The first `limit` rows in `ordering`. The ids are chosen first, on the filtered table alone; only
    those rows are then joined to what their properties read (category, ward, ...), not every row of the bbox."""
    chosen = rows.order_by(ordering).values(layer.id_path)[:limit]
    return rows.model._base_manager.filter(**{f"{layer.id_path}__in": chosen}).order_by(ordering)


def _paged(layer: Layer, fetched: list[tuple], *, limit: int, after, before) -> Page:
    """A Page from limit + 1 rows fetched in the page's direction (the extra one only says whether
    another page follows)."""
    more = len(fetched) > limit
    fetched = fetched[:limit]
    if before is not None:
        fetched.reverse()
        result = Page([text for _, text in fetched], has_prev=more, has_next=True)
    else:
        result = Page([text for _, text in fetched], has_next=more, has_prev=after is not None)
    if fetched:
        result.first_id, result.last_id = fetched[0][0], fetched[-1][0]
    return result


def page(layer: Layer, rows: QuerySet, *, limit: int, after=None, before=None, crs: Crs = DEFAULT_CRS) -> Page:
    """One keyset page of `rows` ordered by the id: after=<id> (forwards) or before=<id> (backwards)."""
    id_path = layer.id_path
    if before is not None:
        rows, ordering = rows.filter(**{f"{id_path}__lt": before}), f"-{id_path}"
    else:
        rows, ordering = (rows.filter(**{f"{id_path}__gt": after}) if after is not None else rows), id_path
    fetched = feature_rows(layer, _page_query(layer, rows, ordering, limit + 1), crs=crs)
    return _paged(layer, fetched, limit=limit, after=after, before=before)


# --- prepared pages ---------------------------------------------------------------------------------
# A page's SQL depends on which filters are given, not on their values, and compiling it with the ORM is
# about half of a page's time: so each shape's SQL is built once per layer, with placeholders (Bound) where
# the values go, and each request binds its values. Layer.queryset is compiled in with it, so its SQL must
# not change between calls (a test checks every layer); a layer with Layer.restrict is compiled per request.


@dataclass(frozen=True)
class Slot:
    """Where a Bound value goes in a prepared page's parameters."""

    name: str


class Bound(Expression):
    """A value bound per request: compiles to a placeholder whose parameter is a Slot."""

    def __init__(self, name: str, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [Slot(self.name)]


class BoundBox(Func):
    """The bbox of a prepared page: ST_MakeEnvelope(west, south, east, north, storage SRID)."""

    function = "ST_MakeEnvelope"
    output_field = GeometryField(srid=STORAGE_SRID)

    def __init__(self):
        super().__init__(*(Bound(side, FloatField()) for side in ("west", "south", "east", "north")), Value(storage_srid()))


@dataclass(frozen=True)
class FilterShape:
    """Which filters a request gives (never their values): a bbox, a start, an end, these properties."""

    bbox: bool
    start: bool
    end: bool
    properties: tuple[str, ...]


@dataclass(frozen=True)
class PageShape:
    filter: FilterShape
    direction: str  # "after", "before", or "" for the first page
    limit: int  # LIMIT is written into the SQL: a page size is part of the shape
    crs: Crs = DEFAULT_CRS  # the CRS the geometry is written in


class PreparedByShape:
    """SQL built once per layer and shape by `build(layer, shape)`, its parameters Slots where the values go.
    At most MAXIMUM_SHAPES per layer are kept; beyond that (many distinct page sizes) each is built anew."""

    MAXIMUM_SHAPES = 256

    def __init__(self, build):
        self.build = build
        self._by_layer: dict[int, tuple[Layer, dict]] = {}

    def __call__(self, layer: Layer, shape) -> tuple[str, list]:
        _, shapes = self._by_layer.setdefault(id(layer), (layer, {}))  # the layer is kept, so its id stays its own
        prepared = shapes.get(shape)
        if prepared is None:
            prepared = self.build(layer, shape)
            if len(shapes) < self.MAXIMUM_SHAPES:
                shapes[shape] = prepared
        return prepared


def bound_rows(layer: Layer, shape: FilterShape) -> QuerySet:
    """The layer's own rows narrowed by the filters given, each value a Bound placeholder."""
    return _narrowed(layer, layer.queryset(), bbox=BoundBox() if shape.bbox else None,
                     start=Bound("start", DateTimeField()) if shape.start else None,
                     end=Bound("end", DateTimeField()) if shape.end else None,
                     properties={name: Bound(f"property {name}", layer.field(layer.properties[name]))
                                 for name in shape.properties})


def _prepare(layer: Layer, shape: PageShape) -> tuple[str, list]:
    id_field = layer.field(layer.id_path)
    rows = bound_rows(layer, shape.filter)
    ordering = layer.id_path
    if shape.direction == "after":
        rows = rows.filter(**{f"{layer.id_path}__gt": Bound("after", id_field)})
    elif shape.direction == "before":
        rows = rows.filter(**{f"{layer.id_path}__lt": Bound("before", id_field)})
        ordering = f"-{layer.id_path}"
    sql, params = feature_rows_sql(layer, _page_query(layer, rows, ordering, shape.limit + 1), crs=shape.crs)
    return sql, list(params)


prepared_page_sql = PreparedByShape(_prepare)  # (layer, PageShape) -> the page's SQL and parameters


@dataclass(frozen=True)
class BoundFilter:
    """A filter ready for SQL prepared once per shape: which filters are given, and the value of each Slot."""

    shape: FilterShape
    values: dict


def bound_filter(layer: Layer, feature_filter: FeatureFilter, *, user=None) -> BoundFilter | None:
    """The filter's shape and values, or None when the SQL must be compiled for this request: a layer whose
    rows depend on the viewer, a property value the ORM writes as IS NULL (no placeholder fits it), or a bbox
    in another CRS (an area of its own shape)."""
    prepared_values = {name: property_value(layer, name, raw) for name, raw in feature_filter.properties.items()}
    if ((layer.restrict is not None and user is not None) or None in prepared_values.values()
            or feature_filter.area is not None):
        return None
    start, end = feature_filter.interval if feature_filter.interval and layer.datetime_field else (None, None)
    # What the ORM would bind for each value (a lookup on an expression leaves conversion to us).
    values = {f"property {name}": layer.field(layer.properties[name]).get_db_prep_value(value, connection, prepared=True)
              for name, value in prepared_values.items()}
    if feature_filter.bbox:
        values.update(zip(("west", "south", "east", "north"), feature_filter.bbox, strict=True))
    moments = DateTimeField()
    values.update(start=start and moments.get_db_prep_value(start, connection),
                  end=end and moments.get_db_prep_value(end, connection))
    shape = FilterShape(bbox=bool(feature_filter.bbox), start=start is not None, end=end is not None,
                        properties=tuple(feature_filter.properties))
    return BoundFilter(shape=shape, values=values)


def bind(params, values: Mapping) -> list:
    """A prepared page's or tile's parameters with each Slot replaced by its value."""
    return [values[param.name] if isinstance(param, Slot) else param for param in params]


def filtered_page(layer: Layer, feature_filter: FeatureFilter, *, user=None, limit: int, after=None,
                  before=None, crs: Crs = DEFAULT_CRS) -> Page:
    """One keyset page of the layer's rows that pass the filter, as `user` may see them."""
    bound = bound_filter(layer, feature_filter, user=user)
    if bound is None:
        rows = filtered(layer, feature_filter, layer.rows_for(user))
        return page(layer, rows, limit=limit, after=after, before=before, crs=crs)
    direction = "before" if before is not None else "after" if after is not None else ""
    shape = PageShape(filter=bound.shape, direction=direction, limit=limit, crs=crs)
    id_field = layer.field(layer.id_path)
    values = {**bound.values,
              "after": None if after is None else id_field.get_db_prep_value(after, connection),
              "before": None if before is None else id_field.get_db_prep_value(before, connection)}
    sql, params = prepared_page_sql(layer, shape)
    fetched = fetch_in_one_process(sql, bind(params, values))
    return _paged(layer, fetched, limit=limit, after=after, before=before)
