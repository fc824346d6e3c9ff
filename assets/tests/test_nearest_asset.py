"""Snapping a report to the nearest asset of a type within a radius."""

import pytest
from django.contrib.gis.geos import LineString, Point
from pyproj import Geod

from assets.models import Asset, AssetType
from wards.models import Ward

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
ORIGIN = (28.3580, -26.5040)  # lon, lat in Heidelberg


def offset(metres_east: float, metres_north: float) -> Point:
    lon, lat, _ = GEOD.fwd(*ORIGIN, 90, metres_east)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, metres_north)
    return Point(lon, lat, srid=4326)


@pytest.fixture
def network(lesedi):
    light = AssetType.objects.create(municipality=lesedi, code="streetlight", name="Streetlight", geometry_kind="point")
    main = AssetType.objects.create(municipality=lesedi, code="water-main", name="Water main", geometry_kind="line")
    # 30 m east is nearer than 32 m north in metres; in degrees at this latitude it is not
    # (a degree of longitude is ~10% shorter), so a planar degree ordering would get this wrong.
    Asset.objects.create(asset_type=light, municipality=lesedi, external_id="EAST-30", geom=offset(30, 0))
    Asset.objects.create(asset_type=light, municipality=lesedi, external_id="NORTH-32", geom=offset(0, 32))
    Asset.objects.create(asset_type=light, municipality=lesedi, external_id="FAR-80", geom=offset(-80, 0))
    Asset.objects.create(asset_type=main, municipality=lesedi, external_id="MAIN",
                         geom=LineString(offset(-500, 12), offset(500, 12), srid=4326))
    return lesedi


def test_nearest_streetlight_within_radius_in_metres(network, client):
    lon, lat = ORIGIN
    body = client.get("/api/v1/assets/nearest", {"lat": lat, "lon": lon, "type": "streetlight", "within": 50,
                                                  "k": 5}).json()
    assert [f["properties"]["external_id"] for f in body["features"]] == ["EAST-30", "NORTH-32"]
    assert [round(f["properties"]["distance_m"], 1) for f in body["features"]] == [30.0, 32.0]
    assert client.get("/api/v1/assets/nearest", {"lat": lat, "lon": lon, "type": "streetlight",
                                                 "within": 20}).json()["features"] == []


def test_distance_to_a_line_is_to_its_nearest_part(network, client):
    lon, lat = ORIGIN
    body = client.get("/api/v1/assets/nearest", {"lat": lat, "lon": lon, "type": "water-main"}).json()
    assert body["features"][0]["properties"]["external_id"] == "MAIN"
    assert body["features"][0]["properties"]["distance_m"] == pytest.approx(12, abs=0.2)


@pytest.mark.parametrize("params,field,message", [
    ({}, "type", "required"),
    ({"type": "unicorn"}, "type", "Unknown asset type 'unicorn'"),
    ({"type": "streetlight", "within": "0"}, "within", "outside the range 1 to 5000"),
    ({"type": "streetlight", "within": "far"}, "within", "not a number"),
])
def test_bad_parameters(network, client, params, field, message):
    response = client.get("/api/v1/assets/nearest", {"lat": ORIGIN[1], "lon": ORIGIN[0], **params})
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_assets_inside_a_ward(network):
    """Checked independently with shapely on each ward's polygon; the main crosses ward edges."""
    from shapely import wkt

    assets = {a.external_id: wkt.loads(a.geom.wkt) for a in Asset.objects.all()}
    for ward in Ward.objects.current():
        polygon = wkt.loads(ward.geom.wkt)
        expected = {name for name, geometry in assets.items() if polygon.intersects(geometry)}
        assert set(Asset.objects.in_ward(ward).values_list("external_id", flat=True)) == expected
    origin_ward = Ward.objects.current().covering(Point(*ORIGIN, srid=4326)).first()
    assert {"EAST-30", "NORTH-32", "MAIN"} <= set(Asset.objects.in_ward(origin_ward).values_list("external_id", flat=True))
