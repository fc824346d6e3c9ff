"""A narrow index that low-zoom issue tiles read instead of the issues table (layers/tiles.py).

Each point's place on a 2^24 x 2^24 Web Mercator grid (one unit of a 4096-unit tile at z12, the finest
aggregated zoom) and the Morton (Z-order) code of that place. Every tile at z12 and below is one
contiguous range of codes, and each of its 16-pixel cells a shorter range inside it, so an aggregated
tile is one key range of this btree, grouped by `code >> shift`. The index also carries what the
public and staff filters read (status, category, municipality) and the location itself: PostgreSQL
plans an index-only scan only when every column the query names is in the index, and the grid
functions name `location`.

Why here and not in triage: the index serves publishing, not the issue workflow; the platform's issue
model does not declare it (RunSQL, no model state), so `makemigrations --check` stays clean.

The functions are immutable, as an index expression must be: SQL-standard bodies (parsed at creation,
so a dump restores without search_path surprises), and the bit interleaving in PL/pgSQL on built-in
operators only. The index is built CONCURRENTLY: a million issues take about ten seconds (92 MB, the
table's GiST index is 90 MB), and intake must not wait for it. Each new or moved issue pays three
function calls and one more btree entry.
"""

from django.db import migrations

# One statement each: RunSQL runs a list's strings as they are (the plpgsql body holds semicolons).
GRID_FUNCTIONS = [
    """
CREATE OR REPLACE FUNCTION layers_grid_column(location geometry) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN least(greatest(floor((ST_X(location) + 180) / 360 * 16777216), 0), 16777215)::integer
""",
    # Web Mercator stops at 85.0511 degrees north and south; points beyond are kept on the edge row.
    """
CREATE OR REPLACE FUNCTION layers_grid_row(location geometry) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN least(greatest(floor(
        (0.5 - ln(tan(pi() / 4 + radians(least(greatest(ST_Y(location), -85.0511287798066), 85.0511287798066)) / 2))
               / (2 * pi())) * 16777216), 0), 16777215)::integer
""",
    # The Morton code: the bits of column and row interleaved (column in the even bits).
    """
CREATE OR REPLACE FUNCTION layers_grid_interleave(grid_column integer, grid_row integer) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    x bigint := grid_column;
    y bigint := grid_row;
BEGIN
    x := (x | (x << 16)) & 281470681808895;      -- 0x0000FFFF0000FFFF
    x := (x | (x << 8)) & 71777214294589695;     -- 0x00FF00FF00FF00FF
    x := (x | (x << 4)) & 1085102592571150095;   -- 0x0F0F0F0F0F0F0F0F
    x := (x | (x << 2)) & 3689348814741910323;   -- 0x3333333333333333
    x := (x | (x << 1)) & 6148914691236517205;   -- 0x5555555555555555
    y := (y | (y << 16)) & 281470681808895;
    y := (y | (y << 8)) & 71777214294589695;
    y := (y | (y << 4)) & 1085102592571150095;
    y := (y | (y << 2)) & 3689348814741910323;
    y := (y | (y << 1)) & 6148914691236517205;
    RETURN x | (y << 1);
END
$$
""",
    """
CREATE OR REPLACE FUNCTION layers_grid_code(location geometry) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN layers_grid_interleave(layers_grid_column(location), layers_grid_row(location))
""",
]
DROP_GRID_FUNCTIONS = [f"DROP FUNCTION IF EXISTS {signature}" for signature in (
    "layers_grid_code(geometry)", "layers_grid_interleave(integer, integer)", "layers_grid_row(geometry)",
    "layers_grid_column(geometry)")]

# An index build stopped half-way (CONCURRENTLY leaves an invalid index behind) is dropped and built again.
ISSUE_TILE_GRID_INDEX = ["DROP INDEX CONCURRENTLY IF EXISTS layers_issue_tile_grid", """
CREATE INDEX CONCURRENTLY layers_issue_tile_grid ON triage_issue
    (layers_grid_code(location), layers_grid_column(location), layers_grid_row(location))
    INCLUDE (status, category_id, municipality_id, location)
"""]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("layers", "0001_layer_tokens"),
        ("triage", "0001_initial"),  # triage_issue with every column the index names
    ]

    operations = [
        migrations.RunSQL(GRID_FUNCTIONS, DROP_GRID_FUNCTIONS),
        migrations.RunSQL(ISSUE_TILE_GRID_INDEX, "DROP INDEX CONCURRENTLY IF EXISTS layers_issue_tile_grid"),
    ]
