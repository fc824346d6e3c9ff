"""Downloads that GIS tools can read in pieces: each export is written once to a spool file, served with
HTTP ranges (toolkit.ranges), and reused for a short while by the requests that read it in pieces.

GDAL's /vsicurl/ (`ogrinfo /vsicurl/http://…/download?format=gpkg`) asks HEAD for the size, then many
byte ranges; every one of them must read the same file, so HEAD and range requests reuse a spool file of
the same download (layer, format, filters and, for staff layers, the person) written in the last
DOWNLOAD_REUSE_SECONDS. A plain GET always writes the file anew, so a browser download is never stale.
Memory stays flat: GDAL and PostgreSQL write to disk, the response reads the file in blocks.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from django.db.models import QuerySet

from layers import exports
from layers.registry import Layer
from toolkit.conf import imbizo_setting


def spool_dir() -> Path:
    folder = Path(imbizo_setting("DOWNLOAD_SPOOL_DIR") or Path(tempfile.gettempdir()) / "imbizo-downloads")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # staff layers' files: the server's user only
    return folder


def spool_key(layer: Layer, export_format: exports.ExportFormat, params: Mapping[str, str], user) -> str:
    """Names one download: the same layer, format and filters read by someone who sees the same rows."""
    reader = "public" if layer.public else f"user-{getattr(user, 'pk', None)}"
    query = "&".join(f"{name}={params[name]}" for name in sorted(params))
    return hashlib.sha256(f"{layer.key}|{export_format.key}|{reader}|{query}".encode()).hexdigest()[:40]


def spooled(layer: Layer, rows: QuerySet, export_format: exports.ExportFormat, *, key: str, reuse: bool) -> Path:
    """The spool file of this download: the one written in the last DOWNLOAD_REUSE_SECONDS when `reuse`,
    else a new one (written beside, then moved into place: a reader never sees half a file)."""
    folder = spool_dir()
    path = folder / f"{key}.{export_format.extension}"
    reuse_seconds = imbizo_setting("DOWNLOAD_REUSE_SECONDS")
    if reuse and path.exists() and time.time() - path.stat().st_mtime < reuse_seconds:
        return path
    _remove_old(folder, older_than=max(reuse_seconds * 2, 60))
    with tempfile.TemporaryDirectory(dir=folder, prefix="writing-") as work:
        written = exports.write(layer, rows, export_format, Path(work) / path.name)
        os.replace(written, path)
    return path


def _remove_old(folder: Path, *, older_than: float) -> None:
    limit = time.time() - older_than
    for entry in folder.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                entry.unlink()
        except FileNotFoundError:  # another worker removed it first
            pass
