"""The map layers: the choropleth carries the same figures as the table, and every hexagon's count
is recomputed with shapely in the same metric CRS (EPSG:32735 for Lesedi)."""

import json
import math
from collections import Counter

import numpy
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry import shape

from heatmaps.grid import metric_srid
from heatmaps.refresh import summary_refresh
from heatmaps.tests.conftest import file_issues

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
EVERYTHING = {"municipality": "GT423", "from": "2000-01-01"}
UTM_35_SOUTH = Transformer.from_crs(4326, 32735, always_xy=True)


def metric(geometry):
    """The WGS 84 geometry in metres of EPSG:32735, projected by PROJ (pyproj), not PostGIS."""
    return shapely.transform(geometry, lambda xy: numpy.column_stack(UTM_35_SOUTH.transform(xy[:, 0], xy[:, 1])))


@pytest.fixture
def filed(categories, ward_frame):
    issues = file_issues(categories, ward_frame, count=120, seed=11)
    summary_refresh(full=True)
    return issues


def postgis_hexagon(size: float, i: int, j: int) -> ShapelyPolygon:
    """ST_Hexagon(size, i, j) as PostGIS documents it: flat-topped, centre (1.5·size·i, √3·size·(j + |i mod 2|/2))."""
    h = size * math.sqrt(3) / 2
    cx, cy = 1.5 * size * i, h * (2 * j + abs(i % 2))
    return ShapelyPolygon([(cx - size, cy), (cx - size / 2, cy - h), (cx + size / 2, cy - h), (cx + size, cy),
                           (cx + size / 2, cy + h), (cx - size / 2, cy + h)])


@pytest.mark.parametrize("size", [250, 500, 1000])
def test_each_hexagon_counts_the_issues_shapely_finds_inside_it(planner_client, filed, lesedi, size):
    assert metric_srid(lesedi.id) == 32735  # Lesedi lies in UTM zone 35 south
    response = planner_client.get("/api/v1/heatmaps/hexgrid", {**EVERYTHING, "size": size})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    points = [metric(ShapelyPoint(f.lon, f.lat)) for f in filed]
    expected = Counter()
    hexagons = {}
    for feature in collection["features"]:
        i, j = feature["properties"]["i"], feature["properties"]["j"]
        hexagons[(i, j)] = postgis_hexagon(size, i, j)
        # The polygon served is PostGIS's hexagon, brought back to WGS 84.
        served = metric(shape(feature["geometry"]))
        assert served.symmetric_difference(hexagons[(i, j)]).area < 0.5 * size
    for point in points:
        holders = [cell for cell, hexagon in hexagons.items() if hexagon.covers(point)]
        assert len(holders) == 1, f"{point} is in {len(holders)} served hexagons"
        expected[holders[0]] += 1
    got = {(f["properties"]["i"], f["properties"]["j"]): f["properties"]["issues"] for f in collection["features"]}
    assert got == dict(expected)
    assert sum(got.values()) == len(filed)


def test_hexagons_of_a_period_and_filter_sum_to_the_issues_logged(planner_client, filed):
    params = {"municipality": "GT423", "from": "2000-01-01", "category": "pothole", "size": 500}
    collection = planner_client.get("/api/v1/heatmaps/hexgrid", params).json()
    figures = planner_client.get("/api/v1/heatmaps/figures", params).json()
    assert sum(f["properties"]["issues"] for f in collection["features"]) == figures["total"]["logged"]


def test_the_hex_grid_can_cover_the_whole_municipality_with_zeros(planner_client, filed, lesedi):
    collection = planner_client.get("/api/v1/heatmaps/hexgrid", {**EVERYTHING, "size": 1000, "include_empty": "true"}).json()
    counts = [f["properties"]["issues"] for f in collection["features"]]
    assert sum(counts) == len(filed)
    assert counts.count(0) > 100  # Lesedi is about 1,480 km²: over 500 one-kilometre hexagons
    area = sum(metric(shape(f["geometry"])).area for f in collection["features"])
    municipality_area = metric(shape(json.loads(lesedi.boundary.geojson))).area
    assert area >= municipality_area


def test_the_choropleth_maps_the_figure_of_each_ward(planner_client, filed):
    for figure in ("logged", "backlog", "median_hours_to_resolve"):
        response = planner_client.get("/api/v1/heatmaps/choropleth", {**EVERYTHING, "figure": figure})
        assert response["Content-Type"] == "application/geo+json"
        collection = response.json()
        table = planner_client.get("/api/v1/heatmaps/figures", EVERYTHING).json()
        assert [f["properties"]["number"] for f in collection["features"]] == list(range(1, 14))
        assert {f["properties"]["code"]: f["properties"]["value"] for f in collection["features"]} == {
            area["code"]: area[figure] for area in table["areas"]}
        assert all(f["geometry"]["type"] == "MultiPolygon" for f in collection["features"])


def test_density_points_weigh_every_issue_once(planner_client, filed):
    answer = planner_client.get("/api/v1/heatmaps/density", {**EVERYTHING, "cell": 500}).json()
    assert answer["cell_m"] == 500
    assert sum(point[2] for point in answer["points"]) == len(filed)
    assert answer["max"] >= 4  # the four reports on one streetlight share a square
    for lat, lon, _ in answer["points"]:
        assert -26.7 < lat < -26.1 and 28.1 < lon < 28.9


@pytest.mark.parametrize("params, field", [
    ({"municipality": "XX999"}, "municipality"),
    ({}, "municipality"),
    ({"municipality": "GT423", "from": "2026-13-01"}, "from"),
    ({"municipality": "GT423", "from": "2026-05-02", "to": "2026-05-01"}, "from"),
    ({"municipality": "GT423", "level": "province"}, "level"),
    ({"municipality": "GT423", "year": "1999"}, "year"),
    ({"municipality": "GT423", "ward": "99"}, "ward"),
    ({"municipality": "GT423", "category": "potholes"}, "category"),
    ({"municipality": "GT423", "status": "lost"}, "status"),
    ({"municipality": "GT423", "channel": "pigeon"}, "channel"),
    ({"municipality": "GT423", "size": "10"}, "size"),
    ({"municipality": "GT423", "size": "big"}, "size"),
    ({"municipality": "GT423", "figure": "happiness"}, "figure"),
])
def test_bad_parameters_are_400s_naming_the_parameter(planner_client, lesedi, categories, params, field):
    endpoint = "/api/v1/heatmaps/hexgrid" if "size" in params else "/api/v1/heatmaps/choropleth"
    response = planner_client.get(endpoint, params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_figures_are_for_planners_of_their_own_municipality(client, planner, lesedi, categories):
    from django.contrib.auth.models import Group

    from accounts.models import User
    from wards.models import Municipality

    assert client.get("/api/v1/heatmaps/figures", EVERYTHING).status_code == 403  # anonymous
    resident = User.objects.create_user("someone@example.org", "pw-resident-2")
    client.force_login(resident)
    assert client.get("/api/v1/heatmaps/figures", EVERYTHING).status_code == 403
    dispatcher = User.objects.create_user("dispatch@lesedi.example", "pw-d-1", municipality=lesedi, is_staff=True)
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))
    client.force_login(dispatcher)
    assert client.get("/api/v1/heatmaps/figures", EVERYTHING).status_code == 403
    other = Municipality.objects.create(code="WC023", name="Drakenstein")
    planner.municipality = other
    planner.save()
    client.force_login(planner)
    assert client.get("/api/v1/heatmaps/figures", EVERYTHING).status_code == 403
