"""The street base map: the tile URL and attribution every map page draws with, and the tiles of a
raster MBTiles file for installations with no internet (IMBIZO_BASEMAP_MBTILES).

MBTiles is one SQLite file (tiles(zoom_level, tile_column, tile_row, tile_data), rows counted from the
south as in TMS), which is why serving it needs nothing but the standard library."""

import sqlite3
from functools import lru_cache

from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from toolkit.conf import imbizo_setting

CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


def basemap(request) -> dict:
    """Context processor: the base map's tile URL template and its attribution, for data-* attributes."""
    return {"tile_url": imbizo_setting("TILE_URL"), "tile_attribution": imbizo_setting("TILE_ATTRIBUTION")}


def _open(path: str) -> sqlite3.Connection:
    # Read-only, and shared by the threads of a worker (reads only).
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


@lru_cache(maxsize=4)
def _tileset(path: str) -> tuple[sqlite3.Connection, str]:
    connection = _open(path)
    row = connection.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    return connection, CONTENT_TYPES.get((row[0] if row else "png").lower(), "image/png")


@require_safe
@cache_control(max_age=86400, public=True)
def tile(request, z: int, x: int, y: int):
    path = imbizo_setting("BASEMAP_MBTILES")
    if not path:
        raise Http404("No MBTiles base map is configured (IMBIZO_BASEMAP_MBTILES).")
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        raise Http404("No such tile.")
    connection, content_type = _tileset(path)
    row = connection.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                             (z, x, 2**z - 1 - y)).fetchone()
    if row is None:
        raise Http404("No tile here.")
    return HttpResponse(bytes(row[0]), content_type=content_type)
