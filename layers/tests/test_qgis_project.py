"""The QGIS project download: well-formed QGIS 3 XML naming every public layer on our /ogc/, with
styles, whose layers GDAL's OAPIF driver and QGIS 3.22 itself open on a live server."""

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from layers.registry import registry

pytestmark = pytest.mark.django_db

SYSTEM_PYTHON = "/usr/bin/python3"


def datasource_fields(text: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)='([^']*)'", text))


def public_keys() -> set[str]:
    return {layer.key for layer in registry if layer.public}


def test_the_project_is_qgis_xml_with_every_public_layer_on_our_ogc_api(lesedi, client):
    response = client.get("/layers/project.qgs")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="imbizo.qgs"'
    assert response.content.startswith(b"<!DOCTYPE qgis")
    root = ET.fromstring(response.content)
    assert root.tag == "qgis" and root.get("version").startswith("3.")
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:3857"

    layers = {}
    for element in root.iter("maplayer"):
        assert element.find("provider").text == "OAPIF"
        source = datasource_fields(element.find("datasource").text)
        assert source["url"] == "http://testserver/ogc" and source["version"] == "OGC_API_FEATURES"
        assert source["restrictToRequestBBOX"] == "1"
        assert element.find("srs/spatialrefsys/authid").text == "EPSG:4326"
        layers[source["typename"]] = element
    assert set(layers) == public_keys()  # an anonymous download lists no staff layer
    tree = {node.get("id") for node in root.iter("layer-tree-layer")}
    assert tree == {element.find("id").text for element in layers.values()}

    # Issues coloured by status, with a legend entry per status.
    issues = layers["issues"].find("renderer-v2")
    assert issues.get("type") == "categorizedSymbol" and issues.get("attr") == "status"
    values = {category.get("value"): category.get("label") for category in issues.iter("category")}
    assert values["submitted"] == "Submitted" and values["closed"] == "Closed" and values["in_progress"] == "In progress"
    assert layers["issues"].get("geometry") == "Point"
    # Wards outlined (no fill) and labelled with their number.
    wards = layers["wards"]
    fill = {prop.get("k"): prop.get("v") for prop in wards.iter("prop")}
    assert fill["outline_color"] == "31,95,139,255" and fill["color"].endswith(",38")
    municipalities = {prop.get("k"): prop.get("v") for prop in layers["municipalities"].iter("prop")}
    assert municipalities["style"] == "no"  # an outline only
    assert wards.get("labelsEnabled") == "1" and wards.find("labeling/settings/text-style").get("fieldName") == "number"
    # The map opens on Lesedi.
    xmin, ymin, xmax, ymax = (float(root.find(f"mapcanvas/extent/{tag}").text) for tag in ("xmin", "ymin", "xmax", "ymax"))
    assert 3_100_000 < xmin < xmax < 3_250_000 and -3_100_000 < ymin < ymax < -2_950_000


def test_staff_get_the_staff_layers_too_and_qgz_is_the_same_project_zipped(lesedi, staff_client):
    project = staff_client.get("/layers/project.qgs").content
    typenames = {datasource_fields(element.text)["typename"] for element in ET.fromstring(project).iter("datasource")}
    assert "issues-staff" in typenames
    zipped = staff_client.get("/layers/project.qgz")
    assert zipped["Content-Disposition"] == 'attachment; filename="imbizo.qgz"'
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.namelist() == ["imbizo.qgs"]
        assert archive.read("imbizo.qgs") == project


def test_a_bad_municipality_is_a_400(db, client):
    response = client.get("/layers/project.qgs", {"municipality": "XX999"})
    assert response.status_code == 400 and "'municipality'" in response.json()["description"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (Debian's gdal-bin) is not installed")
def test_gdal_opens_every_layer_the_project_names(lesedi, live_server, client):
    project = client.get("/layers/project.qgs", HTTP_HOST=live_server.url.removeprefix("http://")).content
    sources = [datasource_fields(element.text) for element in ET.fromstring(project).iter("datasource")]
    assert {source["url"] for source in sources} == {f"{live_server.url}/ogc"}
    for source in sources:
        result = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{source['url']}", source["typename"]],
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, (source["typename"], result.stderr)
        assert f"Layer name: {source['typename']}" in result.stdout
        if source["typename"] == "wards":
            assert "Feature Count: 13" in result.stdout


OPEN_PROJECT = Path(__file__).with_name("qgis_open_project.py")


@pytest.mark.django_db(transaction=True)
def test_qgis_opens_the_project_on_lesedi_with_every_public_layer_drawn(lesedi, reported_issues, live_server,
                                                                         client, tmp_path):
    """Real QGIS 3.22 (Debian's python3-qgis, which ./imbizo test installs): the project's CRS is the
    one it declares, the map opens on the saved extent, every public layer is valid with features,
    and a render of that extent is not blank."""
    project = tmp_path / "imbizo.qgs"
    project.write_bytes(client.get("/layers/project.qgs", HTTP_HOST=live_server.url.removeprefix("http://")).content)
    result = subprocess.run([SYSTEM_PYTHON, str(OPEN_PROJECT), str(project), str(tmp_path / "render.png")],
                            capture_output=True, text=True, timeout=300, check=False,
                            env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                 "XDG_RUNTIME_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["project_crs"] == report["canvas_crs"] == "EPSG:3857"
    xmin, ymin, xmax, ymax = report["canvas_extent"]
    assert 3_100_000 < xmin < xmax < 3_250_000 and -3_100_000 < ymin < ymax < -2_950_000  # Lesedi, in metres
    assert report["default_view_crs"] == "EPSG:3857"
    assert report["default_view"] == pytest.approx(report["canvas_extent"], rel=0.05)

    layers = report["layers"]
    assert set(layers) == public_keys()
    assert all(layer["valid"] for layer in layers.values()), layers
    empty = {key for key, layer in layers.items() if layer["features"] == 0}
    assert empty <= {"assets", "asset-lines", "facilities", "suburbs", "notices"}, empty  # the fixture has no network nor notices
    assert layers["wards"]["features"] == 13 and layers["wards"]["labels"]
    assert layers["issues"]["features"] >= 1 and layers["issues"]["renderer"] == "categorizedSymbol"
    # The wards' outlines and fills over Lesedi cover a good part of the map.
    assert report["drawn_pixels"] > report["pixels"] * 0.05, report["drawn_pixels"]
