"""Mapbox vector tiles built by PostGIS (ST_AsMVT), and the TileJSON that describes them.

The tile filter is `geom && ST_Transform(ST_TileEnvelope(z, x, y), <storage SRID>)`: the constant envelope
is transformed to the storage SRID, never the indexed column, so the GiST index finds the rows.
Only the rows found are transformed to Web Mercator and clipped by ST_AsMVTGeom. A point layer whose table
has the grid index (TileRules.grid_index) finds a tile's points as one key range of that btree instead, at
every zoom.

A tile's SQL is built once per layer, kind of tile and filter shape, and each request binds z/x/y and the
filters' values (prepared tiles, below).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.gis.db.models import Extent
from django.db import connections
from django.db.models import BigIntegerField, BooleanField, F, Func, IntegerField, QuerySet, Value

from layers.features import (
    Bound,
    FeatureFilter,
    FilterShape,
    PreparedByShape,
    Slot,
    bind,
    bound_filter,
    bound_rows,
    fetch_in_one_process,
    filtered,
)
from layers.registry import Layer
from toolkit.conf import storage_srid
from toolkit.params import BadParameter
from toolkit.replica import read_alias

MAX_ZOOM = 22
TILE_EXTENT = 4096  # MVT's own coordinate resolution inside a tile
BUFFER = 64  # clip a little outside the tile so polygon edges do not show at tile seams
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


class InTile(Func):
    """`geometry && ST_Transform(ST_TileEnvelope(z, x, y), <storage SRID>)`, as a filter expression (z, x and y: whole
    numbers, or Bound placeholders of a prepared tile)."""

    output_field = BooleanField()

    def __init__(self, geometry: str, z, x, y):
        super().__init__(F(geometry), *(part if hasattr(part, "resolve_expression") else Value(part) for part in (z, x, y)))

    def as_sql(self, compiler, connection, **extra_context):
        (geometry, geometry_params), *corner = (compiler.compile(part) for part in self.get_source_expressions())
        envelope = ", ".join(sql for sql, _ in corner)
        params = [*geometry_params, *(param for _, params in corner for param in params), storage_srid()]
        return f"({geometry} && ST_Transform(ST_TileEnvelope({envelope}), %s))", params


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise BadParameter("z", f"zoom {z} is outside 0 to {MAX_ZOOM}.")
    size = 2**z
    if not 0 <= x < size:
        raise BadParameter("x", f"column {x} is outside 0 to {size - 1} at zoom {z}.")
    if not 0 <= y < size:
        raise BadParameter("y", f"row {y} is outside 0 to {size - 1} at zoom {z}.")


# Where a point of longitude/latitude falls in the tile's own 4096-unit grid (y down), by the Web
# Mercator formulas: cheaper than ST_Transform and ST_AsMVTGeom on each point, and already in tile units.
# {inner} gives the rows with their point as layer_geom; the tile row is (world width in tile units at z,
# the tile's column, its row): the Slots "scale", "x" and "y".
TILE_POSITIONS = f"""
WITH tile AS (SELECT %s::float8 AS scale, %s::float8 AS x, %s::float8 AS y),
positions AS (
    SELECT (ST_X(f.layer_geom) + 180) / 360 * tile.scale - tile.x * {TILE_EXTENT} AS px,
           (1 - ln(tan(radians(ST_Y(f.layer_geom))) + 1 / cos(radians(ST_Y(f.layer_geom)))) / pi()) / 2 * tile.scale
               - tile.y * {TILE_EXTENT} AS py,
           f.*
      FROM ({{inner}}) AS f, tile
)"""
TILE_ORIGIN = [Slot("scale"), Slot("x"), Slot("y")]


# Points feature by feature, found on the GiST index: what ST_AsMVTGeom(ST_Transform(...)) gives a point
# (its tile position rounded, kept if within the buffer), without either call. OFFSET 0 keeps the buffer
# test out of the scan: pushed down, PostgreSQL computes each position twice and expects one row (so nested
# loops). The buffer matters only at high zoom, where the index's single-precision boxes reach past the tile.
POINT_FEATURES_SQL = TILE_POSITIONS + f"""
SELECT ST_AsMVT(t, %s, {TILE_EXTENT}, 'geom'{{id_argument}}) FROM (
    SELECT ST_MakePoint(round(f.px), round(f.py)) AS geom{{id_column}}{{columns}}
      FROM (SELECT * FROM positions OFFSET 0) AS f
     WHERE f.px >= -{BUFFER} AND f.px <= {TILE_EXTENT + BUFFER} AND f.py >= -{BUFFER} AND f.py <= {TILE_EXTENT + BUFFER}
) AS t
"""

# Points feature by feature, from the grid index (TileRules.grid_index): the tile is one key range of grid
# codes, half-open as the grid is, so each point is in exactly one tile and needs no buffer test. A point
# beyond Web Mercator's 85.05 degrees stays on the grid's edge row, as the aggregated tiles count it.
GRID_POINT_FEATURES_SQL = TILE_POSITIONS + f"""
SELECT ST_AsMVT(t, %s, {TILE_EXTENT}, 'geom'{{id_argument}}) FROM (
    SELECT ST_MakePoint(round(f.px), least(greatest(round(f.py), 0), {TILE_EXTENT})) AS geom{{id_column}}{{columns}}
      FROM positions AS f
) AS t
"""


# One feature per occupied grid cell of the tile: how many points it stands for, at their mean position
# (TILE_POSITIONS, no ST_Transform on half a million points). A point counts in the one tile whose half-open
# square [0, 4096) holds it, so the counts of all tiles add up to the layer's total. The rule is on points,
# not on whole cells (HAVING), so the planner keeps its parallel scan of the GiST index.
# Parameters: the tile row, the inner query's own, then the layer name and the cell's side in tile units twice.
AGGREGATE_SQL = TILE_POSITIONS + f"""
SELECT ST_AsMVT(c, %s, {TILE_EXTENT}, 'geom') FROM (
    SELECT ST_MakePoint(least(round(avg(px)), {TILE_EXTENT - 1}), least(round(avg(py)), {TILE_EXTENT - 1})) AS geom,
           count(*)::integer AS count
      FROM positions
     WHERE px >= 0 AND px < {TILE_EXTENT} AND py >= 0 AND py < {TILE_EXTENT}
     GROUP BY floor(px / %s), floor(py / %s)
) AS c
"""


# The same cells from the grid index (TileRules.grid_index): each point's column, row and Morton code on the
# 2^24 Web Mercator grid, stored with the row. A tile at zoom z is the codes [morton(x, y) << 2(24 - z),
# (morton(x, y) + 1) << 2(24 - z)) and a cell the codes sharing all but their last `shift` bits: one key range
# of an index-only scan, grouped by code >> shift; a point has one code, so the counts still add up. A grid
# unit is 2^(12 - z) tile units; a cell's point is the mean of its points' grid squares' middles.
# OFFSET 0 keeps the inner query reading the index's stored columns: flattened, PostgreSQL computes the grid
# functions again for every point, about 25 times slower.
GRID_LEVEL = 24
GRID_AGGREGATE_SQL = f"""
SELECT ST_AsMVT(c, %s, {TILE_EXTENT}, 'geom') FROM (
    SELECT ST_MakePoint(least(round((avg(f.grid_column) + 0.5 - %s) / %s), {TILE_EXTENT - 1}),
                        least(round((avg(f.grid_row) + 0.5 - %s) / %s), {TILE_EXTENT - 1})) AS geom,
           count(*)::integer AS count
      FROM ({{inner}} OFFSET 0) AS f
     GROUP BY f.grid_code >> %s
) AS c
"""


class GridFunction(Func):
    """One of the grid functions of layers/migrations/0002_issue_tile_grid_index.py on a point column."""

    def __init__(self, function: str, geometry: str):
        output = BigIntegerField() if function == "layers_grid_code" else IntegerField()
        super().__init__(F(geometry), function=function, output_field=output)


def morton(column: int, row: int) -> int:
    """The bits of column and row interleaved, column in the even bits (as layers_grid_interleave)."""
    code = 0
    for bit in range(GRID_LEVEL):
        code |= ((column >> bit) & 1) << (2 * bit) | ((row >> bit) & 1) << (2 * bit + 1)
    return code


# --- how a tile is drawn at each zoom -------------------------------------------------------------------
GRID_CELLS = "grid cells"  # aggregated, from one key range of the grid index (z12 and below)
CELLS = "cells"  # aggregated, points found on the GiST index
GRID_POINTS = "grid points"  # feature by feature, from one key range of the grid index
POINTS = "points"  # feature by feature, points found on the GiST index
SHAPES = "shapes"  # lines and polygons, feature by feature, clipped by ST_AsMVTGeom


def tile_kind(layer: Layer, z: int) -> str:
    is_point = layer.field(layer.geometry).geom_type == "POINT"
    if layer.aggregated_at(z):
        return GRID_CELLS if layer.tiles.grid_index and z <= GRID_LEVEL - 12 else CELLS
    if is_point:
        return GRID_POINTS if layer.tiles.grid_index and z <= GRID_LEVEL else POINTS
    return SHAPES


def tile_values(layer: Layer, z: int, x: int, y: int) -> dict:
    """The value of each tile Slot of a tile's statement (a statement reads those of its kind)."""
    values = {"z": z, "x": x, "y": y, "scale": 2**z * TILE_EXTENT}
    if z <= GRID_LEVEL:
        tile_bits = 2 * (GRID_LEVEL - z)  # the codes of one tile differ only in these last bits
        first = morton(x, y) << tile_bits
        values.update({"first code": first, "end code": first + (1 << tile_bits),
                       "origin column": x << (GRID_LEVEL - z), "origin row": y << (GRID_LEVEL - z)})
        if z <= GRID_LEVEL - 12:
            cells_per_side = 256 // layer.tiles.cell_pixels  # a power of two: cell_pixels divides 256
            values["cell shift"] = tile_bits - 2 * (cells_per_side.bit_length() - 1)
            values["grid unit"] = 1 << (GRID_LEVEL - z - 12)  # grid units per tile unit
    return values


