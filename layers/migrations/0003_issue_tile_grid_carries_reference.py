"""The issues' tile grid index (0002) also carries the reference, so z13-14 tiles are read from it alone.

A point tile is one key range of the grid codes at any zoom up to the grid's 2^24 (layers/tiles.py). From z13
to z14 an issues tile carries reference, status and category (triage/layers.py, ISSUE_TILES.summary): with
the reference in the index, PostgreSQL reads the densest z14 tile of the million-issue benchmark (3,000
issues) in an index-only scan of about 50 pages, instead of a bitmap scan of the GiST index and the
table's rows (about 270 pages here, where the generated issues lie in order; one page per issue where
they were reported over years): 8 ms for the tile's SQL instead of 10-14 ms. The index grows from 92 to
109 MB at a million issues.

Built under another name and swapped, CONCURRENTLY: intake never waits for it and tiles always have one.
"""

from django.db import migrations

KEY = "(layers_grid_code(location), layers_grid_column(location), layers_grid_row(location))"


def rebuild(including: str) -> list[str]:
    return [
        "DROP INDEX CONCURRENTLY IF EXISTS layers_issue_tile_grid_rebuilt",  # a build stopped half-way
        f"CREATE INDEX CONCURRENTLY layers_issue_tile_grid_rebuilt ON triage_issue {KEY} INCLUDE ({including})",
        "DROP INDEX CONCURRENTLY IF EXISTS layers_issue_tile_grid",
        "ALTER INDEX layers_issue_tile_grid_rebuilt RENAME TO layers_issue_tile_grid",
    ]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [("layers", "0002_issue_tile_grid_index")]

    operations = [
        migrations.RunSQL(rebuild("status, category_id, municipality_id, location, reference"),
                          rebuild("status, category_id, municipality_id, location")),
    ]
