"""/api/v1/me, places, alerts and preferences, end to end through URLs on the real Lesedi wards."""

import pytest

from residents.models import AreaAlert, Place
from residents.tests.conftest import inside_ward
from wards.models import Ward

pytestmark = pytest.mark.shared_data


def geojson(point):
    return {"type": "Point", "coordinates": [point.x, point.y]}


def square(lon, lat, half):
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_the_residents_api_needs_a_login(client, db):
    for path in ("/api/v1/me", "/api/v1/me/places", "/api/v1/me/alerts", "/api/v1/me/preferences"):
        assert client.get(path).status_code == 403


def test_a_home_place_shows_the_ward_and_suburb_derived_from_its_point(lesedi, lesedi_features, resident_client):
    point = inside_ward(lesedi_features, 5)
    made = resident_client.post("/api/v1/me/places", {"name": "Home", "is_home": True, "point": geojson(point),
                                                      "address": "12 Private Street"}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["areas"]["ward"]["number"] == 5
    me = resident_client.get("/api/v1/me").json()
    assert me["home"]["name"] == "Home" and me["home"]["areas"]["municipality"]["code"] == "GT423"
    # A second home moves the mark, it does not make two.
    resident_client.post("/api/v1/me/places", {"name": "New home", "is_home": True,
                                               "point": geojson(inside_ward(lesedi_features, 6))},
                         content_type="application/json")
    assert list(Place.objects.filter(is_home=True).values_list("name", flat=True)) == ["New home"]


@pytest.mark.parametrize("body,field", [
    ({"name": "Far", "point": {"type": "Point", "coordinates": [18.42, -33.92]}}, "point"),  # Cape Town
    ({"name": "Bad", "point": {"type": "Point", "coordinates": [200, -26]}}, "point"),
    ({"name": "Line", "point": {"type": "LineString", "coordinates": [[28, -26], [28.1, -26]]}}, "point"),
    ({"point": {"type": "Point", "coordinates": [28.3, -26.5]}}, "name"),
])
def test_a_bad_place_is_400_naming_the_field(lesedi, resident_client, body, field):
    answer = resident_client.post("/api/v1/me/places", body, content_type="application/json")
    assert answer.status_code == 400 and field in answer.json(), answer.content


def test_alerts_from_a_ward_a_place_radius_and_a_drawn_polygon(lesedi, lesedi_features, resident_client, resident):
    ward = Ward.objects.current().get(number=3)
    by_ward = resident_client.post("/api/v1/me/alerts", {"area": {"ward": ward.code}}, content_type="application/json")
    assert by_ward.status_code == 201 and by_ward.json()["source"] == "ward"
    assert AreaAlert.objects.get(pk=by_ward.json()["id"]).area.equals(ward.geom)

    point = inside_ward(lesedi_features, 3)
    place = Place.objects.create(user=resident, name="Work", point=point)
    by_radius = resident_client.post("/api/v1/me/alerts", {"area": {"place": place.pk, "radius_m": 1000}},
                                     content_type="application/json")
    assert by_radius.status_code == 201
    circle = AreaAlert.objects.get(pk=by_radius.json()["id"])
    # About π km² on the spheroid (a 64-gon loses a little).
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_Area(area::geography) FROM residents_areaalert WHERE id = %s", [circle.pk])
        assert 3.10e6 < cursor.fetchone()[0] < 3.15e6
    assert circle.municipality == lesedi and circle.area.geom_type == "MultiPolygon"

    drawn = resident_client.post("/api/v1/me/alerts", {"area": square(point.x, point.y, 0.01), "municipality": "GT423",
                                                       "digest": "daily"}, content_type="application/json")
    assert drawn.status_code == 201 and drawn.json()["digest"] == "daily"
    listed = resident_client.get("/api/v1/me/alerts").json()
    assert {alert["source"] for alert in listed} == {"ward", "place", "drawn"}
    assert resident_client.delete(f"/api/v1/me/alerts/{listed[0]['id']}").status_code == 204
    assert len(resident_client.get("/api/v1/me/alerts").json()) == 2


def bowtie(lon, lat):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + .01, lat + .01], [lon + .01, lat], [lon, lat + .01],
                                                 [lon, lat]]]}


