"""Nearest facilities on the real health facility points, checked against pyproj's geodesic."""

import json

import pytest
from django.db import connection
from pyproj import Geod

from assets.models import Facility

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
NEAREST = "/api/v1/facilities/nearest"
HEIDELBERG = (-26.5040, 28.3580)  # lat, lon
PAARL = (-33.7340, 18.9630)


def geodesic_metres(lat, lon, other_lon, other_lat):
    return GEOD.inv(lon, lat, other_lon, other_lat)[2]


@pytest.mark.parametrize("origin", [HEIDELBERG, PAARL])
def test_nearest_five_are_the_true_five_in_order_with_geodesic_distances(health_facilities, client, origin):
    lat, lon = origin
    response = client.get(NEAREST, {"lat": lat, "lon": lon, "k": 5})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    features = response.json()["features"]
    # Independently: every facility's geodesic distance, from the file itself.
    source = json.loads(health_facilities.read_text())["features"]
    # One record is in the file twice verbatim and is imported once (see the import test).
    unique_records = {json.dumps(f, sort_keys=True): f for f in source}.values()
    true_order = sorted(geodesic_metres(lat, lon, *f["geometry"]["coordinates"]) for f in unique_records)
    served = [f["properties"]["distance_m"] for f in features]
    assert served == sorted(served)
    for feature, expected in zip(features, true_order[:5], strict=True):
        independent = geodesic_metres(lat, lon, *feature["geometry"]["coordinates"])
        assert feature["properties"]["distance_m"] == pytest.approx(independent, rel=0.005)
        assert feature["properties"]["distance_m"] == pytest.approx(expected, rel=1e-9)  # the true 5, in order
        assert independent == pytest.approx(expected, abs=0.2)  # served coordinates have 6 decimals


def test_type_filter_and_k(health_facilities, client):
    lat, lon = HEIDELBERG
    features = client.get(NEAREST, {"lat": lat, "lon": lon, "type": "hospital", "k": 2}).json()["features"]
    assert len(features) == 2
    assert {f["properties"]["type"] for f in features} == {"hospital"}
    hospitals = Facility.objects.of_type("hospital")
    nearest_by_python = min(hospitals, key=lambda f: geodesic_metres(lat, lon, f.location.x, f.location.y))
    assert features[0]["id"] == nearest_by_python.pk
    assert "reporter" not in json.dumps(features)


@pytest.mark.parametrize("params,field,message", [
    ({"k": "0"}, "k", "outside the range 1 to 50"),
    ({"k": "51"}, "k", "outside the range 1 to 50"),
    ({"k": "five"}, "k", "not a whole number"),
    ({"type": "spaceport"}, "type", "Unknown facility type 'spaceport'"),
    ({"lat": "100"}, "lat", "outside the range -90 to 90"),
    ({"open_now": "maybe"}, "open_now", "not true or false"),
])
def test_bad_parameters_are_400_naming_the_parameter(db, client, params, field, message):
    query = {"lat": HEIDELBERG[0], "lon": HEIDELBERG[1], **params}
    response = client.get(NEAREST, query)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_nearest_query_uses_the_geography_index(health_facilities):
    from django.contrib.gis.geos import Point

    queryset = Facility.objects.nearest(Point(HEIDELBERG[1], HEIDELBERG[0], srid=4326), k=5)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # 53 rows: make the planner show its index path
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "facility_location_geography" in plan
    assert "Order By" in plan  # the KNN ordering is done by the index scan itself


def test_facility_search_by_text_type_and_bbox(health_facilities, client):
    body = client.get("/api/v1/facilities/", {"q": "ratanda", "bbox": "28.2,-26.7,28.5,-26.4"}).json()
    names = [f["properties"]["name"] for f in body["features"]]
    assert names and all("ratanda" in n.lower() for n in names)
    clinics = client.get("/api/v1/facilities/", {"type": "clinic", "municipality": "GT423"}).json()["features"]
    assert clinics and {f["properties"]["type"] for f in clinics} == {"clinic"}
    assert client.get("/api/v1/facilities/", {"bbox": "28.5,-26.4,28.2"}).status_code == 400
    assert client.get("/api/v1/facilities/", {"bbox": "28.5,-26.4,28.2,-26.7"}).status_code == 400


def test_within_metres_on_the_sphere(health_facilities):
    from django.contrib.gis.geos import Point

    lat, lon = HEIDELBERG
    origin = Point(lon, lat, srid=4326)
    source = json.loads(health_facilities.read_text())["features"]
    names_by_distance = {}
    for feature in source:
        metres = geodesic_metres(lat, lon, *feature["geometry"]["coordinates"])
        names_by_distance.setdefault(feature["properties"]["name"] or "Pharmacy", []).append(metres)
    within = set(Facility.objects.within(origin, metres=3000).values_list("name", flat=True))
    expected = {name for name, distances in names_by_distance.items() if min(distances) <= 3000}
    assert within == expected and len(within) >= 3
