"""Per-ward figures through the API, recomputed independently: ward membership with geopandas on
the Demarcation Board's own file (ST_Covers rule: the lowest ward number on a shared edge), local
days with zoneinfo, medians and percentiles with numpy, from the generator's own record of what
it did to each issue."""

import datetime

import numpy
import pytest
from shapely.geometry import Point as ShapelyPoint

from heatmaps.refresh import summary_refresh
from heatmaps.tests.conftest import JOHANNESBURG, file_issues, local_day, shared_vertex, ward_numbers_of
from wards.models import Ward

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


@pytest.fixture
def filed(categories, ward_frame):
    issues = file_issues(categories, ward_frame)
    summary_refresh(full=True)
    return issues


def hours(values):
    return [v.total_seconds() / 3600 for v in values]


def expected_by_ward(filed, wards, first, last):
    result = {}
    for number in sorted(set(range(1, 14))):
        mine = [f for f, w in zip(filed, wards, strict=True) if w == number]
        logged = [f for f in mine if first <= local_day(f.created_at) <= last]
        acknowledged = [f for f in mine if f.acknowledged_at and first <= local_day(f.acknowledged_at) <= last]
        resolved = [f for f in mine if f.resolved_at and first <= local_day(f.resolved_at) <= last]
        with_target = [f for f in resolved if f.sla_hours]
        stars = [s for f in resolved for s in f.stars]
        backlog = [f for f in mine if local_day(f.created_at) <= last
                   and (f.ended_at is None or local_day(f.ended_at) > last)]
        ttr = hours([f.resolved_at - f.created_at for f in resolved])
        tta = hours([f.acknowledged_at - f.created_at for f in acknowledged])
        result[number] = {
            "logged": len(logged), "acknowledged": len(acknowledged), "resolved": len(resolved), "backlog": len(backlog),
            "median_hours_to_resolve": round(float(numpy.median(ttr)), 2) if ttr else None,
            "p90_hours_to_resolve": round(float(numpy.percentile(ttr, 90)), 2) if ttr else None,
            "median_hours_to_acknowledge": round(float(numpy.median(tta)), 2) if tta else None,
            "p90_hours_to_acknowledge": round(float(numpy.percentile(tta, 90)), 2) if tta else None,
            "share_within_sla": round(sum(f.resolved_at - f.created_at <= datetime.timedelta(hours=f.sla_hours)
                                          for f in with_target) / len(with_target), 4) if with_target else None,
            "mean_rating": round(sum(stars) / len(stars), 2) if stars else None,
        }
    return result


@pytest.mark.parametrize("span", ["cut months at both ends", "whole months", "one day", "everything"])
def test_per_ward_figures_equal_an_independent_recount(planner_client, filed, ward_frame, span):
    today = datetime.datetime.now(datetime.UTC).astimezone(JOHANNESBURG).date()
    first, last = {
        "cut months at both ends": (today - datetime.timedelta(days=200), today - datetime.timedelta(days=17)),
        "whole months": (datetime.date(today.year - 1, today.month, 1), today.replace(day=1) - datetime.timedelta(days=1)),
        "one day": (local_day(filed[10].created_at), local_day(filed[10].created_at)),
        "everything": (today - datetime.timedelta(days=500), today),
    }[span]
    response = planner_client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", "from": first, "to": last})
    assert response.status_code == 200, response.content
    answer = response.json()
    expected = expected_by_ward(filed, ward_numbers_of(filed, ward_frame), first, last)
    got = {area["number"]: {key: area[key] for key in expected[1]} for area in answer["areas"]}
    assert got == expected
    assert answer["total"]["logged"] == sum(e["logged"] for e in expected.values())
    assert answer["total"]["backlog"] == sum(e["backlog"] for e in expected.values())
    assert answer["outside_areas"]["logged"] == 0 and answer["no_location"]["logged"] == 0