def many_vertices(lon, lat, n=1001):
    import math
    ring = [[lon + .01 * math.cos(2 * math.pi * i / n), lat + .01 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.mark.parametrize("area,errors", [
    (bowtie(28.3, -26.5), {"area": "not a valid polygon"}),
    (square(28.3, -26.5, 2.0), {"area": "larger than the municipality"}),
    (square(18.4, -33.9, 0.01), {"area": "outside the municipality"}),
    ({"type": "Point", "coordinates": [28.3, -26.5]}, {"area": "Polygon or MultiPolygon"}),
    ({"ward": "99999999"}, {"area": {"ward": "no current ward"}}),
    ({"suburb": 424242}, {"area": {"suburb": "no suburb"}}),
    ({"place": 424242, "radius_m": 500}, {"area": {"place": "no place"}}),
    ({"nothing": 1}, {"area": "Give a GeoJSON geometry"}),
    ("ward 3", {"area": "JSON object"}),
])
def test_a_bad_alert_area_is_400_naming_the_field(lesedi, resident_client, area, errors):
    answer = resident_client.post("/api/v1/me/alerts", {"area": area, "municipality": "GT423"},
                                  content_type="application/json")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    for field, expected in errors.items():
        if isinstance(expected, dict):
            ((key, text),) = expected.items()
            assert text in body[field][key][0]
        else:
            assert expected in body[field][0], body


def test_more_than_a_thousand_vertices_is_refused(lesedi, lesedi_features, resident_client):
    point = inside_ward(lesedi_features, 3)
    answer = resident_client.post("/api/v1/me/alerts", {"area": many_vertices(point.x, point.y), "municipality": "GT423"},
                                  content_type="application/json")
    assert answer.status_code == 400 and "1,002 vertices" in answer.json()["area"][0]


@pytest.mark.parametrize("radius", [49, 20_001, "far", None, True])
def test_a_radius_outside_50_m_to_20_km_is_refused(lesedi, lesedi_features, resident_client, resident, radius):
    place = Place.objects.create(user=resident, name="Work", point=inside_ward(lesedi_features, 3))
    answer = resident_client.post("/api/v1/me/alerts", {"area": {"place": place.pk, "radius_m": radius}},
                                  content_type="application/json")
    assert answer.status_code == 400 and "radius must be" in answer.json()["area"]["radius_m"][0]


def test_a_resident_never_reaches_anothers_places_or_alerts(lesedi, lesedi_features, resident_client, django_user_model):
    other = django_user_model.objects.create_user("other@example.org", "a-long-passphrase-42")
    place = Place.objects.create(user=other, name="Theirs", point=inside_ward(lesedi_features, 3))
    assert resident_client.delete(f"/api/v1/me/places/{place.pk}").status_code == 404
    answer = resident_client.post("/api/v1/me/alerts", {"area": {"place": place.pk, "radius_m": 500}},
                                  content_type="application/json")
    assert answer.status_code == 400 and "place" in answer.json()["area"]
    assert resident_client.get("/api/v1/me/places").json() == []


def test_preferences_with_quiet_hours(resident_client):
    assert resident_client.get("/api/v1/me/preferences").json()["by_sms"] is True
    changed = resident_client.put("/api/v1/me/preferences", {"by_sms": False, "quiet_start": "21:00", "quiet_end": "06:30"},
                                  content_type="application/json")
    assert changed.status_code == 200 and changed.json()["quiet_end"] == "06:30"
    half = resident_client.put("/api/v1/me/preferences", {"quiet_start": None}, content_type="application/json")
    assert half.status_code == 400 and "quiet_end" in half.json()
