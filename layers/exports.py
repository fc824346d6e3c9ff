"""Layer downloads written by GDAL: ogr2ogr reads PostgreSQL directly with one SQL query.

The formats are a registry (EXPORT_FORMATS): a new format is one entry, not another branch.
Measured (REFERENCES.md): ogr2ogr writes a million points to GeoPackage in 36.5 s and to a
Shapefile in 10.5 s without Python touching a feature.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import connection
from django.db.models import F, QuerySet

from layers.registry import Layer

OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"
EXPORT_TIMEOUT_SECONDS = 30 * 60


@dataclass(frozen=True)
class ExportFormat:
    key: str
    title: str
    driver: str  # GDAL's driver name
    extension: str  # of the file handed to the user
    content_type: str
    layer_options: tuple[str, ...] = ()
    # Shapefiles are several files: they are written into a folder and handed over as one zip.
    zipped: bool = False


EXPORT_FORMATS: dict[str, ExportFormat] = {
    fmt.key: fmt for fmt in [
        ExportFormat("gpkg", "GeoPackage", "GPKG", "gpkg", "application/geopackage+sqlite3"),
        ExportFormat("shp", "Shapefile (zipped)", "ESRI Shapefile", "zip", "application/zip",
                     layer_options=("ENCODING=UTF-8",), zipped=True),
        ExportFormat("geojson", "GeoJSON", "GeoJSON", "geojson", "application/geo+json",
                     layer_options=("RFC7946=YES",)),
        # Spreadsheets and databases read geometry as WKT; the first column holds it.
        ExportFormat("csv", "CSV (geometry as WKT)", "CSV", "csv", "text/csv", layer_options=("GEOMETRY=AS_WKT",)),
        ExportFormat("kml", "KML", "KML", "kml", "application/vnd.google-earth.kml+xml"),
    ]
}


class ExportFailed(RuntimeError):
    pass


def export_sql(layer: Layer, rows: QuerySet) -> str:
    """The SELECT ogr2ogr runs: the id (when not already published), the published properties
    and the geometry, in id order. Parameters are bound by the database driver (mogrify): ogr2ogr
    takes one SQL string, and user input must still never be formatted into it by hand."""
    aliases = {f"layer_prop_{index}": name for index, name in enumerate(layer.properties)}
    annotated = rows.order_by(layer.id_path).annotate(
        export_id=F(layer.id_path),
        export_geom=F(layer.geometry),
        **{alias: F(layer.properties[name]) for alias, name in aliases.items()},
    ).values("export_id", "export_geom", *aliases)
    inner_sql, params = annotated.query.sql_with_params()
    columns = [f'f.{alias} AS "{name}"' for alias, name in aliases.items()]
    if layer.id_path not in layer.properties.values():
        columns.insert(0, 'f.export_id AS "id"')
    sql = f"SELECT {', '.join(columns)}, f.export_geom AS geom FROM ({inner_sql}) AS f"
    return connection.ops.compose_sql(sql, params)


def _conninfo_value(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def postgres_source() -> tuple[str, dict[str, str]]:
    """GDAL's PG: connection string for the database Django uses (the test database in tests),
    and the environment carrying the password (kept off the command line, which `ps` shows)."""
    settings = connection.settings_dict
    parts = {"dbname": settings["NAME"], "host": settings.get("HOST"), "port": settings.get("PORT"),
             "user": settings.get("USER")}
    conninfo = " ".join(f"{key}={_conninfo_value(value)}" for key, value in parts.items() if value)
    environment = dict(os.environ)
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings["PASSWORD"])
    return f"PG:{conninfo}", environment


def write(layer: Layer, rows: QuerySet, export_format: ExportFormat, destination: Path,
          *, progress: Callable[[str], None] | None = None) -> Path:
    """Write the rows to `destination` (a file; for zipped formats, the zip) and return it."""
    source, environment = postgres_source()
    sql = export_sql(layer, rows)
    with tempfile.TemporaryDirectory(prefix="imbizo-export-") as work:
        target = Path(work) / f"{layer.key}.{'shp' if export_format.zipped else export_format.extension}"
        command = [OGR2OGR, "-f", export_format.driver, str(target), source, "-sql", sql, "-nln", layer.key,
                   "-a_srs", "EPSG:4326"]
        for option in export_format.layer_options:
            command += ["-lco", option]
        if progress:
            command.append("-progress")
        _run(command, environment, progress)
        if export_format.zipped:
            written = Path(work) / f"{layer.key}.zip"
            with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(Path(work).glob(f"{layer.key}.*")):
                    if part != written:
                        archive.write(part, part.name)
        else:
            written = target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(written), destination)
    return destination


def _run(command: list[str], environment: dict[str, str], progress: Callable[[str], None] | None) -> None:
    # Errors go to a file, not a pipe: a full pipe would stall ogr2ogr while progress is read.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=errors)
        if progress:
            # ogr2ogr -progress prints "0...10...20..." as it goes: pass each piece on as it comes.
            for chunk in iter(lambda: process.stdout.read1(64), b""):
                progress(chunk.decode(errors="replace"))
        try:
            process.communicate(timeout=EXPORT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise ExportFailed(f"ogr2ogr took longer than {EXPORT_TIMEOUT_SECONDS} s and was stopped.") from None
        if process.returncode != 0:
            errors.seek(0)
            raise ExportFailed(f"ogr2ogr failed: {errors.read().decode(errors='replace').strip()}")


def open_export(layer: Layer, rows: QuerySet, export_format: ExportFormat) -> IO[bytes]:
    """The written file, opened for streaming; the file is already unlinked, so nothing is left
    behind however the download ends."""
    with tempfile.TemporaryDirectory(prefix="imbizo-download-") as folder:
        path = write(layer, rows, export_format, Path(folder) / f"{layer.key}.{export_format.extension}")
        return path.open("rb")
