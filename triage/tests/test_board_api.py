"""The dispatcher board's API: the filtered queue as SQL-built GeoJSON (every filter, refresh by
updated_since, bounded queries), clusters of likely duplicates, SLA counts, one issue in full, and
the permission matrix of every action for every role."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.utils import timezone
from pyproj import Geod

from accounts.models import Department, User
from notices.models import OutboundMessage
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Channel, Issue, IssueEvent
from triage.issues.services import issue_merge, issue_transition
from triage.issues.workflow import Status
from triage.tests.conftest import HEIDELBERG, streetlight_at

pytestmark = pytest.mark.django_db
WGS84 = Geod(ellps="WGS84")


def metres_from(point: Point, metres: float, azimuth: float = 90) -> Point:
    lon, lat, _ = WGS84.fwd(point.x, point.y, azimuth, metres)
    return Point(lon, lat, srid=4326)


def file(category, point=HEIDELBERG, **fields) -> Issue:
    answers = {"size": "small"} if category.questions.filter(code="size").exists() else {}
    return issue_create(report=Report(category=category, location=point, answers=answers, **fields)).issue


def features(client, **params) -> dict:
    response = client.get("/api/v1/board/issues", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def references(client, **params) -> list[str]:
    return [f["id"] for f in features(client, **params)["features"]]


@pytest.fixture
def depot(lesedi):
    return Department.objects.create(municipality=lesedi, code="depot", name="Ratanda Depot", email="depot@lesedi.example")


@pytest.fixture
def leak(lesedi, depot):
    return Category.objects.create(municipality=lesedi, code="water-leak", name="Water leak", default_department=depot,
                                   sla_hours=24, duplicate_radius_m=100)


@pytest.fixture
def board(client, dispatcher):
    client.force_login(dispatcher)
    return client


# --- the queue ----------------------------------------------------------------------------------------

def test_the_queue_is_geojson_of_open_issues_most_pressing_first(board, pothole, leak):
    low = file(pothole)
    urgent = file(leak)
    Issue.objects.filter(pk=urgent.pk).update(priority="urgent")
    closed = file(pothole)
    Issue.objects.filter(pk=closed.pk).update(status="closed")
    body = features(board)
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 2
    first = body["features"][0]
    assert first["id"] == urgent.reference and first["geometry"]["type"] == "Point"
    props = first["properties"]
    assert (props["status"], props["priority"], props["category_name"], props["private"], props["department_name"],
            props["ward"], props["merged"]) == ("submitted", "urgent", "Water leak", False, "Ratanda Depot", 8, 0)
    assert 23 * 3600 < props["seconds_left"] <= 24 * 3600
    # times as seconds since 1970 (UTC): what the queue sorts by, without parsing dates
    assert props["created_at"] == pytest.approx(urgent.created_at.timestamp(), abs=1e-6)
    assert props["expected_at"] - props["created_at"] == pytest.approx(24 * 3600, abs=1e-6)
    assert [f["id"] for f in body["features"]] == [urgent.reference, low.reference]
    assert references(board, status="all", sort="oldest") == [low.reference, urgent.reference, closed.reference]


def test_every_filter(board, pothole, leak, lesedi, dispatcher):
    in_ward_8 = file(pothole, channel=Channel.WEB)
    by_phone = file(leak, metres_from(HEIDELBERG, 300), channel=Channel.PHONE)
    old = file(pothole, metres_from(HEIDELBERG, 600))
    Issue.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=10),
                                           expected_at=timezone.now() - datetime.timedelta(days=7), priority="high")
    unrouted = file(pothole, metres_from(HEIDELBERG, 900))
    Issue.objects.filter(pk=unrouted.pk).update(department=None, assignee=dispatcher, address="12 Voortrekker Street")
    assert set(references(board, category="water-leak")) == {by_phone.reference}
    assert set(references(board, department="roads")) == {in_ward_8.reference, old.reference}
    assert set(references(board, department="none")) == {unrouted.reference}
    assert set(references(board, department="depot,none")) == {by_phone.reference, unrouted.reference}
    assert set(references(board, channel="phone")) == {by_phone.reference}
    assert set(references(board, priority="high")) == {old.reference}
    assert set(references(board, older_than=7)) == {old.reference}
    assert old.reference not in references(board, newer_than=7)
    assert set(references(board, overdue="true")) == {old.reference}
    assert old.reference not in references(board, overdue="false")
    assert set(references(board, assignee="me")) == {unrouted.reference}
    assert set(references(board, q="voortrekker")) == {unrouted.reference}
    assert set(references(board, q=old.reference[-4:])) >= {old.reference}
    ward_of_all = {f["properties"]["ward"] for f in features(board)["features"]}
    for number in ward_of_all:
        assert all(f["properties"]["ward"] == number for f in features(board, ward=number)["features"])
    assert references(board, ward=13) == [] or 13 in ward_of_all
    Issue.objects.filter(pk=in_ward_8.pk).update(status="in_progress")
    assert set(references(board, status="in_progress")) == {in_ward_8.reference}


def test_duplicates_filter_likely_and_merged(board, pothole, dispatcher):
    a = file(pothole)
    b = file(pothole, metres_from(HEIDELBERG, 20))
    alone = file(pothole, metres_from(HEIDELBERG, 500))
    assert set(references(board, duplicates="likely")) == {a.reference, b.reference}
    issue_merge(parent=a, children=[b], actor=dispatcher)
    assert references(board, duplicates="merged") == [a.reference]
    assert references(board, duplicates="likely") == []
    assert alone.reference in references(board)
    row = next(f for f in features(board)["features"] if f["id"] == a.reference)
    assert row["properties"]["merged"] == 1


@pytest.mark.parametrize(("params", "field"), [
    ({"ward": "eight"}, "ward"), ({"ward": "0"}, "ward"), ({"status": "sleeping"}, "status"),
    ({"priority": "critical"}, "priority"), ({"channel": "fax"}, "channel"), ({"older_than": "-1"}, "older_than"),
    ({"newer_than": "x"}, "newer_than"), ({"overdue": "maybe"}, "overdue"), ({"duplicates": "all"}, "duplicates"),
    ({"sort": "random"}, "sort"), ({"limit": "0"}, "limit"), ({"limit": "100000"}, "limit"),
    ({"updated_since": "yesterday"}, "updated_since"), ({"assignee": "someone"}, "assignee"),
    ({"q": "x" * 61}, "q"), ({"category": "pot'hole"}, "category"), ({"department": "a b"}, "department"),
])
def test_bad_filters_are_400_naming_the_parameter(board, pothole, params, field):
    response = board.get("/api/v1/board/issues", params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_query_count_does_not_grow_with_issues(board, pothole, django_assert_max_num_queries):
    for metres in range(0, 400, 20):
        file(pothole, metres_from(HEIDELBERG, metres))
    with django_assert_max_num_queries(5):  # session, user, permissions, the features (the count only if truncated)
        body = features(board)
    assert body["numberReturned"] == 20
    with django_assert_max_num_queries(6):
        body = features(board, limit=5)
    assert (body["numberReturned"], body["numberMatched"]) == (5, 20)


def test_refresh_returns_changed_issues_and_those_that_left_the_filter(board, pothole, dispatcher):
    staying, leaving, untouched = file(pothole), file(pothole), file(pothole)
    first = features(board)
    since = first["next_since"]
    past = timezone.now() - datetime.timedelta(minutes=5)
    Issue.objects.filter(pk=untouched.pk).update(updated_at=past)
    Issue.objects.filter(pk__in=[staying.pk, leaving.pk]).update(updated_at=past)
    issue_transition(issue=staying, to_status="acknowledged", actor=dispatcher)
    issue_transition(issue=leaving, to_status="rejected", actor=dispatcher, public_note="Private road.")
    arrived = file(pothole)
    body = board.get("/api/v1/board/issues", {"updated_since": since}).json()
    assert {f["id"] for f in body["features"]} == {staying.reference, arrived.reference}
    assert body["removed"] == [leaving.reference]
    assert body["numberMatched"] is None


# --- clusters ----------------------------------------------------------------------------------------------

def clusters(client, **params) -> list[dict]:
    response = client.get("/api/v1/board/clusters", params)
    assert response.status_code == 200, response.content
    return response.json()["clusters"]


def test_clusters_group_close_open_issues_of_one_category_oldest_first(board, pothole, leak):
    a = file(pothole)
    b = file(pothole, metres_from(HEIDELBERG, 30))
    c = file(pothole, metres_from(HEIDELBERG, 75))  # 45 m from b: chained through it
    file(pothole, metres_from(HEIDELBERG, 400))  # alone
    file(leak, metres_from(HEIDELBERG, 10))  # close, but another category
    closed = file(pothole, metres_from(HEIDELBERG, 5))
    Issue.objects.filter(pk=closed.pk).update(status="resolved")
    found = clusters(board)
    assert len(found) == 1
    group = found[0]
    assert (group["category"], group["size"], group["issues"], group["parent"]) == (
        "pothole", 3, [a.reference, b.reference, c.reference], a.reference)
    assert group["centre"]["type"] == "Point" and group["outline"]["type"] in ("Polygon", "LineString")


def test_the_radius_is_metres_per_category(board, pothole, leak):
    file(pothole)
    file(pothole, metres_from(HEIDELBERG, 60))  # pothole radius 50 m: apart
    file(leak, metres_from(HEIDELBERG, 1000, 0))
    file(leak, metres_from(HEIDELBERG, 1090, 0))  # leak radius 100 m: together
    assert [(g["category"], g["size"]) for g in clusters(board)] == [("water-leak", 2)]
    # North-south and east-west alike: metres, not degrees (a degree of longitude is 10% shorter here).
    Category.objects.filter(pk=pothole.pk).update(duplicate_radius_m=65)
    assert sorted(g["category"] for g in clusters(board)) == ["pothole", "water-leak"]


def test_nothing_clusters_across_municipalities(client, pothole, neighbour, lesedi):
    superuser = User.objects.create_superuser("root@imbizo.example", "pw-root-1")
    client.force_login(superuser)
    theirs = Category.objects.create(municipality=neighbour, code="pothole", name="Pothole")
    file(pothole)
    file(theirs)  # the same point, the same category code, another municipality
    assert clusters(client) == []
    file(theirs, metres_from(HEIDELBERG, 10))
    found = clusters(client)
    assert [(g["municipality"], g["size"]) for g in found] == [("XX999", 2)]


def test_issues_snapped_to_the_same_asset_cluster_whatever_the_distance(board, streetlight_out, streetlights):
    Category.objects.filter(pk=streetlight_out.pk).update(duplicate_radius_m=10)
    light = streetlight_at(streetlights, HEIDELBERG, "SL-7")
    east, west = file(streetlight_out, metres_from(HEIDELBERG, 25, 90)), file(streetlight_out, metres_from(HEIDELBERG, 25, 270))
    assert east.asset == west.asset == light
    assert [g["size"] for g in clusters(board)] == [2]


def test_clusters_follow_the_filter(board, pothole):
    file(pothole)
    file(pothole, metres_from(HEIDELBERG, 20))
    assert len(clusters(board)) == 1
    assert clusters(board, department="depot") == []


# --- SLA and one issue -----------------------------------------------------------------------------------

def test_summary_counts_open_overdue_and_due_today_per_department(board, pothole, leak):
    now = timezone.now()
    late, soon, later = file(pothole), file(pothole), file(leak)
    Issue.objects.filter(pk=late.pk).update(expected_at=now - datetime.timedelta(hours=1))
    Issue.objects.filter(pk=soon.pk).update(expected_at=now + datetime.timedelta(seconds=30))
    Issue.objects.filter(pk=later.pk).update(expected_at=now + datetime.timedelta(days=3))
    body = board.get("/api/v1/board/summary").json()
    rows = {row["department"]: row for row in body["departments"]}
    assert (rows["roads"]["open"], rows["roads"]["overdue"]) == (2, 1)
    assert rows["depot"] == {"department": "depot", "department_name": "Ratanda Depot", "open": 1, "overdue": 0,
                             "due_today": 0}
    assert (body["open"], body["overdue"], body["timezone"]) == (3, 1, "Africa/Johannesburg")


def test_one_issue_in_full_for_staff(board, pothole, dispatcher):
    issue = file(pothole, reporter_name="Sipho", reporter_email="sipho@example.org")
    body = board.get(f"/api/v1/board/issues/{issue.reference}").json()
    assert body["reporter"]["email"] == "sipho@example.org"
    assert body["sla"]["overdue"] is False and "left" in body["sla"]["label"]
    assert body["history"][0]["action"] == "created"
    assert set(body["may"]) == {"acknowledge", "assign", "route", "priority", "status", "note", "merge", "unmerge",
                                "reject"}
    assert board.get("/api/v1/board/issues/GT423-1999-000001").status_code == 404


# --- actions -----------------------------------------------------------------------------------------------

def act(client, action: str, issues: list[Issue], **fields):
    return client.post("/api/v1/board/actions", {"action": action, "issues": [i.reference for i in issues], **fields},
                       content_type="application/json")


def test_bulk_assign_records_history_and_tells_reporters_and_the_department(board, pothole, depot):
    issues = [file(pothole, reporter_email=f"r{n}@example.org") for n in range(3)]
    OutboundMessage.objects.all().delete()
    response = act(board, "assign", issues, department="depot", public_note="The depot team will come.")
    assert response.status_code == 200, response.content
    assert response.json()["done"] == [i.reference for i in issues]
    for issue in issues:
        issue.refresh_from_db()
        assert (issue.status, issue.department) == (Status.ASSIGNED, depot)
        assert issue.events.filter(action=IssueEvent.Action.ASSIGNED).exists()
    assert OutboundMessage.objects.filter(address="depot@lesedi.example").count() == 3
    assert OutboundMessage.objects.filter(address="r0@example.org", body__contains="The depot team will come.").exists()


def test_refusals_are_per_issue_with_the_reason(board, pothole, dispatcher):
    fresh, acknowledged = file(pothole), file(pothole)
    issue_transition(issue=acknowledged, to_status="acknowledged", actor=dispatcher)
    body = act(board, "acknowledge", [fresh, acknowledged]).json()
    assert body["done"] == [fresh.reference]
    assert "already acknowledged" in body["refused"][acknowledged.reference]
    response = act(board, "acknowledge", [acknowledged])
    assert response.status_code == 400 and "issues" in response.json()


def test_merge_and_unmerge_through_the_board(board, pothole):
    parent, child = file(pothole), file(pothole, metres_from(HEIDELBERG, 10))
    assert act(board, "merge", [parent, child], parent=parent.reference).status_code == 200
    child.refresh_from_db()
    assert child.duplicate_of == parent
    assert act(board, "unmerge", [child]).status_code == 200
    child.refresh_from_db()
    assert child.status == Status.REOPENED


@pytest.mark.parametrize(("action", "fields", "field"), [
    ("fly", {}, "action"), ("priority", {}, "priority"), ("priority", {"priority": "mega"}, "priority"),
    ("status", {}, "status"), ("status", {"status": "duplicate"}, "status"), ("reject", {}, "public_note"),
    ("note", {}, "internal_note"), ("merge", {}, "parent"), ("assign", {}, "department"),
    ("assign", {"department": "nowhere"}, "department"), ("assign", {"assignee": 999999}, "assignee"),
    ("route", {}, "department"), ("merge", {"parent": "GT423-1999-000001"}, "parent"),
])
def test_bad_action_input_is_400_naming_the_field(board, pothole, action, fields, field):
    response = act(board, action, [file(pothole)], **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_issues_not_on_your_board_are_404_and_nothing_is_done(board, pothole):
    issue = file(pothole)
    response = board.post("/api/v1/board/actions", {"action": "acknowledge", "issues": [issue.reference, "NOPE-1"]},
                          content_type="application/json")
    assert response.status_code == 404 and "NOPE-1" in str(response.json())
    issue.refresh_from_db()
    assert issue.status == Status.SUBMITTED
    assert board.post("/api/v1/board/actions", {"action": "acknowledge", "issues": []},
                      content_type="application/json").status_code == 400


# --- the permission matrix -----------------------------------------------------------------------------------

def user_with_role(municipality, role: str, email: str) -> User:
    user = User.objects.create_user(email, "pw-role-1", municipality=municipality)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # hundreds of logins here


@pytest.fixture
def person(lesedi, neighbour, depot, roads):
    """The user holding a role, made when a test asks for it."""

    def make(role: str):
        if role == "anonymous":
            return None
        if role == "resident":
            return User.objects.create_user("thandi@example.org", "pw-resident-1")
        if role == "superuser":
            return User.objects.create_superuser("root@imbizo.example", "pw-root-1")
        if role == "planner":
            return user_with_role(lesedi, "planner", "plan@lesedi.example")
        if role == "dispatcher":
            return user_with_role(lesedi, "dispatcher", "dispatch@lesedi.example")
        if role == "other municipality's dispatcher":
            return user_with_role(neighbour, "dispatcher", "dispatch@neighbour.example")
        worker = user_with_role(lesedi, "department staff", f"{role.split()[0]}@staff.example")
        worker.departments.add(roads if role == "roads staff" else depot)
        return worker

    return make


# action -> (fields, the status the issue starts from)
ACTIONS = {
    "acknowledge": ({}, "submitted"),
    "assign": ({"department": "roads"}, "acknowledged"),
    "route": ({"department": "depot"}, "submitted"),
    "priority": ({"priority": "urgent"}, "submitted"),
    "status:in_progress": ({"status": "in_progress", "public_note": "On site."}, "assigned"),
    "status:resolved": ({"status": "resolved", "public_note": "Filled."}, "in_progress"),
    "status:closed": ({"status": "closed"}, "resolved"),
    "note": ({"internal_note": "Call the contractor."}, "assigned"),
    "reject": ({"public_note": "Private property."}, "submitted"),
    "merge": ({}, "submitted"),
    "unmerge": ({}, "duplicate"),
}
EVERYTHING = set(ACTIONS)
EXPECTED = {
    "anonymous": {}, "resident": {}, "planner": {},
    "dispatcher": dict.fromkeys(EVERYTHING, 200), "superuser": dict.fromkeys(EVERYTHING, 200),
    "roads staff": {"status:in_progress": 200, "status:resolved": 200, "note": 200},
    "depot staff": dict.fromkeys(EVERYTHING, 404),  # a Roads issue: not on their board at all
    "other municipality's dispatcher": dict.fromkeys(EVERYTHING, 404),
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_matrix(client, person, pothole, role, action):
    fields, start = ACTIONS[action]
    issue, other = file(pothole), file(pothole, metres_from(HEIDELBERG, 10))
    Issue.objects.filter(pk=issue.pk).update(status=start)
    if start == "duplicate":
        Issue.objects.filter(pk=issue.pk).update(duplicate_of=other)
    if action == "merge":
        fields = {"parent": other.reference}
    user = person(role)
    if user is not None:
        client.force_login(user)
    name = action.split(":")[0]
    response = act(client, name, [issue], **fields)
    expected = EXPECTED[role].get(action, 403)
    assert response.status_code == expected, (role, action, response.content)
    issue.refresh_from_db()
    assert (issue.status != start) == (expected == 200 and name not in ("route", "priority", "note")), (role, action)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_who_may_read_the_board(client, person, pothole, leak, role):
    roads_issue, depot_issue = file(pothole), file(leak, metres_from(HEIDELBERG, 300))
    user = person(role)
    if user is not None:
        client.force_login(user)
    response = client.get("/api/v1/board/issues")
    if role in ("anonymous", "resident", "planner"):
        assert response.status_code == 403
        assert client.get("/api/v1/board/summary").status_code == 403
        assert client.get("/api/v1/board/clusters").status_code == 403
        assert client.get(f"/api/v1/board/issues/{roads_issue.reference}").status_code == 403
        return
    seen = {f["id"] for f in response.json()["features"]}
    expected = {"dispatcher": {roads_issue.reference, depot_issue.reference},
                "superuser": {roads_issue.reference, depot_issue.reference},
                "roads staff": {roads_issue.reference}, "depot staff": {depot_issue.reference},
                "other municipality's dispatcher": set()}[role]
    assert seen == expected
    detail = client.get(f"/api/v1/board/issues/{roads_issue.reference}").status_code
    assert detail == (200 if roads_issue.reference in expected else 404)
    if role == "other municipality's dispatcher":
        assert client.get("/api/v1/board/issues", {"municipality": "GT423"}).status_code == 403


@pytest.mark.parametrize(("who", "sort", "indexes"), [
    ("dispatcher", "priority", {"issue_open_by_priority", "issue_open_all_by_priority"}),
    ("dispatcher", "due", {"issue_open_by_due"}), ("dispatcher", "oldest", {"issue_open_by_age"}),
    ("dispatcher", "newest", {"issue_open_by_age"}), ("dispatcher", "updated", {"issue_open_by_update"}),
    ("superuser", "priority", {"issue_open_all_by_priority"}),
])
def test_the_queue_page_is_read_in_order_from_a_partial_index_alone(pothole, lesedi, neighbour, who, sort, indexes):
    """No sort of all open issues to find the first page (measured at 100,000 open issues: 1.2 s
    sorted, see benchmarks/board.py), and no visit to the table for the features either: the page is
    an index-only scan of an open-issue index that carries everything a feature shows. (With one
    municipality's issues in the table, a dispatcher's priority order may come from either index.)"""
    from django.db import connection

    from triage.dispatch import board

    file(pothole)
    scope = Issue.objects.filter(municipality_id=lesedi.pk) if who == "dispatcher" else Issue.objects.all()
    issues = board.filtered(scope, board.BoardFilter(), now=timezone.now())
    sql, params = board.queue_features_sql(issues, now=timezone.now(), sort=sort, limit=5000)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # a plan that needs a sort would show one regardless
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    page_scan = next(line for line in plan.splitlines()
                     if " on triage_issue " in line and " on triage_issue m " not in line)  # m: the merged count
    assert "Index Only Scan" in page_scan and any(f"using {index} " in page_scan for index in indexes), plan
    assert "Sort" not in plan.replace("Sort Key", "").replace("ORDER BY", ""), plan


def test_a_superuser_sees_every_municipality_or_the_one_asked_for(client, pothole, neighbour):
    """The board page of one municipality asks with `municipality=` for a superuser (board.js)."""
    superuser = User.objects.create_superuser("root@imbizo.example", "pw-root-1")
    client.force_login(superuser)
    theirs = Category.objects.create(municipality=neighbour, code="pothole", name="Pothole")
    ours, other = file(pothole), file(theirs)
    assert set(references(client)) == {ours.reference, other.reference}
    assert references(client, municipality="GT423") == [ours.reference]
    assert references(client, municipality="XX999", category="pothole") == [other.reference]
    response = client.get("/api/v1/board/issues", {"municipality": "ZZ000"})
    assert response.status_code == 400 and "municipality" in response.json()
