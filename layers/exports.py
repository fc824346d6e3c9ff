"""Layer downloads: GeoJSON streamed straight out of PostgreSQL, the other formats written by GDAL
(ogr2ogr reads PostgreSQL directly with one SQL query).

The formats are a registry (EXPORT_FORMATS): a new format is one entry, not another branch. Python
never touches a feature: GDAL reads the rows itself, and GeoPackage's spatial index is built apart
(layers/geopackage.py). GeoJSON needs no GDAL at all: PostgreSQL builds each feature (ST_AsGeoJSON,
json_build_object) and COPY streams them, in the memory of one buffer.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, connections
from django.db.models import F, QuerySet

from layers import geopackage
from layers.registry import Layer
from toolkit import geojson
from toolkit.conf import storage_srid
from toolkit.replica import read_alias

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
    # A format PostgreSQL writes itself: stream(layer, rows) yields the file's bytes (no GDAL).
    stream: Callable[[Layer, QuerySet], Iterator[bytes]] | None = None
    # GDAL configuration options for writing this format (--config NAME VALUE).
    config: tuple[tuple[str, str], ...] = ()
    # Run on the written file before it is handed over: finish(path, layer).
    finish: Callable[[Path, Layer], None] | None = None
    # Date-times written as ISO 8601 text in UTC (2026-03-01T08:15:00Z): for formats that cannot hold a time
    # (dBase keeps only the date) or write their own form (GDAL's CSV writes 2026/03/01 08:15:00+00).
    datetimes_as_text: bool = False
    # The id written as text (KML readers take a number as a measure, not an identifier).
    id_as_text: bool = False


# COPY's text format would double every backslash of the JSON; CSV with a delimiter and a quote
# character that JSON never holds raw (PostgreSQL escapes control characters, e.g. as \u0001)
# passes each feature through untouched, one per line.
COPY_AS_IS = "COPY ({query}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"


def geojson_copy_sql(layer: Layer, rows: QuerySet) -> str:
    """COPY of one line per feature, each a comma and the feature's GeoJSON, in no set order. As in the
    other formats, the id is also a property when no published property holds it."""
    properties = dict(layer.properties)
    if layer.id_path not in properties.values():
        properties = {"id": layer.id_path, **properties}
    # No order: sorting a million features spills to disk and takes longer than writing them.
    sql, params = geojson.feature_rows_sql(rows.order_by(), geometry=layer.geometry,
                                           properties=properties, feature_id=layer.id_path)
    query = connection.ops.compose_sql(f"SELECT ',' || r.feature::text FROM ({sql}) AS r", params)
    return COPY_AS_IS.format(query=query)


STREAM_CHUNK = 1 << 18  # bytes handed on at a time: COPY gives one row at a time, a web server wants more


def stream_geojson(layer: Layer, rows: QuerySet) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection, streamed: memory stays one chunk whatever the number of features.
    Each line after the header starts with the comma that separates it from the previous feature; the
    first one's is dropped."""
    sql = geojson_copy_sql(layer, rows)
    yield b'{"type": "FeatureCollection", "name": "' + layer.key.encode() + b'", "features": [\n'
    chunk, first = bytearray(), True
    with connections[read_alias()].cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in copy:
            chunk += row
            if len(chunk) >= STREAM_CHUNK:
                yield bytes(chunk[1:] if first else chunk)
                chunk.clear()
                first = False
    yield bytes(chunk[1:] if first and chunk else chunk) + b"]}\n"


EXPORT_FORMATS: dict[str, ExportFormat] = {
    fmt.key: fmt for fmt in [
        # The file is new and thrown away if the export fails, so SQLite need not wait for the disk. The
        # spatial index is built afterwards by a newer GDAL (layers/geopackage.py), several times faster.
        ExportFormat("gpkg", "GeoPackage", "GPKG", "gpkg", "application/geopackage+sqlite3",
                     layer_options=("SPATIAL_INDEX=NO",), config=(("OGR_SQLITE_SYNCHRONOUS", "OFF"),),
                     finish=lambda path, layer: geopackage.add_spatial_index(path, layer.key)),
        # dBase cuts field names to ten characters: the zip carries <layer>.fields.csv, each cut name beside
        # the property it holds.
        ExportFormat("shp", "Shapefile (zipped)", "ESRI Shapefile", "zip", "application/zip",
                     layer_options=("ENCODING=UTF-8",), zipped=True, datetimes_as_text=True,
                     finish=lambda path, layer: write_field_names(path, layer)),
        ExportFormat("geojson", "GeoJSON", "GeoJSON", "geojson", "application/geo+json", stream=stream_geojson),
        # Spreadsheets and databases read geometry as WKT; the first column holds it.
        ExportFormat("csv", "CSV (geometry as WKT)", "CSV", "csv", "text/csv", layer_options=("GEOMETRY=AS_WKT",),
                     datetimes_as_text=True),
        ExportFormat("kml", "KML", "KML", "kml", "application/vnd.google-earth.kml+xml", id_as_text=True),
    ]
}


