"""The layers the other apps declare (assets, facilities, issues), and what each may never carry."""

import io
import zipfile

import mapbox_vector_tile
import pyogrio
import pytest
from django.contrib.gis.geos import LineString, Point
from django.test import Client

from assets.models import Asset, AssetType, Facility, FacilityType
from layers.registry import registry
from layers.tests.conftest import HEIDELBERG, HOME_ADDRESS, REPORTER
from layers.tests.test_vector_tiles import tile_of
from wards.models import Municipality

pytestmark = pytest.mark.django_db

PUBLIC_ISSUE_FIELDS = {"reference", "status", "category", "category_name", "kind", "municipality", "ward",
                       "created_at", "updated_at", "resolved_at", "expected_at", "upvotes"}


def secrets_of(issues) -> list[str]:
    resident = issues["resident"]
    return [REPORTER["name"], REPORTER["phone"], REPORTER["email"], "Sipho", "Ndlovu", resident.full_name,
            resident.email, resident.phone, "Thandi", "Mokoena", HOME_ADDRESS, "Voortrekker", "Private Road",
            "Call me", *(issue.tracking_key for key, issue in issues.items() if key != "resident")]


def test_each_app_declares_its_layers():
    keys = {layer.key for layer in registry}
    assert {"assets", "asset-lines", "facilities", "issues", "issues-staff"} <= keys
    assert registry.get("issues").public and not registry.get("issues-staff").public
    assert registry.get("issues").datetime_field == "created_at" and not registry.get("issues").cheap_to_count
    assert {key: registry.get(key).geometry_type() for key in ("assets", "asset-lines", "facilities", "issues")} == {
        "assets": "Point", "asset-lines": "LineString", "facilities": "Point", "issues": "Point"}


def test_public_issues_layer_leaves_out_private_categories_and_duplicates(reported_issues, client):
    body = client.get("/ogc/collections/issues/items").json()
    found = {feature["id"]: feature for feature in body["features"]}
    assert set(found) == {reported_issues["anonymous"].reference, reported_issues["with_account"].reference}
    assert body["numberMatched"] == 2  # the whole result on its first page: known without counting
    feature = found[reported_issues["anonymous"].reference]
    assert set(feature["properties"]) == PUBLIC_ISSUE_FIELDS
    assert feature["properties"]["category"] == "pothole" and feature["properties"]["ward"] == 8
    assert feature["geometry"]["coordinates"] == pytest.approx(list(HEIDELBERG))
    private = reported_issues["private"].reference
    assert client.get(f"/ogc/collections/issues/items/{private}").status_code == 404
    assert client.get(f"/ogc/collections/issues/items/{reported_issues['duplicate'].reference}").status_code == 404


def test_issue_filters_by_status_category_and_datetime(reported_issues, client):
    url = "/ogc/collections/issues/items"
    assert len(client.get(url, {"status": "submitted", "category": "pothole"}).json()["features"]) == 2
    assert client.get(url, {"status": "closed"}).json()["features"] == []
    reported = reported_issues["anonymous"].created_at
    assert len(client.get(url, {"datetime": f"{reported.date().isoformat()}/.."}).json()["features"]) == 2
    assert client.get(url, {"datetime": "2001-01-01/2001-12-31"}).json()["features"] == []


def assert_nothing_leaks(texts: dict[str, str], issues) -> None:
    resident_id = issues["resident"].pk
    for where, text in texts.items():
        for secret in secrets_of(issues):
            assert secret not in text, f"{secret!r} leaked by {where}"
        assert issues["private"].reference not in text, where
        # No reporter field by any name (the layer's description may say there is none).
        assert f'"reporter": {resident_id}' not in text and "reporter_" not in text.lower(), where
        assert '"reporter"' not in text and "tracking_key" not in text, where


def test_no_reporter_data_in_ogc_or_tiles(reported_issues, client):
    """Every public reading of the issues layer, scanned for the reporters' details and the home address."""
    reference = reported_issues["anonymous"].reference
    texts = {}
    for url in ("/ogc/collections/issues/items", "/ogc/collections/issues/items?f=html", "/ogc/collections/issues",
                f"/ogc/collections/issues/items/{reference}", f"/ogc/collections/issues/items/{reference}?f=html",
                "/tiles/issues.json"):
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = response.content.decode()
    for z in (10, 13, 14, 16):
        column, row = tile_of(*HEIDELBERG, z)
        content = client.get(f"/tiles/issues/{z}/{column}/{row}.mvt").content
        assert content, z
        texts[f"tile z{z}"] = content.decode("latin-1") + repr(mapbox_vector_tile.decode(content))
    assert_nothing_leaks(texts, reported_issues)


