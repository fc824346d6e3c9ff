"""Vector tiles (/tiles/<layer>/<z>/<x>/<y>.mvt) decoded with mapbox-vector-tile, and TileJSON."""

import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.db.models import Extent
from django.db import connection
from django.test import Client
from shapely.geometry import Point, shape

from layers import features, tiles
from layers.registry import registry
from wards.models import Ward

pytestmark = pytest.mark.django_db

EARTH_RADIUS = 6378137.0
HALF_WORLD = math.pi * EARTH_RADIUS


def mercator(lon: float, lat: float) -> tuple[float, float]:
    return EARTH_RADIUS * math.radians(lon), EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    x, y = mercator(lon, lat)
    size = 2 * HALF_WORLD / 2**z
    return int((x + HALF_WORLD) // size), int((HALF_WORLD - y) // size)


def position_in_tile(lon: float, lat: float, z: int, column: int, row: int) -> Point:
    """Where the point falls in the tile's 4096-unit grid, y down (as ST_AsMVTGeom writes it)."""
    x, y = mercator(lon, lat)
    size = 2 * HALF_WORLD / 2**z
    return Point((x - (column * size - HALF_WORLD)) / size * 4096, ((HALF_WORLD - row * size) - y) / size * 4096)


def decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})


def test_a_ward_is_in_the_tile_under_its_interior_point_and_drawn_around_it(lesedi, client):
    ward = Ward.objects.get(code="74203009")
    inside = ward.geom.point_on_surface
    z = 14
    column, row = tile_of(inside.x, inside.y, z)
    response = client.get(f"/tiles/wards/{z}/{column}/{row}.mvt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    layer = decode(response.content)["wards"]
    found = {feature["id"]: feature for feature in layer["features"]}
    assert ward.pk in found
    assert found[ward.pk]["properties"] == {"code": "74203009", "number": 9, "municipality": "GT423", "year": 2011}
    # The drawn polygon covers the interior point, to within a tile unit (about 2 m at z14).
    drawn = shape(found[ward.pk]["geometry"])
    assert drawn.buffer(1).contains(position_in_tile(inside.x, inside.y, z, column, row))


def test_the_tiles_over_lesedi_hold_every_ward_and_a_far_tile_none(lesedi, client):
    west, south, east, north = Ward.objects.filter(municipality=lesedi).aggregate(extent=Extent("geom"))["extent"]
    z = 10
    first_column, first_row = tile_of(west, north, z)
    last_column, last_row = tile_of(east, south, z)
    seen = set()
    for column in range(first_column, last_column + 1):
        for row in range(first_row, last_row + 1):
            content = client.get(f"/tiles/wards/{z}/{column}/{row}.mvt").content
            seen |= {feature["id"] for feature in decode(content).get("wards", {"features": []})["features"]}
    assert seen == set(Ward.objects.values_list("pk", flat=True))
    cape_town = tile_of(18.42, -33.92, z)
    assert client.get(f"/tiles/wards/{z}/{cape_town[0]}/{cape_town[1]}.mvt").content == b""


def test_property_filters_apply_to_tiles(lesedi, client):
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    column, row = tile_of(inside.x, inside.y, 10)
    content = client.get(f"/tiles/wards/10/{column}/{row}.mvt", {"number": 9}).content
    assert [f["properties"]["number"] for f in decode(content)["wards"]["features"]] == [9]


def test_etag_and_cache_control_and_304_when_unchanged(lesedi, client):
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    url = "/tiles/wards/12/{}/{}.mvt".format(*tile_of(inside.x, inside.y, 12))
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=300"
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_tile_filter_uses_the_geometry_index(lesedi):
    """The envelope is transformed, not the column: with sequential scans discouraged, the plan
    reads the GiST index on wards_ward.geom (with 13 rows the planner would rightly scan anyway).
    The other indexes of wards_ward are dropped for the test (its transaction restores them): with
    13 rows the planner may pick any of them, which says nothing about the tile filter."""
    layer = registry.get("wards")
    sql, params = tiles.tile_sql(layer, features.filtered(layer, features.FeatureFilter()), 12, 2370, 2373)
    assert "ST_Transform(ST_TileEnvelope(" in sql
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks block ALTER TABLE
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'wards_ward'::regclass AND contype = 'u'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE wards_ward DROP CONSTRAINT "{name}"')
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'wards_ward' "
                       "AND indexdef NOT LIKE '%%gist (geom)%%' AND indexname NOT LIKE '%%_pkey'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'wards_ward' AND indexdef LIKE '%%gist (geom)%%'"
        )
        index = cursor.fetchone()[0]
    assert index in plan, plan


@pytest.mark.parametrize("url", ["/tiles/wards/3/8/0.mvt", "/tiles/wards/3/0/8.mvt", "/tiles/wards/23/0/0.mvt"])
def test_a_tile_outside_the_grid_is_a_400(db, client, url):
    response = client.get(url)
    assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue"


def test_staff_only_tiles(lesedi, staff_only_layer, staff_client):
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    url = "/tiles/ward-imports/14/{}/{}.mvt".format(*tile_of(inside.x, inside.y, 14))
    assert Client().get(url).status_code == 401
    response = staff_client.get(url)
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    drawn = decode(response.content)["ward-imports"]["features"]
    assert Ward.objects.get(code="74203009").pk in {feature["id"] for feature in drawn}


def test_tilejson_describes_the_tiles(lesedi, client):
    description = client.get("/tiles/wards.json").json()
    assert description["tilejson"] == "3.0.0"
    assert description["tiles"] == ["http://testserver/tiles/wards/{z}/{x}/{y}.mvt"]
    assert description["vector_layers"][0]["id"] == "wards"
    assert description["vector_layers"][0]["fields"] == {"code": "String", "number": "Number",
                                                         "municipality": "String", "year": "Number"}
    west, south, east, north = description["bounds"]
    assert 28 < west < east < 29 and -27 < south < north < -26
    assert client.get("/tiles/nowhere.json").status_code == 404


@pytest.mark.parametrize("z", [9, 12, 14])
def test_prepared_polygon_tiles_equal_the_compiled_ones(lesedi, z):
    """Polygon tiles (ST_AsMVTGeom) built from SQL prepared once per shape: the same bytes as compiled per tile."""
    layer = registry.get("wards")
    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    centre_column, centre_row = tile_of(inside.x, inside.y, z)
    drawn = 0
    for feature_filter in (features.FeatureFilter(), features.FeatureFilter(properties={"number": "9"})):
        for column in range(centre_column - 1, centre_column + 2):
            for row in range(centre_row - 1, centre_row + 2):
                prepared = tiles.filtered_tile(layer, feature_filter, z=z, x=column, y=row)
                assert prepared == tiles.render_tile(layer, features.filtered(layer, feature_filter), z, column, row)
                drawn += bool(prepared)
    assert drawn >= 2