def test_every_ward_is_listed_and_an_empty_ward_reports_zero(planner_client, filed):
    answer = planner_client.get("/api/v1/heatmaps/figures", {
        "municipality": "GT423", "from": "2001-01-01", "to": "2001-12-31"}).json()
    assert [area["number"] for area in answer["areas"]] == list(range(1, 14))
    for area in answer["areas"]:
        assert area["logged"] == area["resolved"] == area["backlog"] == area["repeat_issues"] == 0
        assert area["median_hours_to_resolve"] is None and area["share_within_sla"] is None


def test_a_point_on_a_shared_edge_counts_once_in_the_lowest_numbered_ward(planner_client, filed, ward_frame):
    lon, lat, winner = shared_vertex(ward_frame)
    on_edge = [f for f in filed if (f.lon, f.lat) == (lon, lat)][0]
    covering = ward_frame[ward_frame.geometry.intersects(ShapelyPoint(lon, lat))]
    assert len(covering) == 2  # really on the edge of two wards
    day = local_day(on_edge.created_at)
    answer = planner_client.get("/api/v1/heatmaps/figures", {
        "municipality": "GT423", "from": day, "to": day, "category": on_edge.category}).json()
    same_day = [f for f in filed if local_day(f.created_at) == day and f.category == on_edge.category]
    wards = ward_numbers_of(same_day, ward_frame)
    by_number = {area["number"]: area["logged"] for area in answer["areas"]}
    assert by_number[winner] == wards.count(winner) >= 1
    assert sum(by_number.values()) == len(same_day)


def test_repeat_issues_on_one_streetlight(planner_client, filed):
    repeats = [f for f in filed if f.asset == "SL-REPEAT"]
    assert len(repeats) >= 4
    answer = planner_client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", "from": "2000-01-01"}).json()
    assert answer["total"]["assets_with_repeats"] == 1
    assert answer["total"]["repeat_issues"] == len(repeats) - 1
    ward = Ward.objects.filter(issues__asset__external_id="SL-REPEAT").first()
    assert next(a for a in answer["areas"] if a["number"] == ward.number)["repeat_issues"] == len(repeats) - 1


def test_filters_narrow_the_figures(planner_client, filed):
    base = {"municipality": "GT423", "from": "2000-01-01"}
    everything = planner_client.get("/api/v1/heatmaps/figures", base).json()["total"]["logged"]
    potholes = planner_client.get("/api/v1/heatmaps/figures", {**base, "category": "pothole"}).json()["total"]["logged"]
    by_phone = planner_client.get("/api/v1/heatmaps/figures", {**base, "channel": "phone"}).json()["total"]["logged"]
    still_open = planner_client.get("/api/v1/heatmaps/figures", {**base, "status": "open"}).json()["total"]
    compliments = planner_client.get("/api/v1/heatmaps/figures", {**base, "kind": "compliment"}).json()["total"]["logged"]
    electricity = planner_client.get("/api/v1/heatmaps/figures", {**base, "department": "electricity"}).json()["total"]
    assert potholes == sum(f.category == "pothole" for f in filed)
    assert by_phone == sum(f.channel == "phone" for f in filed)
    assert compliments == sum(f.category == "compliment" for f in filed)
    assert electricity["logged"] == sum(f.category == "streetlight-out" for f in filed)
    assert still_open["logged"] == still_open["backlog"] == sum(f.ended_at is None for f in filed)
    assert 0 < potholes < everything


def test_suburb_level_lists_every_suburb(planner_client, filed, lesedi):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from wards.models import Suburb

    west, south, east, north = lesedi.boundary.extent
    middle = (west + east) / 2
    Suburb.objects.create(municipality=lesedi, name="West", code="west",
                          geom=MultiPolygon(Polygon.from_bbox((west, south, middle, north)), srid=4326))
    Suburb.objects.create(municipality=lesedi, name="Nowhere", code="nowhere",
                          geom=MultiPolygon(Polygon.from_bbox((0, 0, 0.001, 0.001)), srid=4326))
    # Issues keep the suburb intake found: none existed then, so all are outside every suburb.
    answer = planner_client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", "level": "suburb",
                                                             "from": "2000-01-01"}).json()
    assert [a["name"] for a in answer["areas"]] == ["Nowhere", "West"]
    assert all(a["logged"] == 0 for a in answer["areas"])
    assert answer["outside_areas"]["logged"] == len(filed)
