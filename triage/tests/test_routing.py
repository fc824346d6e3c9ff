"""Routing rules on the real Lesedi wards: the first matching rule names the department, else the
category's default; wards, a drawn area and an asset type narrow a rule; re-routing by hand."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from accounts.models import Department
from notices.models import OutboundMessage
from triage.dispatch import routing
from triage.dispatch.models import RoutingRule
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, IssueEvent
from triage.issues.services import ActionRefused, issue_reroute, issue_transition
from triage.tests.conftest import HEIDELBERG, streetlight_at
from wards.models import Municipality, Ward

pytestmark = pytest.mark.django_db


def point_in_ward(number: int) -> Point:
    """A point well inside the current ward with this number (its ST_PointOnSurface)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(w.geom) p FROM wards_ward w "
                       "JOIN wards_boundaryset b ON b.id = w.boundary_set_id AND b.is_current "
                       "WHERE w.number = %s AND w.municipality_id = (SELECT id FROM wards_municipality WHERE code = 'GT423')) q",
                       [number])
        x, y = cursor.fetchone()
    return Point(x, y, srid=4326)


def ward(number: int) -> Ward:
    return Ward.objects.current().get(municipality__code="GT423", number=number)


def box_around(point: Point, metres: float) -> MultiPolygon:
    half = metres / 111_000  # about a degree of latitude; a box, checked by eye, not a distance
    return MultiPolygon(Polygon.from_bbox((point.x - half, point.y - half, point.x + half, point.y + half)), srid=4326)


def file(category, point=HEIDELBERG):
    answers = {"size": "small"} if category.code == "pothole" else {}
    return issue_create(report=Report(category=category, location=point, answers=answers,
                                      reporter_email="resident@example.org")).issue


@pytest.fixture
def depot(lesedi):
    return Department.objects.create(municipality=lesedi, code="ratanda-depot", name="Ratanda Depot",
                                     email="ratanda@lesedi.example")


@pytest.fixture
def electrical(lesedi):
    return Department.objects.create(municipality=lesedi, code="electrical", name="Electrical", email="lights@lesedi.example")


def rule(**fields) -> RoutingRule:
    wards = fields.pop("wards", [])
    made = RoutingRule.objects.create(**{"name": "test rule", **fields})
    made.wards.set(wards)
    return made


def test_heidelberg_is_in_ward_8_by_the_real_boundaries(lesedi):
    assert Ward.objects.current().covering(HEIDELBERG).first().number == 8
    assert Ward.objects.current().covering(point_in_ward(3)).first().number == 3


def test_without_rules_the_category_default_department_gets_the_issue(pothole, roads):
    issue = file(pothole)
    assert issue.department == roads
    assert "routing_rule" not in issue.events.get(action="created").detail


def test_a_ward_rule_routes_its_wards_and_the_rest_falls_back_to_the_default(lesedi, pothole, roads, depot):
    made = rule(municipality=lesedi, category=pothole, wards=[ward(8), ward(9)], department=depot)
    assert file(pothole, HEIDELBERG).department == depot
    assert file(pothole, point_in_ward(9)).department == depot
    assert file(pothole, point_in_ward(3)).department == roads  # no rule for ward 3: the category's default
    assert file(pothole).events.get(action="created").detail["routing_rule"] == made.pk


def test_the_first_matching_rule_wins_by_order_then_by_age(lesedi, pothole, depot, electrical):
    later = rule(municipality=lesedi, order=20, category=pothole, department=electrical)
    rule(municipality=lesedi, order=10, category=pothole, wards=[ward(3)], department=depot)  # matches ward 3 only
    assert file(pothole, HEIDELBERG).department == electrical  # order 10 does not match ward 8; order 20 does
    assert file(pothole, point_in_ward(3)).department == depot  # both match: order 10 first
    rule(municipality=lesedi, order=20, category=pothole, department=depot)  # same order, made after `later`
    assert file(pothole, HEIDELBERG).department == later.department


def test_inactive_rules_and_rules_of_other_categories_or_municipalities_are_ignored(lesedi, pothole, roads, depot):
    other = Municipality.objects.create(code="XX001", name="Elsewhere")
    rule(municipality=lesedi, category=pothole, department=depot, is_active=False)
    rule(municipality=other, category=None, department=Department.objects.create(municipality=other, code="x", name="X"))
    lights = Category.objects.create(municipality=lesedi, code="lights", name="Lights", default_department=roads)
    rule(municipality=lesedi, category=lights, department=depot)
    assert file(pothole).department == roads


def test_a_rule_without_a_category_routes_every_category(lesedi, pothole, depot):
    rule(municipality=lesedi, category=None, wards=[ward(8)], department=depot)
    assert file(pothole).department == depot


def test_an_area_rule_is_tested_in_sql_on_the_point(lesedi, pothole, roads, depot):
    rule(municipality=lesedi, category=pothole, area=box_around(HEIDELBERG, 200), department=depot)
    assert file(pothole, HEIDELBERG).department == depot
    outside = Point(HEIDELBERG.x, HEIDELBERG.y - 0.01, srid=4326)  # about 1.1 km south, still ward 8
    assert Ward.objects.current().covering(outside).first().number == 8
    assert file(pothole, outside).department == roads


def test_wards_and_area_together_must_both_hold(lesedi, pothole, roads, depot):
    rule(municipality=lesedi, category=pothole, wards=[ward(3)], area=box_around(HEIDELBERG, 200), department=depot)
    assert file(pothole, HEIDELBERG).department == roads  # in the area, not in ward 3
    assert file(pothole, point_in_ward(3)).department == roads  # in ward 3, not in the area


