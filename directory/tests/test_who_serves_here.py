"""GET /api/v1/contacts/here: the ward by the platform's rule, its councillor and committee, and the contacts
serving the point."""

import json

import pytest
from django.contrib.gis.geos import Point
from shapely.geometry import shape

from directory.services.contacts import contact_create
from directory.tests.conftest import box, ward
from wards.models import BoundarySet, Ward

pytestmark = pytest.mark.django_db
HERE = "/api/v1/contacts/here"


@pytest.fixture
def served(town):
    contact_create(municipality=town, kind="councillor", name="West Councillor", ward=ward(town, 1))
    contact_create(municipality=town, kind="councillor", name="East Councillor", ward=ward(town, 2))
    contact_create(municipality=town, kind="committee_member", name="West Secretary", ward=ward(town, 1))
    contact_create(municipality=town, kind="department", name="West Roads Depot", wards_served=[ward(town, 1)])
    contact_create(municipality=town, kind="service", name="Clinic outreach", service_area=box(28.15, -26.5, 28.25, -26.3))
    contact_create(municipality=town, kind="emergency", name="Fire and rescue")  # serves no area in particular
    return town


def test_a_point_gets_its_ward_councillor_committee_and_serving_contacts(served, client):
    body = client.get(HERE, {"lat": -26.4, "lon": 28.1}).json()
    assert body["municipality"] == {"code": "TT001", "name": "Testville"}
    assert body["ward"] == {"number": 1, "code": "99900001", "year": 2021}
    assert body["councillor"]["name"] == "West Councillor"
    assert [c["name"] for c in body["committee"]] == ["West Secretary"]
    assert [c["name"] for c in body["contacts"]] == ["West Roads Depot"]
    inside_area = client.get(HERE, {"lat": -26.4, "lon": 28.22}).json()
    assert inside_area["councillor"]["name"] == "East Councillor"
    assert [c["name"] for c in inside_area["contacts"]] == ["Clinic outreach"]


def test_on_the_shared_edge_the_lowest_ward_number_answers(served, client):
    body = client.get(HERE, {"lat": -26.4, "lon": 28.2}).json()
    assert body["ward"]["number"] == 1 and body["councillor"]["name"] == "West Councillor"
    # Both wards cover the edge: the depot serving ward 1 and the area reaching over it both serve it.
    assert {c["name"] for c in body["contacts"]} == {"West Roads Depot", "Clinic outreach"}


def test_after_a_new_demarcation_the_current_wards_answer(served, client):
    BoundarySet.objects.filter(municipality=served).update(is_current=False)
    newer = BoundarySet.objects.create(municipality=served, year=2026, is_current=True)
    new_ward = Ward.objects.create(boundary_set=newer, municipality=served, number=1, code="99900101",
                                   geom=box(28.0, -26.6, 28.4, -26.2))
    contact_create(municipality=served, kind="councillor", name="New Councillor", ward=new_ward)
    body = client.get(HERE, {"lat": -26.4, "lon": 28.1}).json()
    assert body["ward"]["code"] == "99900101" and body["councillor"]["name"] == "New Councillor"
    assert body["committee"] == [] and body["contacts"] == []  # the depot served a ward of the old demarcation


def test_outside_every_municipality_is_404_saying_so(served, client):
    response = client.get(HERE, {"lat": -33.9249, "lon": 18.4241})
    assert response.status_code == 404
    assert "outside every municipality" in response.json()["detail"]


@pytest.mark.parametrize(("params", "field"), [
    ({"lat": "abc", "lon": "28.1"}, "lat"), ({"lat": "-26.4"}, "lon"), ({"lat": "-95", "lon": "28.1"}, "lat"),
    ({"lat": "-26.4", "lon": "nan"}, "lon"),
])
def test_bad_coordinates_are_400_naming_the_field(served, client, params, field):
    response = client.get(HERE, params)
    assert response.status_code == 400
    assert field in response.json()


def test_two_queries_answer_who_serves_here(served, client, django_assert_num_queries):
    with django_assert_num_queries(2):
        client.get(HERE, {"lat": -26.4, "lon": 28.1})


@pytest.mark.shared_data
def test_real_lesedi_wards_each_interior_point_and_a_shared_vertex(lesedi, lesedi_wards_file, client):
    features = json.loads(lesedi_wards_file.read_text())["features"]
    for current in Ward.objects.current().filter(municipality=lesedi):
        contact_create(municipality=lesedi, kind="councillor", name=f"Councillor of ward {current.number}", ward=current)
    for feature in features:
        inside = shape(feature["geometry"]).representative_point()
        body = client.get(HERE, {"lat": inside.y, "lon": inside.x}).json()
        assert body["councillor"]["name"] == f"Councillor of ward {int(feature['properties']['WardNumber'])}"
    shapes = {int(f["properties"]["WardNumber"]): shape(f["geometry"]) for f in features}
    first, second = next((a, b) for a in sorted(shapes) for b in sorted(shapes) if a < b and shapes[a].touches(shapes[b]))

    def vertices(geometry):
        return {coord for polygon in getattr(geometry, "geoms", [geometry]) for coord in polygon.exterior.coords}

    common = sorted(vertices(shapes[first]) & vertices(shapes[second]))
    lon, lat = common[len(common) // 2]
    covering = set(Ward.objects.current().covering(Point(lon, lat, srid=4326)).values_list("number", flat=True))
    assert {first, second} <= covering
    body = client.get(HERE, {"lat": lat, "lon": lon}).json()
    assert body["ward"]["number"] == min(covering)
    assert body["councillor"]["name"] == f"Councillor of ward {min(covering)}"
