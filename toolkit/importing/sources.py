"""Reading features through GDAL (GeoDjango's ctypes bindings), one at a time.

Streaming matters: a history import can hold a million rows, and OGR hands them over lazily.
"""

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, OGRGeometry, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Point

from toolkit.conf import storage_srid


class SourceError(Exception):
    """The file cannot be read as asked; the message names the file and what is wrong."""


@dataclass
class SourceFeature:
    number: int  # 1-based position in the layer (or data row in a CSV)
    label: str  # how messages name it: "feature 7" or "row 7 (line 8)"
    properties: dict
    geometry: GEOSGeometry | None  # in the storage SRID; None where the row has no location
    problems: list[str] = field(default_factory=list)  # e.g. unparseable coordinates
    raw: dict | None = None  # a CSV row as written, location columns included (for the refused-rows file)


class VectorSource:
    """A layer of a GDAL-readable file: GeoJSON, Shapefile (or a .zip holding one), GeoPackage."""

    def __init__(self, path: Path, *, layer: str | None = None, srid: int | None = None):
        self.path = path
        gdal_path = str(path)
        if path.suffix.lower() == ".zip":
            gdal_path = _zip_vsi_path(path)
        try:
            self._datasource = DataSource(gdal_path)
        except GDALException as exc:
            raise SourceError(f"{path.name}: GDAL cannot open this file as vector data ({exc}).") from None
        layer_names = [lyr.name for lyr in self._datasource]
        if layer is None:
            if len(layer_names) > 1:
                raise SourceError(
                    f"{path.name}: has several layers ({', '.join(layer_names)}); choose one with --layer."
                )
            self._layer = self._datasource[0]
        elif layer in layer_names:
            self._layer = self._datasource[layer]
        else:
            raise SourceError(f"{path.name}: no layer '{layer}'; layers are: {', '.join(layer_names)}.")
        self.layer_name = self._layer.name
        self.fields = list(self._layer.fields)
        self.feature_count = len(self._layer)
        source_srs = self._layer.srs
        if srid is not None:
            source_srs = SpatialReference(srid)
        elif source_srs is None:
            raise SourceError(
                f"{path.name}: layer '{self.layer_name}' has no coordinate reference system (no .prj?); "
                "say which it is with --srid."
            )
        target = SpatialReference(storage_srid())
        self._transform = None if _same_crs(source_srs, target) else CoordTransform(source_srs, target)
        self.crs_name = source_srs.name

    def features(self) -> Iterator[SourceFeature]:
        for number, feature in enumerate(self._layer, start=1):
            properties = {name: feature.get(name) for name in self.fields}
            geometry = None
            problems = []
            ogr_geometry = _feature_geometry(feature)
            if ogr_geometry is not None:
                try:
                    if self._transform is not None:
                        ogr_geometry.transform(self._transform)
                    geometry = GEOSGeometry(ogr_geometry.wkb, srid=storage_srid())
                except (GDALException, ValueError) as exc:
                    problems.append(f"its geometry cannot be read or reprojected ({exc})")
            yield SourceFeature(number, f"feature {number}", properties, geometry, problems)


class CsvSource:
    """A CSV table whose location is two columns of decimal degrees (WGS 84 unless --srid)."""

    def __init__(self, path: Path, *, lon_field: str, lat_field: str, srid: int | None = None):
        self.path = path
        self.layer_name = path.stem
        self.lon_field, self.lat_field = lon_field, lat_field
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                self.fields = next(csv.reader(handle), [])
                self.feature_count = sum(1 for _ in handle)
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path.name}: cannot be read as UTF-8 CSV ({exc}).") from None
        for name in (lon_field, lat_field):
            if name not in self.fields:
                raise SourceError(f"{path.name}: no column '{name}'; columns are: {', '.join(self.fields)}.")
        self.srid = srid or storage_srid()
        self.crs_name = SpatialReference(self.srid).name

    def features(self) -> Iterator[SourceFeature]:
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            for number, row in enumerate(reader, start=1):
                label = f"row {number} (line {reader.line_num})"
                geometry, problems = self._point(row)
                properties = {k: v for k, v in row.items() if k not in (self.lon_field, self.lat_field)}
                yield SourceFeature(number, label, properties, geometry, problems, raw=row)

    def _point(self, row: dict) -> tuple[Point | None, list[str]]:
        raw_lon, raw_lat = (row.get(self.lon_field) or "").strip(), (row.get(self.lat_field) or "").strip()
        if not raw_lon and not raw_lat:
            return None, []
        try:
            lon, lat = float(raw_lon), float(raw_lat)
        except ValueError:
            return None, [f"{self.lon_field}/{self.lat_field} '{raw_lon}', '{raw_lat}' are not numbers"]
        point = Point(lon, lat, srid=self.srid)
        if self.srid != storage_srid():
            point.transform(storage_srid())
        elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None, [f"{self.lon_field}/{self.lat_field} {lon}, {lat} are not longitude/latitude"]
        return point, []


def open_source(path, *, layer=None, srid=None, lon_field=None, lat_field=None):
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file.")
    if path.suffix.lower() in {".csv", ".txt"}:
        if not (lon_field and lat_field):
            raise SourceError(f"{path.name}: a CSV needs --lon-field and --lat-field to give its location.")
        return CsvSource(path, lon_field=lon_field, lat_field=lat_field, srid=srid)
    return VectorSource(path, layer=layer, srid=srid)


def _feature_geometry(feature) -> OGRGeometry | None:
    try:
        return feature.geom
    except GDALException:  # a feature with a null geometry
        return None


def _zip_vsi_path(path: Path) -> str:
    """GDAL's path into a zip: the one .shp (or .gpkg/.geojson) inside it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise SourceError(f"{path.name}: is not a valid zip file.") from None
    vector_files = [n for n in names if n.lower().endswith((".shp", ".gpkg", ".geojson", ".json"))]
    if len(vector_files) != 1:
        raise SourceError(
            f"{path.name}: expected exactly one .shp, .gpkg or .geojson inside, found {len(vector_files)}."
        )
    return f"/vsizip/{path}/{vector_files[0]}"


def _same_crs(source: SpatialReference, target: SpatialReference) -> bool:
    try:
        return source.srid is not None and source.srid == target.srid
    except GDALException:
        return False
