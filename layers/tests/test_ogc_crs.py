"""OGC API - Features: unknown query parameters refused (Part 1, /req/core/query-param-unknown), and
coordinates in other CRSs (Part 2: crs, bbox-crs, Content-Crs), checked against pyproj."""

import json

import numpy
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from layers.ogc import core
from wards.models import Ward

pytestmark = pytest.mark.django_db

ITEMS = "/ogc/collections/wards/items"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
UTM_35_SOUTH = EPSG.format(32735)  # Lesedi's UTM zone (about 28.4° E, 26.5° S)


@pytest.mark.parametrize(("url", "params", "parameter"), [
    (ITEMS, {"foo": "bar"}, "foo"),
    (ITEMS, {"sortby": "code"}, "sortby"),
    (ITEMS, {"filter": "number=9"}, "filter"),
    (ITEMS, {"properties": "code"}, "properties"),
    ("/ogc/collections/wards/items/1", {"limit": "5"}, "limit"),
    ("/ogc/collections/wards", {"bbox": "28,-27,29,-26"}, "bbox"),
    ("/ogc/collections", {"foo": "bar"}, "foo"),
    ("/ogc/", {"foo": "bar"}, "foo"),
])
def test_an_unknown_query_parameter_is_a_400_naming_it(lesedi, client, url, params, parameter):
    response = client.get(url, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert f"'{parameter}'" in body["description"] and "query-param-unknown" in body["description"]


def test_known_parameters_and_property_filters_are_still_taken(lesedi, client):
    response = client.get(ITEMS, {"f": "json", "limit": "5", "number": "9", "bbox": "27,-28,29,-26"})
    assert response.status_code == 200
    assert [f["properties"]["number"] for f in response.json()["features"]] == [9]


def test_each_collection_lists_the_crs_it_offers_with_the_municipality_utm_zone(lesedi, client):
    wards = client.get("/ogc/collections/wards").json()
    assert wards["storageCrs"] == CRS84
    assert wards["crs"] == [CRS84, EPSG.format(4326), EPSG.format(3857), UTM_35_SOUTH]
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance


def ward_nine(body) -> dict:
    return next(f for f in body["features"] if f["properties"]["number"] == 9)


@pytest.mark.parametrize(("asked", "epsg", "tolerance"), [
    (UTM_35_SOUTH, 32735, 0.01),
    ("EPSG:32735", 32735, 0.01),
    (EPSG.format(3857), 3857, 0.01),
])
def test_features_in_a_projected_crs_match_pyproj(lesedi, client, asked, epsg, tolerance):
    response = client.get(ITEMS, {"crs": asked, "number": "9"})
    assert response.status_code == 200
    assert response["Content-Crs"] == f"<{EPSG.format(epsg)}>"
    projected = shape(ward_nine(response.json())["geometry"])
    stored = shape(json.loads(Ward.objects.get(code="74203009").geom.geojson))
    to_projected = Transformer.from_crs(4326, epsg, always_xy=True)
    expected = shapely.transform(stored, lambda xy: numpy.column_stack(to_projected.transform(xy[:, 0], xy[:, 1])))
    assert projected.hausdorff_distance(expected) < tolerance + 0.005  # two decimals of a metre
    assert projected.area == pytest.approx(expected.area, rel=1e-5)


def test_epsg_4326_puts_latitude_first_and_crs84_longitude_first(lesedi, client):
    default = client.get(ITEMS, {"number": "9"})
    assert default["Content-Crs"] == f"<{CRS84}>"
    longitude, latitude = ward_nine(default.json())["geometry"]["coordinates"][0][0][0]
    assert 27 < longitude < 29.5 and -27.5 < latitude < -26

    flipped = client.get(ITEMS, {"number": "9", "crs": EPSG.format(4326)})
    assert flipped["Content-Crs"] == f"<{EPSG.format(4326)}>"
    assert ward_nine(flipped.json())["geometry"]["coordinates"][0][0][0] == [latitude, longitude]


def test_one_feature_in_another_crs(lesedi, client):
    ward = Ward.objects.get(code="74203009")
    response = client.get(f"/ogc/collections/wards/items/{ward.pk}", {"crs": UTM_35_SOUTH})
    assert response.status_code == 200 and response["Content-Crs"] == f"<{UTM_35_SOUTH}>"
    easting, northing = response.json()["geometry"]["coordinates"][0][0][0]
    assert 500_000 < easting < 700_000 and 7_000_000 < northing < 7_100_000


@pytest.mark.parametrize("params", [
    {"crs": EPSG.format(32633)},  # a UTM zone no municipality is in
    {"crs": "EPSG:99999"},
    {"crs": "not a crs"},
    {"bbox-crs": EPSG.format(2056), "bbox": "1,2,3,4"},
])
def test_a_crs_not_offered_is_a_400_naming_the_parameter(lesedi, client, params):
    response = client.get(ITEMS, params)
    assert response.status_code == 400
    assert f"'{next(iter(params))}'" in response.json()["description"]


def test_bbox_in_utm_and_in_epsg_4326_order_finds_the_ward_under_it(lesedi, client):
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    easting, northing = Transformer.from_crs(4326, 32735, always_xy=True).transform(inside.x, inside.y)
    response = client.get(ITEMS, {"bbox-crs": UTM_35_SOUTH,
                                  "bbox": f"{easting - 5},{northing - 5},{easting + 5},{northing + 5}"})
    assert response.status_code == 200
    assert [f["properties"]["code"] for f in response.json()["features"]] == ["74203009"]

    latitude_first = f"{inside.y - 1e-5},{inside.x - 1e-5},{inside.y + 1e-5},{inside.x + 1e-5}"
    response = client.get(ITEMS, {"bbox-crs": EPSG.format(4326), "bbox": latitude_first})
    assert [f["properties"]["code"] for f in response.json()["features"]] == ["74203009"]
    # The same numbers read as CRS84 (longitude first) are a box in the Atlantic, west of the Sahara: nothing there.
    response = client.get(ITEMS, {"bbox": latitude_first})
    assert response.status_code == 200 and response.json()["features"] == []


def test_number_matched_is_counted_up_to_a_bound_for_layers_too_big_to_count(reported_issues, client, monkeypatch):
    first = client.get("/ogc/collections/issues/items", {"limit": 1}).json()
    assert first["numberReturned"] == 1 and first["numberMatched"] == 2
    monkeypatch.setattr(core, "COUNT_AT_MOST", 1)
    beyond = client.get("/ogc/collections/issues/items", {"limit": 1}).json()
    assert beyond["numberReturned"] == 1 and "numberMatched" not in beyond
