"""Asset hotspots: the assets with the most issues in a period, with the last issue and how far
the issues stood from the asset in true metres (checked against pyproj's geodesic), on the map's
API and as CSV, for planners of the municipality only."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone
from pyproj import Geod

from accounts.models import User
from assets.models import Asset, AssetType
from heatmaps.refresh import facts_refresh
from triage.intake import services as intake
from triage.issues.models import Category, Issue

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
WGS84 = Geod(ellps="WGS84")
LIGHT = (28.3580, -26.5040)


def moved(lon: float, lat: float, metres: float, azimuth: float) -> tuple[float, float]:
    lon2, lat2, _ = WGS84.fwd(lon, lat, azimuth, metres)
    return lon2, lat2


def file(category, lon, lat) -> Issue:
    answers = {}
    return intake.issue_create(report=intake.Report(category=category, location=Point(lon, lat, srid=4326),
                                                    answers=answers)).issue


@pytest.fixture
def hotspots(categories, lesedi):
    """Streetlight SL-1 with four reports 10, 20, 30 and 40 m east of it; SL-2 with one; water main
    WM-1 (a line 1 km north-south) with three reports 25 m east of its middle."""
    lights = categories["streetlight-out"]
    one = Asset.objects.create(asset_type=lights.asset_type, municipality=lesedi, external_id="SL-1",
                               geom=Point(*LIGHT, srid=4326))
    lone_lon, lone_lat = moved(*LIGHT, 300, 180)
    Asset.objects.create(asset_type=lights.asset_type, municipality=lesedi, external_id="SL-2",
                         geom=Point(lone_lon, lone_lat, srid=4326))
    mains = AssetType.objects.create(municipality=lesedi, code="water-main", name="Water main", geometry_kind="line")
    leak = Category.objects.create(municipality=lesedi, code="leak", name="Water leak", asset_type=mains,
                                   snap_radius_m=60)
    south, north = moved(*LIGHT, 600, 90), None
    south = moved(*south, 500, 180)
    north = moved(*south, 1000, 0)
    Asset.objects.create(asset_type=mains, municipality=lesedi, external_id="WM-1",
                         geom=LineString(south, north, srid=4326))
    middle = moved(*south, 500, 0)
    issues = [file(lights, *moved(*LIGHT, metres, 90)) for metres in (10, 20, 30, 40)]
    issues.append(file(lights, *moved(lone_lon, lone_lat, 5, 0)))
    issues += [file(leak, *moved(*middle, 25, 90)) for _ in range(3)]
    assert all(issue.asset_id for issue in issues), "every report snapped to its asset"
    # The first report on SL-1 was made 40 days ago: the last one is still today's.
    Issue.objects.filter(pk=issues[0].pk).update(created_at=timezone.now() - datetime.timedelta(days=40),
                                                 updated_at=timezone.now())
    facts_refresh(issue_ids=[issue.pk for issue in issues])
    return {"SL-1": one, "issues": issues}


def get(client, path="/api/v1/heatmaps/asset-hotspots", **params):
    response = client.get(path, {"municipality": "GT423", **params})
    assert response.status_code == 200, response.content
    return response


def test_assets_with_repeat_issues_most_first_with_true_distances(planner_client, hotspots):
    answer = get(planner_client).json()
    assert answer["type"] == "FeatureCollection"
    spots = {f["properties"]["external_id"]: f for f in answer["features"]}
    assert list(spots) == ["SL-1", "WM-1"]  # SL-2 has a single issue: not a repeat
    light = spots["SL-1"]["properties"]
    assert light["issues"] == 4 and light["asset_type_name"] == "Streetlight"
    assert light["mean_distance_m"] == pytest.approx(25, abs=0.2) and light["max_distance_m"] == pytest.approx(40, abs=0.2)
    assert light["last_reported"] == max(i.created_at for i in Issue.objects.filter(asset__external_id="SL-1")).isoformat()
    main = spots["WM-1"]["properties"]
    # 25 m from the line's middle, not ~500 m from its first vertex, not degrees.
    assert main["issues"] == 3 and main["mean_distance_m"] == pytest.approx(25, abs=0.3)
    assert spots["WM-1"]["geometry"]["type"] == "LineString"


def test_the_period_and_the_minimum_count_apply(planner_client, hotspots):
    last_month = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    spots = get(planner_client, **{"from": last_month}).json()["features"]
    assert {f["properties"]["external_id"]: f["properties"]["issues"] for f in spots} == {"SL-1": 3, "WM-1": 3}
    every = get(planner_client, min_issues=1).json()["features"]
    assert [f["properties"]["external_id"] for f in every] == ["SL-1", "WM-1", "SL-2"]
    assert planner_client.get("/api/v1/heatmaps/asset-hotspots",
                              {"municipality": "GT423", "min_issues": "0"}).status_code == 400


def test_as_csv_without_personal_data(planner_client, hotspots):
    response = get(planner_client, "/api/v1/heatmaps/exports/asset-hotspots.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Asset", "Asset type", "Asset status", "Issues"]
    assert [row[0] for row in rows[1:]] == ["SL-1", "WM-1"]
    assert float(rows[1][5]) == pytest.approx(25, abs=0.2)
    assert "GT423-" not in response.content.decode()  # no issue references, no reporters


def test_only_planners_of_the_municipality(client, hotspots, neighbour_planner):
    client.force_login(neighbour_planner)
    assert client.get("/api/v1/heatmaps/asset-hotspots", {"municipality": "GT423"}).status_code == 403
    client.logout()
    assert client.get("/api/v1/heatmaps/asset-hotspots", {"municipality": "GT423"}).status_code in (401, 403)


@pytest.fixture
def neighbour_planner(lesedi):
    from wards.models import Municipality

    other = Municipality.objects.create(code="XX999", name="Neighbour")
    user = User.objects.create_user("plan@xx999.example", "pw-plan-9", municipality=other, is_staff=True)
    user.groups.add(Group.objects.get(name="planner"))
    return user