@pytest.mark.django_db(transaction=True)  # ogr2ogr reads through its own connection
def test_no_reporter_data_in_any_download(reported_issues, client, tmp_path):
    texts = {}
    for export_format, suffix in (("gpkg", "gpkg"), ("geojson", "geojson"), ("csv", "csv"), ("kml", "kml"),
                                  ("shp", "zip")):
        response = client.get("/layers/issues/download", {"format": export_format})
        assert response.status_code == 200, export_format
        content = b"".join(response.streaming_content)
        raw = content
        if suffix == "zip":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                raw = b"".join(archive.read(name) for name in archive.namelist())
        path = tmp_path / f"issues.{suffix}"
        path.write_bytes(content)
        frame = pyogrio.read_dataframe(path)
        assert len(frame) == 2, export_format
        assert set(frame["reference"]) == {reported_issues["anonymous"].reference,
                                           reported_issues["with_account"].reference}
        texts[f"download {export_format}"] = raw.decode("latin-1") + frame.to_csv()
    assert_nothing_leaks(texts, reported_issues)


def test_staff_issues_need_a_staff_login(reported_issues, client, django_user_model):
    urls = ["/ogc/collections/issues-staff/items", "/layers/issues-staff/download?format=geojson",
            "/tiles/issues-staff/14/{}/{}.mvt".format(*tile_of(*HEIDELBERG, 14))]
    for url in urls:
        assert Client().get(url).status_code == 401, url
    client.force_login(reported_issues["resident"])
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_staff_see_every_issue_of_their_own_municipality_without_reporter_contact(reported_issues, lesedi, client,
                                                                                 django_user_model):
    from django.contrib.auth.models import Group

    staff = django_user_model.objects.create_user("gis@lesedi.example", "a-long-passphrase", is_staff=True,
                                                  municipality=lesedi)
    staff.groups.add(Group.objects.get(name="dispatcher"))
    client.force_login(staff)
    response = client.get("/ogc/collections/issues-staff/items")
    found = {feature["id"]: feature["properties"] for feature in response.json()["features"]}
    assert set(found) == {issue.reference for key, issue in reported_issues.items() if key != "resident"}
    assert found[reported_issues["private"].reference]["private"] is True
    assert found[reported_issues["duplicate"].reference]["duplicate_of"] == reported_issues["anonymous"].reference
    text = response.content.decode()
    for secret in secrets_of(reported_issues):
        assert secret not in text, secret

    elsewhere = Municipality.objects.create(code="WC023", name="Drakenstein")
    elsewhere_staff = django_user_model.objects.create_user("gis@drakenstein.example", "a-long-passphrase",
                                                            is_staff=True, municipality=elsewhere)
    elsewhere_staff.groups.add(Group.objects.get(name="dispatcher"))
    client.force_login(elsewhere_staff)
    assert client.get("/ogc/collections/issues-staff/items").json()["features"] == []
    reference = reported_issues["anonymous"].reference
    assert client.get(f"/ogc/collections/issues-staff/items/{reference}").status_code == 404


def test_assets_and_facilities_layers(lesedi, client):
    light = AssetType.objects.create(municipality=lesedi, code="streetlight", name="Streetlight", geometry_kind="point")
    main = AssetType.objects.create(municipality=lesedi, code="water-main", name="Water main", geometry_kind="line")
    Asset.objects.create(asset_type=light, municipality=lesedi, external_id="SL-1", geom=Point(*HEIDELBERG, srid=4326))
    Asset.objects.create(asset_type=main, municipality=lesedi, external_id="WM-1",
                         geom=LineString((28.35, -26.50), (28.36, -26.50), srid=4326))
    clinic, _ = FacilityType.objects.get_or_create(code="clinic", defaults={"name": "Clinic"})  # migrations add it
    Facility.objects.create(facility_type=clinic, municipality=lesedi, external_id="c-1", name="Heidelberg Clinic",
                            address="1 Main Street", phone="016 341 1234", location=Point(*HEIDELBERG, srid=4326),
                            opening_hours="Mo-Fr 08:00-16:30")

    points = client.get("/ogc/collections/assets/items").json()["features"]
    assert [(f["properties"]["external_id"], f["geometry"]["type"]) for f in points] == [("SL-1", "Point")]
    assert points[0]["properties"]["type"] == "streetlight" and points[0]["properties"]["municipality"] == "GT423"
    lines = client.get("/ogc/collections/asset-lines/items", {"type": "water-main"}).json()["features"]
    assert [(f["properties"]["external_id"], f["geometry"]["type"]) for f in lines] == [("WM-1", "LineString")]
    facilities = client.get("/ogc/collections/facilities/items").json()
    assert facilities["numberMatched"] == 1
    assert facilities["features"][0]["properties"] | {"type": "clinic"} == {
        "name": "Heidelberg Clinic", "type": "clinic", "type_name": "Clinic", "municipality": "GT423",
        "address": "1 Main Street", "phone": "016 341 1234", "email": "", "opening_hours": "Mo-Fr 08:00-16:30",
        "source": "", "is_generated": False}