def in_grid_range(layer: Layer, rows: QuerySet) -> QuerySet:
    """rows whose point's grid code is in the tile's range: one key range of the grid index."""
    return rows.alias(grid_code_range=GridFunction("layers_grid_code", layer.geometry)).filter(
        grid_code_range__gte=Bound("first code", BigIntegerField()),
        grid_code_range__lt=Bound("end code", BigIntegerField()),
    )


def tile_statement(layer: Layer, rows: QuerySet, kind: str, properties: tuple[str, ...]) -> tuple[str, list]:
    """The SQL of a tile of this kind over `rows`, carrying these published properties: parameters are the
    rows' own (values, or Slots of a prepared filter) and tile Slots, bound per tile (tile_values)."""
    # order_by(): a tile has no order, and a model's default ordering would sort every row found.
    rows = rows.order_by()
    if kind == GRID_CELLS:
        selected = in_grid_range(layer, rows).annotate(
            grid_code=GridFunction("layers_grid_code", layer.geometry),
            grid_column=GridFunction("layers_grid_column", layer.geometry),
            grid_row=GridFunction("layers_grid_row", layer.geometry),
        ).values("grid_code", "grid_column", "grid_row")
        inner_sql, inner_params = selected.query.sql_with_params()
        return GRID_AGGREGATE_SQL.replace("{inner}", inner_sql), [
            layer.key, Slot("origin column"), Slot("grid unit"), Slot("origin row"), Slot("grid unit"),
            *inner_params, Slot("cell shift")]
    in_tile = InTile(layer.geometry, *(Bound(name, IntegerField()) for name in ("z", "x", "y")))
    if kind == CELLS:
        cell = TILE_EXTENT * layer.tiles.cell_pixels // 256  # tile units per cell
        selected = rows.filter(in_tile).annotate(layer_geom=F(layer.geometry)).values("layer_geom")
        inner_sql, inner_params = selected.query.sql_with_params()
        return AGGREGATE_SQL.replace("{inner}", inner_sql), [*TILE_ORIGIN, *inner_params, layer.key, cell, cell]
    aliases = {f"layer_prop_{index}": name for index, name in enumerate(properties)}
    integer_id = isinstance(layer.field(layer.id_path), IntegerField)
    found = in_grid_range(layer, rows) if kind == GRID_POINTS else rows.filter(in_tile)
    selected = found.annotate(
        layer_geom=F(layer.geometry),
        layer_id=F(layer.id_path),
        **{alias: F(layer.properties[name]) for alias, name in aliases.items()},
    ).values("layer_id", "layer_geom", *aliases)
    inner_sql, inner_params = selected.query.sql_with_params()
    # Published property names are checked identifiers (layers.registry.validate).
    columns = "".join(f', f.{alias} AS "{name}"' for alias, name in aliases.items())
    id_column, id_argument = (", f.layer_id AS layer_id", ", 'layer_id'") if integer_id else ("", "")
    if kind in (POINTS, GRID_POINTS):
        template = GRID_POINT_FEATURES_SQL if kind == GRID_POINTS else POINT_FEATURES_SQL
        sql = template.format(id_argument=id_argument, id_column=id_column, columns=columns, inner=inner_sql)
        return sql, [*TILE_ORIGIN, *inner_params, layer.key]
    sql = (
        f"SELECT ST_AsMVT(t, %s, {TILE_EXTENT}, 'geom'{id_argument}) FROM ("
        "SELECT ST_AsMVTGeom(ST_Transform(f.layer_geom, 3857), ST_TileEnvelope(%s, %s, %s), "
        f"{TILE_EXTENT}, {BUFFER}, true) AS geom{id_column}{columns} FROM ({inner_sql}) AS f"
        ") AS t WHERE t.geom IS NOT NULL"
    )
    return sql, [layer.key, Slot("z"), Slot("x"), Slot("y"), *inner_params]


