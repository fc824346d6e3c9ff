"""GET /api/v1/issues/clusters: issues grouped in SQL on a grid sized for the zoom."""

import datetime

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db import connection
from django.utils import timezone

from triage.dispatch.cluster_api import cell_size_m, public_map_issues
from triage.intake import services as intake
from triage.issues import services
from triage.issues.models import Issue
from triage.issues.workflow import OPEN_STATUSES, Status
from triage.tests.conftest import HEIDELBERG, spread_copies
from wards.models import Ward

pytestmark = pytest.mark.django_db

URL = "/api/v1/issues/clusters"
# A box around Heidelberg (about 4 km by 3 km), and Lesedi as a whole.
HEIDELBERG_BOX = "28.335,-26.520,28.380,-26.490"
# About 2 km across: a phone's view at street level (zoom 18).
HEIDELBERG_STREETS = "28.350,-26.510,28.372,-26.498"


def file_issue(category, lon: float, lat: float, **answers) -> Issue:
    report = intake.Report(category=category, location=Point(lon, lat, srid=4326), answers=answers or {})
    return intake.issue_create(report=report).issue


def metres_east(point: Point, metres: float) -> tuple[float, float]:
    """A point `metres` east of `point` (a degree of longitude is ~99.6 km at Heidelberg's latitude)."""
    return point.x + metres / 99_600, point.y


