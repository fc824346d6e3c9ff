"""OGC API - Features Part 1 Core at /ogc/, through the URLs, on the real Lesedi wards."""

import json

import pytest
from shapely.geometry import box, shape

from tests.support import import_lesedi_wards
from wards.models import Ward

pytestmark = pytest.mark.django_db

ITEMS = "/ogc/collections/wards/items"


def test_landing_page_links_to_conformance_and_collections(client):
    body = client.get("/ogc/").json()
    relations = {link["rel"]: link["href"] for link in body["links"]}
    assert relations["conformance"].endswith("/ogc/conformance")
    assert relations["data"].endswith("/ogc/collections")
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance


def test_collections_describe_each_public_layer_with_its_extent(lesedi, lesedi_wards_file, client):
    collections = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    assert {"municipalities", "wards", "ward-demarcations", "suburbs"} <= set(collections)
    wards = client.get("/ogc/collections/wards").json()
    source = [shape(f["geometry"]) for f in json.loads(lesedi_wards_file.read_text())["features"]]
    expected = (min(g.bounds[0] for g in source), min(g.bounds[1] for g in source),
                max(g.bounds[2] for g in source), max(g.bounds[3] for g in source))
    assert wards["extent"]["spatial"]["bbox"][0] == pytest.approx(expected, abs=1e-6)
    assert any(link["rel"] == "items" and link["type"] == "application/geo+json" for link in wards["links"])


def test_items_are_geojson_with_the_published_properties(lesedi, client, django_assert_num_queries):
    # The page of features (one message with the SET LOCAL keeping it to one server process); numberMatched
    # is known without counting, as the first page holds every ward.
    with django_assert_num_queries(1):
        response = client.get(ITEMS, {"limit": 100})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["numberReturned"] == body["numberMatched"] == 13
    ward = next(f for f in body["features"] if f["properties"]["code"] == "74203009")
    assert ward["properties"] == {"code": "74203009", "number": 9, "municipality": "GT423", "year": 2011}
    assert ward["id"] == Ward.objects.get(code="74203009").pk
    stored = shape(json.loads(Ward.objects.get(code="74203009").geom.geojson))
    assert shape(ward["geometry"]).hausdorff_distance(stored) <= 1e-6  # 6 decimals: about 0.1 m
    assert not any(link["rel"] == "next" for link in body["links"])


def test_paging_with_a_small_limit_returns_every_ward_exactly_once_forwards_and_back(lesedi, client):
    seen, pages, url = [], [], f"{ITEMS}?limit=4"
    while url:
        body = client.get(url).json()
        pages.append([f["id"] for f in body["features"]])
        seen += pages[-1]
        next_links = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = next_links[0] if next_links else None
    assert len(seen) == len(set(seen)) == 13
    assert [len(page) for page in pages] == [4, 4, 4, 1]

    # Back from the last page with the prev links: the same pages, in reverse.
    back = [link["href"] for link in body["links"] if link["rel"] == "prev"]
    walked = []
    while back:
        body = client.get(back[0]).json()
        walked.append([f["id"] for f in body["features"]])
        back = [link["href"] for link in body["links"] if link["rel"] == "prev"]
    assert walked == list(reversed(pages[:-1]))


