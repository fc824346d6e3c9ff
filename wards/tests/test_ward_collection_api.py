import json

import pytest
from shapely.geometry import shape

pytestmark = pytest.mark.django_db


def test_wards_of_a_municipality_as_geojson_built_in_sql(lesedi, lesedi_wards_file, client, django_assert_num_queries):
    with django_assert_num_queries(2):  # the municipality check and the one json_agg query
        response = client.get("/api/v1/wards/", {"municipality": "GT423"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["number"] for f in collection["features"]] == list(range(1, 14))
    features = json.loads(lesedi_wards_file.read_text())["features"]
    source = {f["properties"]["WardID"]: shape(f["geometry"]) for f in features}
    for feature in collection["features"]:
        assert feature["id"] == feature["properties"]["code"]
        assert feature["properties"]["municipality"] == "GT423" and feature["properties"]["year"] == 2011
        served = shape(feature["geometry"])
        assert served.hausdorff_distance(source[feature["id"]]) <= 1e-6  # 6 decimals: about 0.1 m


def test_unknown_municipality_is_400(db, client):
    response = client.get("/api/v1/wards/", {"municipality": "XX999"})
    assert response.status_code == 400
    assert "XX999" in response.json()["municipality"][0]


def test_old_demarcations_stay_queryable(lesedi, lesedi_wards_file, client):
    from tests.support import import_lesedi_wards

    import_lesedi_wards(lesedi_wards_file, year_field=None, year=2016)
    current = client.get("/api/v1/wards/", {"municipality": "GT423"}).json()
    old = client.get("/api/v1/wards/", {"municipality": "GT423", "year": 2011}).json()
    assert {f["properties"]["year"] for f in current["features"]} == {2016}
    assert {f["properties"]["year"] for f in old["features"]} == {2011}
    assert client.get("/api/v1/wards/", {"year": "20x1"}).status_code == 400


def test_empty_collection_is_still_valid_geojson(db, client):
    assert client.get("/api/v1/wards/").json() == {"type": "FeatureCollection", "features": []}