def clusters(client, **params):
    response = client.get(URL, {"municipality": "GT423", **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def lesedi_box(lesedi) -> str:
    return ",".join(str(value) for value in lesedi.boundary.extent)


@pytest.fixture
def scattered(lesedi, pothole, streetlight_out, private_category, dispatcher):
    """Public issues in Heidelberg and in three other wards, one private, one duplicate."""
    public = [file_issue(pothole, *metres_east(HEIDELBERG, metres), size="small") for metres in (0, 40, 80, 900)]
    for number in (1, 4, 12):
        inside = Ward.objects.get(number=number).geom.point_on_surface
        public.append(file_issue(streetlight_out, inside.x, inside.y))
    private = file_issue(private_category, *metres_east(HEIDELBERG, 20))
    duplicate = file_issue(pothole, *metres_east(HEIDELBERG, 60), size="large")
    services.issue_transition(issue=duplicate, to_status=Status.DUPLICATE, actor=dispatcher, duplicate_of=public[0])
    return {"public": public, "private": private, "duplicate": duplicate}


@pytest.mark.parametrize("zoom", [8, 10, 12, 14, 16])
def test_counts_per_cell_add_up_to_the_public_issues_in_the_box(client, lesedi, scattered, zoom):
    box = lesedi_box(lesedi) if zoom <= 12 else HEIDELBERG_BOX
    body = clusters(client, bbox=box, zoom=zoom)
    west, south, east, north = (float(v) for v in box.split(","))
    expected = sum(1 for issue in scattered["public"]
                   if west <= issue.location.x <= east and south <= issue.location.y <= north)
    assert sum(feature["properties"]["count"] for feature in body["features"]) == expected
    assert body["numberMatched"] == expected
    assert body["zoom"] == zoom
    for feature in body["features"]:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        min_lon, min_lat, max_lon, max_lat = props["bbox"]
        assert min_lon - 1e-6 <= lon <= max_lon + 1e-6 and min_lat - 1e-6 <= lat <= max_lat + 1e-6
        if props["count"] == 1:
            assert props["reference"].startswith("GT423-") and props["status"] and props["category_name"]
        else:
            assert props["reference"] is None and props["status"] is None


def test_private_categories_and_duplicates_never_appear(client, lesedi, scattered):
    # At zoom 18 a cell is about 20 m: every Heidelberg issue is alone in its cell.
    body = clusters(client, bbox=HEIDELBERG_STREETS, zoom=18)
    references = {f["properties"]["reference"] for f in body["features"]}
    assert None not in references
    assert scattered["private"].reference not in references
    assert scattered["duplicate"].reference not in references
    assert {issue.reference for issue in scattered["public"][:4]} == references
    # Asking for them by status or category does not bring them back either.
    for params in ({"status": "duplicate,open"}, {"category": "unsafe-premises"}, {"status": "closed"}):
        body = clusters(client, bbox=HEIDELBERG_STREETS, zoom=18, **params)
        shown = {f["properties"]["reference"] for f in body["features"]}
        assert scattered["private"].reference not in shown and scattered["duplicate"].reference not in shown


def test_at_high_zoom_nearby_points_separate(client, lesedi, pothole):
    first = file_issue(pothole, *metres_east(HEIDELBERG, 0), size="small")
    second = file_issue(pothole, *metres_east(HEIDELBERG, 50), size="small")
    together = clusters(client, bbox=HEIDELBERG_BOX, zoom=12)["features"]
    assert [f["properties"]["count"] for f in together] == [2]
    assert cell_size_m(18) < 50 < cell_size_m(12)
    apart = clusters(client, bbox=HEIDELBERG_STREETS, zoom=18)["features"]
    assert sorted(f["properties"]["count"] for f in apart) == [1, 1]
    assert {f["properties"]["reference"] for f in apart} == {first.reference, second.reference}
    single = next(f for f in apart if f["properties"]["reference"] == first.reference)
    assert single["geometry"]["coordinates"] == pytest.approx([first.location.x, first.location.y], abs=1e-6)
    assert single["properties"]["category_name"] == "Pothole"
    assert single["properties"]["status"] == "submitted"


def test_category_and_status_filters(client, lesedi, scattered, dispatcher):
    box = lesedi_box(lesedi)
    potholes = clusters(client, bbox=box, zoom=10, category="pothole")
    assert potholes["numberMatched"] == 4
    lights = clusters(client, bbox=box, zoom=10, category="streetlight-out")
    assert lights["numberMatched"] == 3
    assert clusters(client, bbox=box, zoom=10, status="resolved")["numberMatched"] == 0
    fixed = scattered["public"][0]
    services.issue_transition(issue=fixed, to_status=Status.ACKNOWLEDGED, actor=dispatcher)
    services.issue_transition(issue=fixed, to_status=Status.RESOLVED, actor=dispatcher, public_note="Filled.")
    resolved = clusters(client, bbox=box, zoom=10, status="resolved")
    assert resolved["numberMatched"] == 1
    assert clusters(client, bbox=box, zoom=10, status="open")["numberMatched"] == 6
    assert clusters(client, bbox=box, zoom=10)["numberMatched"] == 7  # open and recently resolved


def test_issues_that_ended_long_ago_are_left_off(client, lesedi, pothole, dispatcher):
    old = file_issue(pothole, HEIDELBERG.x, HEIDELBERG.y, size="small")
    long_ago = timezone.now() - datetime.timedelta(days=40)
    services.issue_transition(issue=old, to_status=Status.ACKNOWLEDGED, actor=dispatcher, at=long_ago)
    services.issue_transition(issue=old, to_status=Status.RESOLVED, actor=dispatcher, at=long_ago)
    assert clusters(client, bbox=HEIDELBERG_BOX, zoom=14)["numberMatched"] == 0
    assert clusters(client, bbox=HEIDELBERG_BOX, zoom=14, days=60)["numberMatched"] == 1


@pytest.mark.parametrize(("params", "named"), [
    ({"zoom": 12}, "bbox"),
    ({"bbox": "28.3,-26.6,28.4", "zoom": 12}, "bbox"),
    ({"bbox": "a,b,c,d", "zoom": 12}, "bbox"),
    ({"bbox": "28.4,-26.6,28.3,-26.5", "zoom": 12}, "bbox"),
    ({"bbox": "28.3,-96,28.4,-26.5", "zoom": 12}, "bbox"),
    ({"bbox": "-180,-85,180,85", "zoom": 12}, "bbox"),  # the whole world at street level
    ({"bbox": HEIDELBERG_BOX}, "zoom"),
    ({"bbox": HEIDELBERG_BOX, "zoom": "x"}, "zoom"),
    ({"bbox": HEIDELBERG_BOX, "zoom": 23}, "zoom"),
    ({"bbox": HEIDELBERG_BOX, "zoom": -1}, "zoom"),
    ({"bbox": HEIDELBERG_BOX, "zoom": 12, "status": "bogus"}, "status"),
    ({"bbox": HEIDELBERG_BOX, "zoom": 12, "days": "0"}, "days"),
    ({"bbox": HEIDELBERG_BOX, "zoom": 12, "municipality": "XX999"}, "municipality"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, lesedi, params, named):
    response = client.get(URL, {"municipality": "GT423", **params})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [named]


def test_the_box_filter_runs_on_the_stored_columns_index(lesedi, pothole):
    """`location && envelope` on the GiST index: the column is not transformed in the filter."""
    envelope = (28.335, -26.520, 28.380, -26.490)
    spread_copies(file_issue(pothole, HEIDELBERG.x, HEIDELBERG.y, size="small"), 3000)  # a real table's worth of rows
    issues = public_map_issues(statuses=sorted(OPEN_STATUSES), ended_since=timezone.now(), bbox=envelope)
    sql, params = issues.values("id").query.sql_with_params()
    assert '"triage_issue"."location" &&' in sql
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE triage_issue")  # the plan follows the rows just made, not autovacuum's timing
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "triage_issue_location" in plan and "Index" in plan, plan
    assert Polygon.from_bbox(envelope).contains(HEIDELBERG)


def test_the_schema_documents_the_cluster_endpoint(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/issues/clusters"]["get"]
    assert operation["operationId"] == "issues_clusters"
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"bbox", "zoom", "municipality", "category", "status", "days"}
    assert parameters["bbox"]["required"] and parameters["zoom"]["required"]
    assert "application/geo+json" in operation["responses"]["200"]["content"]