def test_bbox_keeps_only_the_wards_it_touches(lesedi, client):
    ward = Ward.objects.get(code="74203009")
    inside = ward.geom.point_on_surface
    tiny = (inside.x - 1e-5, inside.y - 1e-5, inside.x + 1e-5, inside.y + 1e-5)
    body = client.get(ITEMS, {"bbox": ",".join(map(str, tiny))}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["74203009"]
    everything = client.get(ITEMS, {"bbox": "27,-27.5,29.5,-25.5"}).json()
    assert everything["numberMatched"] == 13
    for feature in everything["features"]:
        assert shape(feature["geometry"]).intersects(box(27, -27.5, 29.5, -25.5))


def test_property_filters_pick_a_demarcation_year(lesedi, lesedi_wards_file, client):
    import_lesedi_wards(lesedi_wards_file, year_field=None, year=2016)
    current = client.get(ITEMS).json()
    assert {f["properties"]["year"] for f in current["features"]} == {2016}
    old = client.get("/ogc/collections/ward-demarcations/items", {"year": 2011, "limit": 1000}).json()
    assert old["numberMatched"] == 13 and {f["properties"]["year"] for f in old["features"]} == {2011}
    numbered = client.get("/ogc/collections/ward-demarcations/items", {"number": 9}).json()
    assert sorted(f["properties"]["year"] for f in numbered["features"]) == [2011, 2016]


@pytest.mark.parametrize(("params", "parameter"), [
    ({"bbox": "28,-27,29"}, "bbox"),
    ({"bbox": "west,-27,29,-26"}, "bbox"),
    ({"bbox": "29,-27,28,-26"}, "bbox"),
    ({"bbox": "28,-97,29,-26"}, "bbox"),
    ({"datetime": "yesterday"}, "datetime"),
    ({"datetime": "2021-11-01T10:00:00"}, "datetime"),  # no time zone
    ({"datetime": "2021-12-01/2021-11-01"}, "datetime"),
    ({"datetime": "../.."}, "datetime"),
    ({"limit": "0"}, "limit"),
    ({"limit": "10001"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"year": "twenty-eleven"}, "year"),
    ({"after": "not-an-id"}, "after"),
])
def test_a_malformed_parameter_is_a_400_in_the_ogc_exception_format(db, client, params, parameter):
    response = client.get(ITEMS, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert f"'{parameter}'" in body["description"]


def test_one_feature_by_id_and_404s(lesedi, client):
    ward = Ward.objects.get(code="74203009")
    response = client.get(f"{ITEMS}/{ward.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and feature["properties"]["number"] == 9
    assert any(link["rel"] == "collection" for link in feature["links"])
    municipality = client.get("/ogc/collections/municipalities/items/GT423").json()
    assert municipality["id"] == "GT423" and municipality["properties"]["name"] == "Lesedi"
    for url in (f"{ITEMS}/999999", f"{ITEMS}/abc", "/ogc/collections/nowhere", "/ogc/collections/nowhere/items"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "NotFound"


def test_browsers_get_html_and_f_decides_over_accept(lesedi, client):
    page = client.get(ITEMS, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    text = page.content.decode()
    assert "74203009" in text and 'id="ogc-map"' in text
    for url in ("/ogc/", "/ogc/conformance", "/ogc/collections", "/ogc/collections/wards",
                f"{ITEMS}/{Ward.objects.get(code='74203009').pk}"):
        assert client.get(url, {"f": "html"})["Content-Type"].startswith("text/html"), url
    assert client.get(ITEMS, {"f": "json"}, HTTP_ACCEPT="text/html")["Content-Type"] == "application/geo+json"
    assert client.get(ITEMS, {"f": "xml"}).status_code == 400


def test_staff_only_layers_are_hidden_and_refused_to_others(lesedi, staff_only_layer, client, django_user_model):
    listed = {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert "ward-imports" not in listed
    anonymous = client.get("/ogc/collections/ward-imports/items")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "NotAuthenticated"

    client.force_login(django_user_model.objects.create_user("resident@example.org", "a-long-passphrase"))
    assert client.get("/ogc/collections/ward-imports/items").status_code == 403

    client.force_login(django_user_model.objects.create_user("gis@example.org", "a-long-passphrase", is_staff=True))
    assert "ward-imports" in {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert client.get("/ogc/collections/ward-imports/items").json()["numberMatched"] == 13


def test_datetime_filters_a_layer_that_has_a_time(lesedi, staff_only_layer, staff_client):
    from wards.models import BoundarySet

    imported = BoundarySet.objects.get().imported_at
    url = "/ogc/collections/ward-imports/items"
    day = imported.date().isoformat()
    assert staff_client.get(url, {"datetime": f"{imported.isoformat()}"}).json()["numberMatched"] == 13
    assert staff_client.get(url, {"datetime": f"../{day}"}).json()["numberMatched"] == 13
    assert staff_client.get(url, {"datetime": f"{int(day[:4]) + 1}-01-01T00:00:00Z/.."}).json()["numberMatched"] == 0
    assert staff_client.get(url, {"datetime": "2000-01-01/2000-12-31"}).json()["numberMatched"] == 0
