"""Layer downloads written by GDAL's ogr2ogr from PostgreSQL, read back with pyogrio."""

import shutil
import sqlite3
import subprocess
from io import StringIO

import pyogrio
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from shapely.geometry import Point

from wards.models import Ward

pytestmark = [
    # ogr2ogr reads through its own connection: the rows must be committed for it to see them.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="ogr2ogr (Debian's gdal-bin) is not installed"),
]

WARD_FIELDS = {"id", "code", "number", "municipality", "year"}


@pytest.mark.parametrize(("export_format", "suffix", "fields", "has_crs"), [
    ("gpkg", "gpkg", WARD_FIELDS, True),
    ("shp", "zip", {"id", "code", "number", "municipali", "year"}, True),  # dBase names: ten characters
    ("geojson", "geojson", WARD_FIELDS, True),
    ("csv", "csv", WARD_FIELDS | {"WKT"}, False),  # CSV has no CRS: the WKT is longitude/latitude
    ("kml", "kml", WARD_FIELDS, True),
])
def test_each_format_holds_every_ward_with_fields_geometry_and_crs(lesedi, client, tmp_path, export_format, suffix,
                                                                   fields, has_crs):
    response = client.get("/layers/wards/download", {"format": export_format})
    assert response.status_code == 200
    assert f'filename="wards.{suffix}"' in response["Content-Disposition"]
    path = tmp_path / f"wards.{suffix}"
    path.write_bytes(b"".join(response.streaming_content))

    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 13
    assert fields <= set(frame.columns)
    if has_crs:
        assert frame.crs.to_epsg() == 4326
    codes = frame["code"].astype(str).tolist()
    assert sorted(codes) == sorted(Ward.objects.values_list("code", flat=True))
    row = frame[frame["code"].astype(str) == "74203009"].iloc[0]
    assert int(row["number"]) == 9
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    assert row.geometry.geom_type in {"Polygon", "MultiPolygon"}
    assert row.geometry.buffer(1e-6).contains(Point(inside.x, inside.y))  # longitude first, degrees


def test_downloads_take_the_same_filters(lesedi, client, tmp_path):
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    bbox = f"{inside.x - 1e-5},{inside.y - 1e-5},{inside.x + 1e-5},{inside.y + 1e-5}"
    response = client.get("/layers/wards/download", {"format": "geojson", "bbox": bbox})
    path = tmp_path / "filtered.geojson"
    path.write_bytes(b"".join(response.streaming_content))
    assert pyogrio.read_dataframe(path)["code"].tolist() == ["74203009"]

    by_number = client.get("/layers/wards/download", {"format": "csv", "number": "9"})
    assert b"74203009" in b"".join(by_number.streaming_content)


def test_bad_download_requests(db, client, staff_only_layer):
    assert client.get("/layers/wards/download", {"format": "xls"}).json()["code"] == "InvalidParameterValue"
    assert client.get("/layers/wards/download", {"bbox": "1,2"}).status_code == 400
    assert client.get("/layers/nowhere/download").status_code == 404
    assert Client().get("/layers/ward-imports/download").status_code == 401


def test_export_layer_command_writes_the_file_and_shows_progress(lesedi, tmp_path):
    output = StringIO()
    path = tmp_path / "lesedi.gpkg"
    call_command("export_layer", "wards", str(path), "--where", "municipality=GT423", stdout=output)
    assert "100" in output.getvalue() and f"Wrote {path}" in output.getvalue()
    assert len(pyogrio.read_dataframe(path)) == 13

    shapefile = tmp_path / "wards.zip"
    call_command("export_layer", "wards", str(shapefile), "--where", "number=9", verbosity=0)
    assert pyogrio.read_dataframe(shapefile)["code"].tolist() == ["74203009"]

    with pytest.raises(CommandError, match="no layer 'nowhere'"):
        call_command("export_layer", "nowhere", str(path))
    with pytest.raises(CommandError, match="'bbox'"):
        call_command("export_layer", "wards", str(path), "--bbox", "1,2")


def test_a_geopackage_download_has_a_populated_spatial_index_that_gdal_uses(lesedi, client, tmp_path):
    """The R-tree is built after ogr2ogr writes the rows (layers/geopackage.py): it must be the standard
    GeoPackage extension, hold a box around every feature, pass SQLite's own check, and answer Debian's
    ogrinfo (GDAL 3.6, as QGIS on the same machine reads it)."""
    path = tmp_path / "wards.gpkg"
    path.write_bytes(b"".join(client.get("/layers/wards/download", {"format": "gpkg"}).streaming_content))
    with sqlite3.connect(path) as database:
        assert database.execute("SELECT extension_name FROM gpkg_extensions WHERE table_name = 'wards' "
                                "AND column_name = 'geom'").fetchall() == [("gpkg_rtree_index",)]
        assert database.execute("SELECT rtreecheck('rtree_wards_geom')").fetchone() == ("ok",)
        boxes = {fid: (minx, maxx, miny, maxy) for fid, minx, maxx, miny, maxy
                      in database.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_wards_geom")}
        codes = dict(database.execute("SELECT fid, code FROM wards"))
    assert boxes.keys() == codes.keys() and len(boxes) == 13
    for fid, code in codes.items():
        west, south, east, north = Ward.objects.get(code=code).geom.extent
        minx, maxx, miny, maxy = boxes[fid]
        assert minx <= west and maxx >= east and miny <= south and maxy >= north  # float32, rounded outwards
        assert east - west > 1e-3 and maxx - minx < (east - west) + 1e-4

    has_index = subprocess.run(["ogrinfo", "-q", str(path), "-sql", "SELECT HasSpatialIndex('wards', 'geom')"],
                               capture_output=True, text=True, check=True)
    assert "= 1" in has_index.stdout
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    found = subprocess.run(["ogrinfo", "-ro", "-al", "-q", "-spat", str(inside.x - 1e-6), str(inside.y - 1e-6),
                            str(inside.x + 1e-6), str(inside.y + 1e-6), str(path)],
                           capture_output=True, text=True, check=True)
    assert "74203009" in found.stdout
