"""Downloads GIS tools read in pieces (HTTP ranges and HEAD, so GDAL's /vsicurl/ opens a GeoPackage in
place), and the formats that cannot hold everything as is: Shapefile and CSV times as ISO 8601 text, the
Shapefile's cut field names explained in the zip, KML ids as text."""

import csv
import datetime as dt
import io
import shutil
import subprocess
import zipfile

import pyogrio
import pytest

pytestmark = [
    pytest.mark.django_db(transaction=True),  # ogr2ogr reads the rows through its own connection
    pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (Debian's gdal-bin) is not installed"),
]

GPKG = "/layers/wards/download?format=gpkg"


@pytest.fixture(autouse=True)
def own_spool(settings, tmp_path):
    settings.IMBIZO = {**settings.IMBIZO, "DOWNLOAD_SPOOL_DIR": str(tmp_path / "spool")}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_head_gives_the_size_and_ranges_read_pieces_of_that_same_file(lesedi, client):
    head = client.head(GPKG)
    assert head.status_code == 200 and body(head) == b""
    size, etag = int(head["Content-Length"]), head["ETag"]
    assert head["Accept-Ranges"] == "bytes" and size > 10_000 and etag.startswith('"')

    whole = client.get(GPKG, HTTP_RANGE="bytes=0-")
    assert whole.status_code == 206 and whole["ETag"] == etag
    content = body(whole)
    assert len(content) == size and content.startswith(b"SQLite format 3\x00")

    piece = client.get(GPKG, HTTP_RANGE="bytes=100-199")
    assert piece.status_code == 206
    assert piece["Content-Range"] == f"bytes 100-199/{size}" and piece["Content-Length"] == "100"
    assert body(piece) == content[100:200]
    assert body(client.get(GPKG, HTTP_RANGE="bytes=-50")) == content[-50:]
    assert body(client.get(GPKG, HTTP_RANGE=f"bytes={size - 10}-{size + 500}")) == content[-10:]

    beyond = client.get(GPKG, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    # Several ranges, or an If-Range naming another version: the whole file.
    assert client.get(GPKG, HTTP_RANGE="bytes=0-9,20-29").status_code == 200
    assert client.get(GPKG, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"another-version"').status_code == 200
    assert client.get(GPKG, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206
    assert client.get(GPKG, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_plain_get_writes_the_file_anew_and_streamed_formats_take_ranges_too(lesedi, client):
    first = client.head(GPKG)["ETag"]
    fresh = client.get(GPKG)
    assert fresh.status_code == 200 and fresh["ETag"] != first and len(body(fresh)) == int(fresh["Content-Length"])
    geojson = client.get("/layers/wards/download?format=geojson", HTTP_RANGE="bytes=0-29")
    assert geojson.status_code == 206 and body(geojson) == b'{"type": "FeatureCollection", '


def test_ogrinfo_opens_the_geopackage_in_place_over_http(lesedi, live_server):
    result = subprocess.run(["ogrinfo", "-ro", "-so", f"/vsicurl/{live_server.url}{GPKG}", "wards"],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={"PATH": "/usr/bin:/bin", "CPL_VSIL_CURL_CACHE_SIZE": "0"})
    assert result.returncode == 0, result.stderr
    assert "using driver `GPKG' successful" in result.stdout and "Feature Count: 13" in result.stdout


def test_shapefile_keeps_times_as_iso_text_and_explains_its_cut_field_names(reported_issues, client, tmp_path):
    from triage.issues.models import Issue

    shapefile = body(client.get("/layers/issues/download", {"format": "shp"}))
    archive = zipfile.ZipFile(io.BytesIO(shapefile))
    assert "issues.fields.csv" in archive.namelist()
    mapping = dict(csv.reader(io.StringIO(archive.read("issues.fields.csv").decode())))
    assert mapping.pop("shapefile_field") == "property"
    assert mapping["category_n"] == "category_name" and mapping["created_at"] == "created_at"

    path = tmp_path / "issues.zip"
    path.write_bytes(shapefile)
    frame = pyogrio.read_dataframe(path)
    issue = Issue.objects.get(reference=reported_issues["anonymous"].reference)
    row = frame[frame["reference"] == issue.reference].iloc[0]
    assert row["created_at"] == issue.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["category_n"] == issue.category.name


def test_csv_times_are_iso_8601_and_kml_ids_are_text(lesedi, reported_issues, client, tmp_path):
    from triage.issues.models import Issue

    rows = list(csv.DictReader(io.StringIO(body(client.get("/layers/issues/download", {"format": "csv"})).decode())))
    issue = Issue.objects.get(reference=reported_issues["anonymous"].reference)
    row = next(row for row in rows if row["reference"] == issue.reference)
    assert dt.datetime.fromisoformat(row["created_at"]) == issue.created_at.replace(microsecond=0)
    assert row["created_at"].endswith("Z") and "T" in row["created_at"]

    kml = body(client.get("/layers/wards/download", {"format": "kml"}))
    assert b'<SimpleField name="id" type="string">' in kml
    path = tmp_path / "wards.kml"
    path.write_bytes(kml)
    read = subprocess.run(["ogrinfo", "-ro", "-al", "-q", str(path)], capture_output=True, text=True, check=True)
    assert read.stdout.count("  id (String) = ") == 13


def test_a_web_page_on_another_origin_reads_a_range_over_a_real_connection(lesedi, live_server):
    """What a browser's fetch() from another origin sends, over a real socket: the preflight, then the
    range; the answer carries CORS headers that expose Content-Range."""
    from urllib.request import Request, urlopen

    origin = "https://maps.example.org"
    preflight = urlopen(Request(f"{live_server.url}{GPKG}", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}))
    assert preflight.status == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "range" in preflight.headers["Access-Control-Allow-Headers"]
    piece = urlopen(Request(f"{live_server.url}{GPKG}", headers={"Origin": origin, "Range": "bytes=0-15"}))
    assert piece.status == 206 and piece.read() == b"SQLite format 3\x00"
    assert piece.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Range" in piece.headers["Access-Control-Expose-Headers"]
    assert piece.headers["Content-Range"].startswith("bytes 0-15/")
