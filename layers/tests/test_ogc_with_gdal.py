"""The OGC API as GIS tools see it: Debian's GDAL (ogrinfo, the OAPIF driver) against a live server."""

import json
import shutil
import subprocess

import pytest
from shapely.geometry import shape

from wards.models import Ward

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (Debian's gdal-bin) is not installed"),
]


def ogrinfo(*args: str) -> str:
    result = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_lists_every_public_layer(lesedi, staff_only_layer, live_server):
    listing = ogrinfo("-so", f"OAPIF:{live_server.url}/ogc")
    for key in ("municipalities", "wards", "ward-demarcations", "suburbs", "assets", "asset-lines", "facilities",
                "issues"):
        assert f": {key} (title:" in listing
    assert "ward-imports" not in listing and "issues-staff" not in listing  # staff only: GDAL came without logging in
    assert "wards (title: Wards (current demarcation)) (Multi Polygon)" in listing


def test_ogrinfo_reads_the_wards_with_their_fields_and_geometry(lesedi, live_server):
    summary = ogrinfo("-so", f"OAPIF:{live_server.url}/ogc", "wards")
    assert "Feature Count: 13" in summary
    for field in ("code: String", "number: Integer", "municipality: String", "year: Integer"):
        assert field in summary
    assert 'ID["EPSG",4326]' in summary

    # Every feature, paged by GDAL through our next links five at a time, as GeoJSON to compare.
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{live_server.url}/ogc", "wards", "-oo", "PAGE_SIZE=5"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    features = json.loads(result.stdout)["features"]
    assert sorted(f["properties"]["number"] for f in features) == list(range(1, 14))
    for feature in features:
        stored = shape(json.loads(Ward.objects.get(code=feature["properties"]["code"]).geom.geojson))
        assert shape(feature["geometry"]).hausdorff_distance(stored) <= 1e-6


def test_ogrinfo_reads_the_public_issues_with_their_fields(reported_issues, live_server):
    summary = ogrinfo("-so", f"OAPIF:{live_server.url}/ogc", "issues")
    assert "Geometry: Point" in summary
    for field in ("reference: String", "status: String", "category: String", "ward: Integer", "upvotes: Integer",
                  "created_at: DateTime"):
        assert field in summary, field
    every = ogrinfo("-al", "-q", f"OAPIF:{live_server.url}/ogc", "issues")
    assert every.count("OGRFeature(issues)") == 2  # no private-category issue, no duplicate
    assert reported_issues["private"].reference not in every and "Sipho" not in every
