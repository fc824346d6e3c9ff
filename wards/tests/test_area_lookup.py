"""Which municipality, ward and suburb a point is in: QuerySet methods and the lookup API."""

import json

import pytest
from django.contrib.gis.geos import Point
from shapely.geometry import shape

from wards.models import Ward

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/areas/lookup"


def lesedi_features(path):
    return json.loads(path.read_text())["features"]


def test_every_ward_resolves_its_own_interior_point(lesedi, lesedi_wards_file, client):
    """Interior points computed independently (shapely), from the file itself."""
    for feature in lesedi_features(lesedi_wards_file):
        inside = shape(feature["geometry"]).representative_point()
        response = client.get(LOOKUP, {"lat": inside.y, "lon": inside.x})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["municipality"] == {"code": "GT423", "name": "Lesedi"}
        assert body["ward"] == {"number": int(feature["properties"]["WardNumber"]),
                                "code": feature["properties"]["WardID"], "year": 2011}
        assert body["suburb"] is None


def test_real_clinics_resolve_to_the_ward_their_source_computed(lesedi, shared_data, client):
    """The facility file carries each Lesedi facility's ward, computed by its publisher."""
    facilities = json.loads((shared_data / "za_facilities" / "za_health_facilities_lesedi_drakenstein.geojson")
                            .read_text())["features"]
    checked = 0
    for facility in facilities:
        expected = facility["properties"].get("lesedi_ward_id_2011_computed")
        if not expected:
            continue
        lon, lat = facility["geometry"]["coordinates"]
        body = client.get(LOOKUP, {"lat": lat, "lon": lon}).json()
        assert body["ward"]["code"] == expected, facility["properties"]["name"]
        checked += 1
    assert checked == 21


def shared_vertex(features, first: int, second: int):
    """A vertex that both wards' rings contain: exactly on their shared boundary."""
    def vertices(feature):
        geometry = shape(feature["geometry"])
        polygons = getattr(geometry, "geoms", [geometry])
        return {coord for polygon in polygons for coord in polygon.exterior.coords}

    by_number = {int(f["properties"]["WardNumber"]): f for f in features}
    common = sorted(vertices(by_number[first]) & vertices(by_number[second]))
    assert common, f"wards {first} and {second} share no vertex"
    return common[len(common) // 2]


def test_a_point_on_a_shared_edge_goes_to_the_lowest_ward_number_every_time(lesedi, lesedi_wards_file, client):
    features = lesedi_features(lesedi_wards_file)
    # Find two neighbouring wards from the data, then a vertex they share.
    shapes = {int(f["properties"]["WardNumber"]): shape(f["geometry"]) for f in features}
    pairs = [(a, b) for a in shapes for b in shapes if a < b and shapes[a].touches(shapes[b])]
    first, second = pairs[0]
    lon, lat = shared_vertex(features, first, second)
    point = Point(lon, lat, srid=4326)
    covering = list(Ward.objects.current().covering(point).values_list("number", flat=True))
    assert first in covering and second in covering  # truly on both
    answers = {client.get(LOOKUP, {"lat": lat, "lon": lon}).json()["ward"]["number"] for _ in range(5)}
    assert answers == {min(covering)}


def test_a_point_outside_every_municipality_is_404(lesedi, client):
    response = client.get(LOOKUP, {"lat": -33.9249, "lon": 18.4241})  # Cape Town
    assert response.status_code == 404
    assert "outside every municipality" in response.json()["detail"]


@pytest.mark.parametrize("params,field,message", [
    ({"lat": "abc", "lon": "28.3"}, "lat", "'abc' is not a number"),
    ({"lat": "-26.5", "lon": "190"}, "lon", "outside the range -180 to 180"),
    ({"lat": "-95", "lon": "28.3"}, "lat", "outside the range -90 to 90"),
    ({"lat": "nan", "lon": "28.3"}, "lat", "outside the range"),
    ({"lon": "28.3"}, "lat", "required"),
    ({"lat": "-26.5", "lon": ""}, "lon", "required"),
])
def test_bad_coordinates_are_400_naming_the_parameter(db, client, params, field, message):
    response = client.get(LOOKUP, params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_lookup_finds_the_suburb_too(lesedi, client, tmp_path):
    from django.core.management import call_command

    ward_1 = Ward.objects.get(code="74203001")
    inside = ward_1.geom.point_on_surface
    suburb = {"type": "Feature", "properties": {"name": "Test Suburb"},
              "geometry": json.loads(inside.buffer(0.001).geojson)}
    path = tmp_path / "suburbs.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [suburb]}))
    call_command("import_areas", str(path), level="suburb", name_field="name", municipality="GT423", verbosity=0)
    body = client.get(LOOKUP, {"lat": inside.y, "lon": inside.x}).json()
    assert body["suburb"] == {"name": "Test Suburb", "code": "test-suburb"}
    assert body["ward"]["number"] == 1


def test_lookup_answers_from_the_current_demarcation(lesedi, lesedi_wards_file, client):
    from tests.support import import_lesedi_wards

    import_lesedi_wards(lesedi_wards_file, year_field=None, year=2016)
    inside = Ward.objects.get(code="74203003", boundary_set__year=2016).geom.point_on_surface
    body = client.get(LOOKUP, {"lat": inside.y, "lon": inside.x}).json()
    assert body["ward"] == {"number": 3, "code": "74203003", "year": 2016}
