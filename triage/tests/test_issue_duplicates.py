"""GET /api/v1/issues/duplicates: open issues of the same category near a pin (metres on the
spheroid, within the category's window), or snapped to the same asset; nearest first, at most five;
on the geography index; nothing from private categories; bad input named."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone
from pyproj import Geod

from triage.dispatch.duplicates import duplicate_rules, duplicates_params, duplicates_sql
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Issue
from triage.tests.conftest import HEIDELBERG, spread_copies, streetlight_at

pytestmark = pytest.mark.django_db
WGS84 = Geod(ellps="WGS84")
URL = "/api/v1/issues/duplicates"


def metres_from(point: Point, metres: float, azimuth: float = 90) -> Point:
    """The point `metres` from `point` on the WGS 84 spheroid (azimuth in degrees, 90 = east):
    computed by pyproj, independently of PostGIS."""
    lon, lat, _ = WGS84.fwd(point.x, point.y, azimuth, metres)
    return Point(lon, lat, srid=4326)


def file(category, point, **fields) -> Issue:
    answers = {"size": "small"} if category.code == "pothole" else {}
    return issue_create(report=Report(category=category, location=point, answers=answers,
                                      reporter_name="Sipho Dlamini", reporter_email="sipho@example.org",
                                      reporter_phone="+27825550000", **fields)).issue


def suggestions(client, category, point=HEIDELBERG):
    response = client.get(URL, {"category": category.pk, "lat": point.y, "lon": point.x})
    assert response.status_code == 200, response.content
    return response.json()


def test_open_issues_within_the_radius_nearest_first_with_distances_in_metres(client, pothole):
    far, near, middle = (file(pothole, metres_from(HEIDELBERG, m, azimuth)) for m, azimuth in
                         [(45, 0), (12, 90), (30, 200)])
    file(pothole, metres_from(HEIDELBERG, 55, 90))  # outside the 50 m radius
    body = suggestions(client, pothole)
    assert (body["radius_m"], body["window_days"], body["private"]) == (50, 30, False)
    found = body["duplicates"]
    assert [d["reference"] for d in found] == [near.reference, middle.reference, far.reference]
    assert [d["distance_m"] for d in found] == pytest.approx([12, 30, 45], abs=0.05)
    assert found[0]["url"] == f"/track/{near.reference}/" and found[0]["same_asset"] is False


def test_at_most_five(client, pothole):
    for metres in range(1, 9):
        file(pothole, metres_from(HEIDELBERG, metres * 4))
    found = suggestions(client, pothole)["duplicates"]
    assert [round(d["distance_m"]) for d in found] == [4, 8, 12, 16, 20]


def test_the_radius_is_per_category_and_zero_turns_suggestions_off(client, pothole):
    file(pothole, metres_from(HEIDELBERG, 80))
    assert suggestions(client, pothole)["duplicates"] == []
    Category.objects.filter(pk=pothole.pk).update(duplicate_radius_m=100)
    assert len(suggestions(client, pothole)["duplicates"]) == 1
    Category.objects.filter(pk=pothole.pk).update(duplicate_radius_m=0)
    assert suggestions(client, pothole)["duplicates"] == []


def test_only_issues_reported_within_the_window_unless_it_is_zero(client, pothole):
    old = file(pothole, metres_from(HEIDELBERG, 10))
    recent = file(pothole, metres_from(HEIDELBERG, 20))
    Issue.objects.filter(pk=old.pk).update(created_at=old.created_at - datetime.timedelta(days=31))
    Issue.objects.filter(pk=recent.pk).update(created_at=recent.created_at - datetime.timedelta(days=29))
    assert [d["reference"] for d in suggestions(client, pothole)["duplicates"]] == [recent.reference]
    Category.objects.filter(pk=pothole.pk).update(duplicate_window_days=0)
    assert [d["reference"] for d in suggestions(client, pothole)["duplicates"]] == [old.reference, recent.reference]


def test_only_the_same_category(client, pothole, lesedi, roads):
    leak = Category.objects.create(municipality=lesedi, code="water-leak", name="Water leak", default_department=roads)
    file(leak, metres_from(HEIDELBERG, 5))
    assert suggestions(client, pothole)["duplicates"] == []
    assert len(suggestions(client, leak)["duplicates"]) == 1


@pytest.mark.parametrize(("status", "suggested"), [
    ("submitted", True), ("acknowledged", True), ("assigned", True), ("in_progress", True), ("reopened", True),
    ("resolved", False), ("closed", False), ("rejected", False), ("duplicate", False),
])
def test_only_open_issues(client, pothole, status, suggested):
    issue = file(pothole, metres_from(HEIDELBERG, 10))
    Issue.objects.filter(pk=issue.pk).update(status=status)
    assert bool(suggestions(client, pothole)["duplicates"]) is suggested


def test_issues_snapped_to_the_same_asset_are_suggested_at_any_distance(client, streetlight_out, streetlights):
    Category.objects.filter(pk=streetlight_out.pk).update(duplicate_radius_m=10)
    light = streetlight_at(streetlights, metres_from(HEIDELBERG, 20, 90), "SL-0042")
    other_light = streetlight_at(streetlights, metres_from(HEIDELBERG, 200, 90), "SL-0043")
    across = file(streetlight_out, metres_from(light.geom, 25, 90))  # 45 m from the pin, snapped to SL-0042
    elsewhere = file(streetlight_out, metres_from(other_light.geom, 5, 0))
    old = file(streetlight_out, metres_from(light.geom, 5, 0))
    Issue.objects.filter(pk=old.pk).update(created_at=old.created_at - datetime.timedelta(days=90))  # any age
    assert (across.asset, elsewhere.asset, old.asset) == (light, other_light, light)
    found = suggestions(client, Category.objects.get(pk=streetlight_out.pk))["duplicates"]  # the pin snaps to SL-0042
    assert [d["reference"] for d in found] == [old.reference, across.reference]
    assert all(d["same_asset"] for d in found)
    assert found[1]["distance_m"] == pytest.approx(45, abs=0.1)


def test_private_categories_never_suggest(client, private_category):
    file(private_category, metres_from(HEIDELBERG, 5))
    body = suggestions(client, private_category)
    assert body["private"] is True and body["duplicates"] == []


def test_no_reporter_details_in_the_answer(client, pothole):
    file(pothole, metres_from(HEIDELBERG, 5), description="Deep hole by the school gate")
    raw = client.get(URL, {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x}).content.decode()
    assert "Deep hole by the school gate" in raw
    for secret in ("Sipho", "Dlamini", "sipho@example.org", "+27825550000", "5550000", "tracking_key", "answers"):
        assert secret not in raw


def test_two_queries_per_request(client, pothole, private_category, django_assert_num_queries):
    for metres in (5, 10, 15):
        file(pothole, metres_from(HEIDELBERG, metres))
    with django_assert_num_queries(2):  # the category's rules, then the suggestions as JSON
        client.get(URL, {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x})
    with django_assert_num_queries(1):  # a private category: nothing to look for
        client.get(URL, {"category": private_category.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x})


@pytest.mark.parametrize(("params", "field"), [
    ({"lat": "-26.5", "lon": "28.3"}, "category"),
    ({"category": "pothole", "lat": "-26.5", "lon": "28.3"}, "category"),
    ({"category": "999999", "lat": "-26.5", "lon": "28.3"}, "category"),
    ({"category": "0", "lat": "-26.5", "lon": "28.3"}, "category"),
    ({"category": "1", "lat": "91", "lon": "28.3"}, "lat"),
    ({"category": "1", "lat": "-26.5"}, "lon"),
    ({"category": "1", "lat": "nan", "lon": "28.3"}, "lat"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, pothole, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_query_uses_the_geography_index(pothole):
    near = file(pothole, metres_from(HEIDELBERG, 5))
    spread_copies(near, 3000)  # a real table's worth of rows: the plan is the one production gets
    rules = duplicate_rules(pothole.pk)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + duplicates_sql(None),
                       duplicates_params(rules, point=HEIDELBERG, asset_id=None, now=timezone.now()))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "issue_location_geography" in plan, plan


def test_the_view_is_in_the_api_schema_and_answers_only_get(client, pothole):
    """The OpenAPI schema lists the view with its parameters, and anything but GET is refused."""
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"category", "lat", "lon"}
    response = client.post(URL, {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x})
    assert response.status_code == 405
