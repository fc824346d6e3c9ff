"""Mapbox vector tiles built by PostGIS (ST_AsMVT), and the TileJSON that describes them.

The tile filter is `geom && ST_Transform(ST_TileEnvelope(z, x, y), 4326)`: the constant envelope
is transformed to the storage SRID, never the indexed column, so the GiST index finds the rows
(REFERENCES.md: wrapping the column in ST_Transform skipped the index, 7.5 s against 131 ms).
Only the rows found are transformed to Web Mercator and clipped by ST_AsMVTGeom.
"""

from __future__ import annotations

import hashlib

from django.contrib.gis.db.models import Extent
from django.db import connection
from django.db.models import BooleanField, F, Func, IntegerField, QuerySet, Value

from gisplatform.params import BadParameter
from layers.features import single_process_cursor
from layers.registry import Layer

MAX_ZOOM = 22
TILE_EXTENT = 4096  # MVT's own coordinate resolution inside a tile
BUFFER = 64  # clip a little outside the tile so polygon edges do not show at tile seams
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


class InTile(Func):
    """`geometry && ST_Transform(ST_TileEnvelope(z, x, y), 4326)`, as a filter expression."""

    output_field = BooleanField()

    def __init__(self, geometry: str, z: int, x: int, y: int):
        super().__init__(F(geometry), Value(z), Value(x), Value(y))

    def as_sql(self, compiler, connection, **extra_context):
        (geometry, geometry_params), *corner = (compiler.compile(part) for part in self.get_source_expressions())
        envelope = ", ".join(sql for sql, _ in corner)
        params = [*geometry_params, *(param for _, params in corner for param in params)]
        return f"({geometry} && ST_Transform(ST_TileEnvelope({envelope}), 4326))", params


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise BadParameter("z", f"zoom {z} is outside 0 to {MAX_ZOOM}.")
    size = 2**z
    if not 0 <= x < size:
        raise BadParameter("x", f"column {x} is outside 0 to {size - 1} at zoom {z}.")
    if not 0 <= y < size:
        raise BadParameter("y", f"row {y} is outside 0 to {size - 1} at zoom {z}.")


def tile_sql(layer: Layer, rows: QuerySet, z: int, x: int, y: int) -> tuple[str, list]:
    """The SQL of one tile: feature by feature, or grid cells with counts where the layer aggregates."""
    check_tile(z, x, y)
    if layer.aggregated_at(z):
        return aggregated_tile_sql(layer, rows, z, x, y)
    properties = layer.tile_properties(z)
    aliases = {f"layer_prop_{index}": name for index, name in enumerate(properties)}
    integer_id = isinstance(layer.field(layer.id_path), IntegerField)
    # order_by(): a tile has no order, and a model's default ordering would sort every row found.
    selected = rows.order_by().filter(InTile(layer.geometry, z, x, y)).annotate(
        layer_geom=F(layer.geometry),
        layer_id=F(layer.id_path),
        **{alias: F(properties[name]) for alias, name in aliases.items()},
    ).values("layer_id", "layer_geom", *aliases)
    inner_sql, inner_params = selected.query.sql_with_params()
    # Published property names are checked identifiers (layers.registry.validate).
    columns = "".join(f', f.{alias} AS "{name}"' for alias, name in aliases.items())
    id_column, id_argument = (", f.layer_id AS layer_id", ", 'layer_id'") if integer_id else ("", "")
    sql = (
        f"SELECT ST_AsMVT(t, %s, {TILE_EXTENT}, 'geom'{id_argument}) FROM ("
        "SELECT ST_AsMVTGeom(ST_Transform(f.layer_geom, 3857), ST_TileEnvelope(%s, %s, %s), "
        f"{TILE_EXTENT}, {BUFFER}, true) AS geom{id_column}{columns} FROM ({inner_sql}) AS f"
        ") AS t WHERE t.geom IS NOT NULL"
    )
    return sql, [layer.key, z, x, y, *inner_params]


# One feature per occupied grid cell of the tile: how many points it stands for, drawn at their mean
# position. The points found on the index (`geom && envelope`) are placed in the tile's own 4096-unit
# grid by the Web Mercator formulas on their longitude and latitude, which is cheaper than
# ST_Transform for each of half a million points and needs no ST_AsMVTGeom: the position already is
# in tile units, y down. A point counts in the one tile whose half-open square [0, 4096) holds it, so
# a point on a tile edge is not counted twice and the counts of all tiles add up to the layer's total.
# Measured on the densest z10 tile of the million-issue benchmark (393,000 issues): this plan (a
# parallel bitmap scan of the GiST index, each worker grouping its share) takes about 350 ms; the same
# rule written on whole cells (HAVING on aggregates) let the planner expect every row and pick a
# single-process sequential scan, 600-700 ms. The floor is reading the rows from the table's heap.
# Parameters: scale (2^z * extent), x, y, the inner query's own, then the layer name and the cell's side
# in tile units twice.
AGGREGATE_SQL = f"""
WITH tile AS (SELECT %s::float8 AS scale, %s::float8 AS x, %s::float8 AS y),
positions AS (
    SELECT (p.lon + 180) / 360 * tile.scale - tile.x * {TILE_EXTENT} AS px,
           (1 - ln(tan(radians(p.lat)) + 1 / cos(radians(p.lat))) / pi()) / 2 * tile.scale
               - tile.y * {TILE_EXTENT} AS py
      FROM (SELECT ST_X(f.layer_geom) AS lon, ST_Y(f.layer_geom) AS lat FROM ({{inner}}) AS f) AS p, tile
)
SELECT ST_AsMVT(c, %s, {TILE_EXTENT}, 'geom') FROM (
    SELECT ST_MakePoint(least(round(avg(px)), {TILE_EXTENT - 1}), least(round(avg(py)), {TILE_EXTENT - 1})) AS geom,
           count(*)::integer AS count
      FROM positions
     WHERE px >= 0 AND px < {TILE_EXTENT} AND py >= 0 AND py < {TILE_EXTENT}
     GROUP BY floor(px / %s), floor(py / %s)
) AS c
"""


def aggregated_tile_sql(layer: Layer, rows: QuerySet, z: int, x: int, y: int) -> tuple[str, list]:
    cell = TILE_EXTENT * layer.tiles.cell_pixels // 256  # tile units per cell
    selected = rows.order_by().filter(InTile(layer.geometry, z, x, y)).annotate(
        layer_geom=F(layer.geometry)).values("layer_geom")
    inner_sql, inner_params = selected.query.sql_with_params()
    return AGGREGATE_SQL.replace("{inner}", inner_sql), [2**z * TILE_EXTENT, x, y, *inner_params, layer.key, cell, cell]


def render_tile(layer: Layer, rows: QuerySet, z: int, x: int, y: int) -> bytes:
    sql, params = tile_sql(layer, rows, z, x, y)
    # A tile drawn feature by feature holds a few thousand rows: starting parallel workers and merging
    # their partial ST_AsMVT costs more than it saves (the densest z14 tile of the million-issue
    # benchmark, 3,000 issues: 29 ms in parallel, 14 ms without). Aggregated tiles read hundreds of
    # thousands of rows and keep their workers (470 ms against 1,170 ms).
    with (connection.cursor() if layer.aggregated_at(z) else single_process_cursor()) as cursor:
        cursor.execute(sql, params)
        tile = cursor.fetchone()[0]
    return bytes(tile or b"")


def etag(tile: bytes) -> str:
    return '"' + hashlib.md5(tile, usedforsecurity=False).hexdigest() + '"'


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