def test_an_asset_type_rule_routes_only_issues_snapped_to_such_an_asset(lesedi, streetlight_out, streetlights, roads,
                                                                          electrical):
    rule(municipality=lesedi, category=streetlight_out, asset_type=streetlights, department=electrical)
    streetlight_at(streetlights, Point(HEIDELBERG.x + 0.0001, HEIDELBERG.y, srid=4326), "SL-1")  # ~10 m away
    snapped = file(streetlight_out, HEIDELBERG)
    assert snapped.asset is not None and snapped.department == electrical
    far = Point(HEIDELBERG.x + 0.005, HEIDELBERG.y, srid=4326)  # ~500 m: nothing to snap to within 30 m
    unsnapped = file(streetlight_out, far)
    assert unsnapped.asset is None and unsnapped.department == roads


def test_routing_is_one_query(lesedi, pothole, depot, django_assert_num_queries):
    rule(municipality=lesedi, category=pothole, wards=[ward(8)], area=box_around(HEIDELBERG, 200), department=depot)
    pothole = Category.objects.select_related("default_department").get(pk=pothole.pk)
    ward_8 = ward(8).pk
    with django_assert_num_queries(1):
        routed = routing.route(category=pothole, point=HEIDELBERG, ward_id=ward_8, asset_id=None)
    assert routed.department is not None and routed.department.email == "ratanda@lesedi.example"


def test_the_department_a_rule_chose_is_told_of_the_new_issue(lesedi, pothole, depot):
    rule(municipality=lesedi, category=pothole, department=depot)
    issue = file(pothole)
    assert OutboundMessage.objects.filter(address="ratanda@lesedi.example", topic=f"issue:{issue.reference}").exists()
    assert not OutboundMessage.objects.filter(address="roads@lesedi.example").exists()


# --- re-routing by hand -------------------------------------------------------------------------

def test_a_dispatcher_reroutes_by_hand_recorded_in_history_and_the_department_told(pothole, roads, depot, dispatcher):
    issue = file(pothole)
    issue = issue_reroute(issue=issue, actor=dispatcher, department=depot, internal_note="Ratanda side of the road")
    assert issue.department == depot
    event = issue.events.get(action=IssueEvent.Action.ROUTED)
    assert event.detail == {"from": "Roads and Stormwater", "to": "Ratanda Depot", "routing_rule": None, "by_hand": True}
    assert (event.actor, event.internal_note) == (dispatcher, "Ratanda side of the road")
    assert OutboundMessage.objects.filter(address="ratanda@lesedi.example", subject__contains="passed to you").exists()
    assert issue.status == "submitted"  # re-routing does not change the status


def test_reroute_without_a_department_applies_the_rules_again(lesedi, pothole, roads, depot, dispatcher):
    issue = file(pothole)
    assert issue.department == roads
    made = rule(municipality=lesedi, category=pothole, wards=[ward(8)], department=depot)  # a rule added later
    issue = issue_reroute(issue=issue, actor=dispatcher)
    assert issue.department == depot
    assert issue.events.get(action="routed").detail["routing_rule"] == made.pk


def test_reroute_is_refused_for_closed_issues_and_other_municipalities_departments(lesedi, pothole, dispatcher):
    issue = file(pothole)
    other = Municipality.objects.create(code="XX001", name="Elsewhere")
    with pytest.raises(ActionRefused) as refused:
        issue_reroute(issue=issue, actor=dispatcher, department=Department.objects.create(municipality=other, code="x", name="X"))
    assert refused.value.field == "department"
    issue_transition(issue=issue, to_status="rejected", actor=dispatcher, public_note="Private road.")
    with pytest.raises(ActionRefused) as refused:
        issue_reroute(issue=issue, actor=dispatcher, department=issue.department)
    assert refused.value.field == "status"


# --- the admin ------------------------------------------------------------------------------------

@pytest.fixture
def administrator(lesedi):
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user("admin@lesedi.example", "pw-admin-1", municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name="municipal administrator"))
    return user


def test_a_municipal_administrator_keeps_the_rules_in_the_admin_with_a_map(client, administrator, lesedi, pothole, depot,
                                                                            neighbour):
    rule(municipality=neighbour, name="Theirs", department=Department.objects.create(municipality=neighbour, code="x",
                                                                                      name="X"))
    client.force_login(administrator)
    listing = client.get("/admin/triage/routingrule/")
    assert listing.status_code == 200 and "Theirs" not in listing.content.decode()
    form = client.get("/admin/triage/routingrule/add/")
    assert form.status_code == 200 and "leaflet" in form.content.decode().lower()
    response = client.post("/admin/triage/routingrule/add/", {
        "municipality": lesedi.pk, "order": 5, "name": "Potholes in ward 8 to the depot", "category": pothole.pk,
        "wards": [ward(8).pk], "area": "", "asset_type": "", "department": depot.pk, "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[-2000:]
    made = RoutingRule.objects.get(name="Potholes in ward 8 to the depot")
    assert list(made.wards.all()) == [ward(8)]
    assert file(pothole).department == depot


def test_the_admin_refuses_a_department_of_another_municipality(client, lesedi, pothole, neighbour):
    from accounts.models import User

    client.force_login(User.objects.create_superuser("root@imbizo.example", "pw-root-1"))
    theirs = Department.objects.create(municipality=neighbour, code="x", name="X")
    response = client.post("/admin/triage/routingrule/add/", {
        "municipality": lesedi.pk, "order": 5, "name": "Wrong", "category": pothole.pk, "area": "", "asset_type": "",
        "department": theirs.pk, "is_active": "on",
    })
    assert response.status_code == 200 and "belongs to another municipality" in response.content.decode()
    assert not RoutingRule.objects.exists()