class ExportFailed(RuntimeError):
    pass


# ISO 8601 in UTC, to the second.
ISO_TEXT = """to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def export_columns(layer: Layer) -> list[str]:
    """The columns every export writes, in order (the geometry apart): the id unless a property holds it,
    then the published properties."""
    id_column = [] if layer.id_path in layer.properties.values() else ["id"]
    return [*id_column, *layer.properties]


def write_field_names(shapefile: Path, layer: Layer) -> None:
    """<layer>.fields.csv beside the Shapefile: each dBase field (cut to ten characters, GDAL's rule)
    beside the full property name it holds, in the order of both."""
    from django.contrib.gis.gdal import DataSource

    written = DataSource(str(shapefile))[0].fields
    with (shapefile.parent / f"{layer.key}.fields.csv").open("w", newline="", encoding="utf-8") as output:
        table = csv.writer(output)
        table.writerow(["shapefile_field", "property"])
        table.writerows(zip(written, export_columns(layer), strict=True))


def export_sql(layer: Layer, rows: QuerySet, export_format: ExportFormat | None = None) -> str:
    """The SELECT ogr2ogr runs: the id (when not already published), the published properties
    and the geometry, in no set order (a sort of a million rows costs more than it gives).
    Parameters are bound by the database driver (mogrify): ogr2ogr
    takes one SQL string, and user input must still never be formatted into it by hand."""
    aliases = {f"layer_prop_{index}": name for index, name in enumerate(layer.properties)}
    annotated = rows.order_by().annotate(
        export_id=F(layer.id_path),
        export_geom=F(layer.geometry),
        **{alias: F(layer.properties[name]) for alias, name in aliases.items()},
    ).values("export_id", "export_geom", *aliases)
    inner_sql, params = annotated.query.sql_with_params()
    as_text = export_format is not None and export_format.datetimes_as_text
    columns = [f'{ISO_TEXT.format(column=f"f.{alias}") if as_text and _is_datetime(layer, name) else f"f.{alias}"} '
               f'AS "{name}"' for alias, name in aliases.items()]
    if layer.id_path not in layer.properties.values():
        id_as_text = export_format is not None and export_format.id_as_text
        columns.insert(0, f'f.export_id{"::text" if id_as_text else ""} AS "id"')
    sql = f"SELECT {', '.join(columns)}, f.export_geom AS geom FROM ({inner_sql}) AS f"
    return connection.ops.compose_sql(sql, params)


def _is_datetime(layer: Layer, name: str) -> bool:
    return layer.field(layer.properties[name]).get_internal_type() == "DateTimeField"


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
    if export_format.stream is not None:
        return _write_stream(export_format.stream(layer, rows), destination, progress)
    source, environment = postgres_source()
    sql = export_sql(layer, rows, export_format)
    with tempfile.TemporaryDirectory(prefix="imbizo-export-") as work:
        target = Path(work) / f"{layer.key}.{'shp' if export_format.zipped else export_format.extension}"
        command = [OGR2OGR, "-f", export_format.driver, str(target), source, "-sql", sql, "-nln", layer.key,
                   "-a_srs", f"EPSG:{storage_srid()}", "-nlt", layer.geometry_type().upper(),
                   # 10,000 rows a fetch from PostgreSQL, not GDAL's default 500.
                   "--config", "OGR_PG_CURSOR_PAGE", "10000"]
        for name, value in export_format.config:
            command += ["--config", name, value]
        for option in export_format.layer_options:
            command += ["-lco", option]
        if progress:
            command.append("-progress")
        _run(command, environment, progress)
        if export_format.finish is not None:
            if progress:
                progress("finishing... ")
            try:
                export_format.finish(target, layer)
            except geopackage.SpatialIndexFailed as error:
                raise ExportFailed(str(error)) from None
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


def _write_stream(chunks: Iterator[bytes], destination: Path, progress: Callable[[str], None] | None) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    features, reported = 0, 0
    with destination.open("wb") as output:
        for chunk in chunks:
            output.write(chunk)
            if progress:
                features += chunk.count(b"\n")
                if features - reported >= 100_000:
                    progress(f"{features:,} features...")
                    reported = features
    if progress:
        progress("100% ")
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