def tile_sql(layer: Layer, rows: QuerySet, z: int, x: int, y: int) -> tuple[str, list]:
    """The SQL of one tile over `rows` (compiled now): feature by feature, or grid cells with counts where
    the layer aggregates."""
    check_tile(z, x, y)
    sql, params = tile_statement(layer, rows, tile_kind(layer, z), tuple(layer.tile_properties(z)))
    return sql, bind(params, tile_values(layer, z, x, y))


# --- prepared tiles ---------------------------------------------------------------------------------
# As pages (layers/features.py): a tile's SQL depends on the layer, the kind of tile, its properties and
# which filters are given, never on z, x, y or the filters' values, so the ORM compiles it once per shape
# and each request binds its values.


@dataclass(frozen=True)
class TileShape:
    kind: str
    properties: tuple[str, ...]  # the published properties the tile carries
    filter: FilterShape


def _prepare(layer: Layer, shape: TileShape) -> tuple[str, list]:
    rows = bound_rows(layer, shape.filter)
    sql, params = tile_statement(layer, rows, shape.kind, shape.properties)
    return sql, list(params)


prepared_tile_sql = PreparedByShape(_prepare)  # (layer, TileShape) -> the tile's SQL and parameters, Slots for values


def run_tile(layer: Layer, z: int, sql: str, params: list) -> bytes:
    # Only aggregated tiles read from the table (hundreds of thousands of rows) gain from parallel workers;
    # for a few thousand features, or one key range of the grid index, starting them costs more than it saves.
    if tile_kind(layer, z) == CELLS:
        with connections[read_alias()].cursor() as cursor:
            cursor.execute(sql, params)
            tile = cursor.fetchone()[0]
    else:
        tile = fetch_in_one_process(sql, params)[0][0]
    return bytes(tile or b"")


