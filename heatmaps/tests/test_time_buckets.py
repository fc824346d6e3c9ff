"""Days, weeks and months are Johannesburg's (UTC+2): a report at 23:59 local time on the last day
of March is March's, one at 00:00 on the first of April is April's, although both are 31 March in
UTC. Weeks run Monday to Sunday."""

import datetime

import pytest
from django.contrib.gis.geos import Point

from heatmaps.refresh import summary_refresh
from triage.intake import services as intake
from triage.issues import services

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
UTC = datetime.UTC
HEIDELBERG = Point(28.3585, -26.5040, srid=4326)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def around_midnight(categories):
    moments = {
        "march_last_minute": at(2025, 3, 31, 21, 59, 59),  # 23:59:59 on Monday 31 March in Johannesburg
        "april_first_minute": at(2025, 3, 31, 22, 0, 0),  # 00:00 on Tuesday 1 April
        "sunday_last_minute": at(2025, 4, 6, 21, 59, 0),  # 23:59 on Sunday 6 April: still the week of 31 March
        "monday_first_minute": at(2025, 4, 6, 22, 0, 0),  # 00:00 on Monday 7 April: a new week
    }
    issues = {name: intake.issue_create(report=intake.Report(category=categories["pothole"], location=HEIDELBERG),
                                        now=moment).issue
              for name, moment in moments.items()}
    # Resolved at 00:30 local on 1 April, 26.5 hours after the last March report.
    services.issue_transition(issue=issues["march_last_minute"], to_status="acknowledged", at=at(2025, 3, 31, 22, 10))
    services.issue_transition(issue=issues["march_last_minute"], to_status="resolved", at=at(2025, 3, 31, 22, 30))
    summary_refresh(full=True)
    return issues


def figures(client, **params):
    response = client.get("/api/v1/heatmaps/figures", {"municipality": "GT423", **params})
    assert response.status_code == 200, response.content
    return response.json()["total"]


def test_a_day_is_a_johannesburg_day(planner_client, around_midnight):
    assert figures(planner_client, **{"from": "2025-03-31", "to": "2025-03-31"})["logged"] == 1
    april_first = figures(planner_client, **{"from": "2025-04-01", "to": "2025-04-01"})
    assert april_first["logged"] == 1
    assert april_first["resolved"] == 1  # resolved at 00:30 local on 1 April
    assert april_first["median_hours_to_resolve"] == 0.5  # 30 min 1 s
    assert figures(planner_client, **{"from": "2025-03-31", "to": "2025-03-31"})["backlog"] == 1
    assert figures(planner_client, **{"from": "2025-04-01", "to": "2025-04-01"})["backlog"] == 1  # 2 logged, 1 ended


def test_months_and_weeks_are_johannesburg_months_and_iso_weeks(planner_client, around_midnight):
    monthly = planner_client.get("/api/v1/heatmaps/trends", {
        "municipality": "GT423", "from": "2025-03-01", "to": "2025-04-30", "interval": "month"}).json()
    points = monthly["series"][0]["points"]
    assert [(p["period_start"], p["logged"], p["resolved"], p["backlog"]) for p in points] == [
        ("2025-03-01", 1, 0, 1), ("2025-04-01", 3, 1, 3)]
    assert not any(p["partial"] for p in points)
    weekly = planner_client.get("/api/v1/heatmaps/trends", {
        "municipality": "GT423", "from": "2025-03-31", "to": "2025-04-13", "interval": "week"}).json()
    assert [(p["period_start"], p["logged"]) for p in weekly["series"][0]["points"]] == [
        ("2025-03-31", 3), ("2025-04-07", 1)]


def test_a_month_of_whole_month_rows_equals_its_days(planner_client, around_midnight):
    whole = figures(planner_client, **{"from": "2025-04-01", "to": "2025-04-30"})
    by_day = [figures(planner_client, **{"from": f"2025-04-{d:02d}", "to": f"2025-04-{d:02d}"}) for d in range(1, 31)]
    assert whole["logged"] == sum(day["logged"] for day in by_day) == 3
    straddling = figures(planner_client, **{"from": "2025-03-31", "to": "2025-04-07"})
    assert straddling["logged"] == 4


def test_trends_per_category_and_area_list_every_series(planner_client, around_midnight, categories):
    per_category = planner_client.get("/api/v1/heatmaps/trends", {
        "municipality": "GT423", "from": "2025-04-01", "to": "2025-04-30", "by": "category"}).json()
    assert [s["key"] for s in per_category["series"]] == ["compliment", "pothole", "streetlight-out"]
    assert [s["points"][0]["logged"] for s in per_category["series"]] == [0, 3, 0]
    per_ward = planner_client.get("/api/v1/heatmaps/trends", {
        "municipality": "GT423", "from": "2025-04-10", "to": "2025-05-20", "by": "area"}).json()
    assert len(per_ward["series"]) == 13
    assert [p["partial"] for p in per_ward["series"][0]["points"]] == [True, True]
    assert sum(s["points"][0]["backlog"] for s in per_ward["series"]) == 3
