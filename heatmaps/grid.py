"""Metres for maps: each municipality's metric CRS and the hexagon that holds a point.

Storage is WGS 84. Grids are laid in metres, in the UTM zone of the municipality's centroid
(Lesedi, at 28.5° E, 26.5° S: zone 35 south, EPSG:32735), where distortion across a municipality
is well under 0.1%.

Hexagons are PostGIS's own (`ST_HexagonGrid`, `ST_Hexagon`): `size` is the edge length (the
distance from the centre to each corner), flat-topped, cell (i, j) centred at
x = 1.5·size·i, y = √3·size·(j + |i mod 2|/2), from the CRS origin. A point belongs to the cell
whose centre is nearest (a hexagonal grid is the Voronoi diagram of its centres), found by
arithmetic on the stored metric x, y instead of a spatial join against generated polygons. A point
exactly on an edge goes to the nearer-by-rounding centre, the lower column on a tie.
"""

import math

from django.db import connection

# The EPSG code of the WGS 84 / UTM zone of a point given in lon/lat (SQL, {point} substituted).
UTM_SRID_SQL = (
    "(CASE WHEN ST_Y({point}) < 0 THEN 32700 ELSE 32600 END"
    " + least(60, greatest(1, floor((ST_X({point}) + 180) / 6)::int + 1)))"
)
MUNICIPALITY_METRIC_SRID_SQL = UTM_SRID_SQL.format(point="ST_Centroid(m.boundary)")

HEX_SIZES = (250, 500, 1000)  # the sizes the dashboard offers; the API takes any in HEX_SIZE_RANGE
HEX_SIZE_RANGE = (50, 20000)


def metric_srid(municipality_id: int) -> int | None:
    """The UTM zone EPSG code for the municipality, or None while it has no boundary."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {MUNICIPALITY_METRIC_SRID_SQL} FROM wards_municipality m WHERE m.id = %s",
                       [municipality_id])
        row = cursor.fetchone()
    return row[0] if row else None


def hex_cell_sql(x: str, y: str, size: str = "%(hex_size)s::float8", h: str = "%(hex_h)s::float8") -> str:
    """SQL giving the (i, j) of the hexagon of edge `size` holding the point (x, y), as two columns
    hex_i, hex_j of a LATERAL subquery (`h` is size·√3/2). The nearest centre is in column
    floor(x / 1.5s) or the next one; within a column, centres are √3·s apart. All float8: a numeric
    operand (an uncast parameter) makes PostgreSQL compute in numeric, several times slower."""
    return f"""
    CROSS JOIN LATERAL (
        SELECT CASE WHEN c.d0 <= c.d1 THEN c.i0 ELSE c.i0 + 1 END AS hex_i,
               CASE WHEN c.d0 <= c.d1 THEN c.j0 ELSE c.j1 END AS hex_j
          FROM (
            SELECT b.i0, b.j0, b.j1,
                   power({x} - 1.5::float8 * {size} * b.i0, 2)
                     + power({y} - {h} * (2 * b.j0 + abs(b.i0 %% 2)), 2) AS d0,
                   power({x} - 1.5::float8 * {size} * (b.i0 + 1), 2)
                     + power({y} - {h} * (2 * b.j1 + abs((b.i0 + 1) %% 2)), 2) AS d1
              FROM (
                SELECT a.i0,
                       round(({y} / {h} - abs(a.i0 %% 2)) / 2.0::float8)::int AS j0,
                       round(({y} / {h} - abs((a.i0 + 1) %% 2)) / 2.0::float8)::int AS j1
                  FROM (SELECT floor({x} / (1.5::float8 * {size}))::int AS i0) a
              ) b
          ) c
    ) hex"""


def hex_params(size: float) -> dict:
    return {"hex_size": float(size), "hex_h": float(size) * math.sqrt(3) / 2}


def hexagon_polygon(size: float, i: int, j: int):
    """Cell (i, j) as a shapely polygon in the metric CRS: the same corners as ST_Hexagon(size, i, j)."""
    from shapely.geometry import Polygon

    h = size * math.sqrt(3) / 2
    cx, cy = 1.5 * size * i, h * (2 * j + abs(i % 2))
    return Polygon([(cx - size, cy), (cx - size / 2, cy - h), (cx + size / 2, cy - h), (cx + size, cy),
                    (cx + size / 2, cy + h), (cx - size / 2, cy + h)])