def render_tile(layer: Layer, rows: QuerySet, z: int, x: int, y: int) -> bytes:
    """One tile over `rows`, its SQL compiled for this request."""
    return run_tile(layer, z, *tile_sql(layer, rows, z, x, y))


def filtered_tile(layer: Layer, feature_filter: FeatureFilter, *, user=None, z: int, x: int, y: int) -> bytes:
    """One tile of the layer's rows that pass the filter, as `user` may see them."""
    check_tile(z, x, y)
    bound = bound_filter(layer, feature_filter, user=user)
    if bound is None:
        return render_tile(layer, filtered(layer, feature_filter, layer.rows_for(user)), z, x, y)
    shape = TileShape(kind=tile_kind(layer, z), properties=tuple(layer.tile_properties(z)), filter=bound.shape)
    sql, params = prepared_tile_sql(layer, shape)
    return run_tile(layer, z, sql, bind(params, {**bound.values, **tile_values(layer, z, x, y)}))


def etag(tile: bytes) -> str:
    """A weak ETag (RFC 9110, 8.8.1): the same tile gzipped or not is the same tile to a map."""
    return 'W/"' + hashlib.md5(tile, usedforsecurity=False).hexdigest() + '"'


FIELD_TYPES = {"IntegerField": "Number", "PositiveSmallIntegerField": "Number", "PositiveIntegerField": "Number",
               "BigIntegerField": "Number", "SmallIntegerField": "Number", "FloatField": "Number",
               "DecimalField": "Number", "BooleanField": "Boolean"}


def tilejson(layer: Layer, *, tile_url: str) -> dict:
    """TileJSON 3.0.0 for one layer; tile_url is the absolute template with {z}/{x}/{y}."""
    description = {
        "tilejson": "3.0.0",
        "name": layer.title,
        "description": layer.description,
        "tiles": [tile_url],
        "minzoom": layer.style.min_zoom,
        "maxzoom": min(layer.style.max_zoom, MAX_ZOOM),
        "vector_layers": [{
            "id": layer.key,
            "description": layer.title,
            "minzoom": layer.style.min_zoom,
            "maxzoom": min(layer.style.max_zoom, MAX_ZOOM),
            "fields": {name: FIELD_TYPES.get(layer.field(path).get_internal_type(), "String")
                       for name, path in layer.properties.items()},
        }],
        "imbizo:style": layer.style.as_dict(),
    }
    if layer.tiles.aggregate_below is not None:
        # Below this zoom each feature is a grid cell with the number of features it stands for.
        description["vector_layers"][0]["fields"]["count"] = "Number"
        description["imbizo:aggregated_below_zoom"] = layer.tiles.aggregate_below
    if layer.tiles.summary is not None:
        description["imbizo:summary_properties"] = list(layer.tiles.summary)
        description["imbizo:all_properties_from_zoom"] = layer.tiles.full_from
    if layer.cheap_to_count:
        extent = layer.queryset().aggregate(extent=Extent(layer.geometry))["extent"]
        if extent:
            description["bounds"] = list(extent)
            description["center"] = [(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2, layer.style.min_zoom]
    return description
