"""The demo's routing rules (triage/demo.py): load_demo gives each municipality a depot for the
roads faults of an outlying town's wards and a signals unit for anything snapped to a traffic
signal, so the board shows routing at work."""

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from accounts.models import Department
from assets.models import Asset
from triage.dispatch.models import RoutingRule
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Issue, IssueEvent

pytestmark = pytest.mark.django_db

RATANDA = Point(28.327, -26.555, srid=4326)  # in ward 3 of Lesedi
HEIDELBERG = Point(28.358, -26.504, srid=4326)  # ward 8: not a depot ward


@pytest.fixture
def demo(lesedi_wards_file):
    call_command("load_demo", verbosity=0, issues=60)


def pothole_at(point: Point) -> Issue:
    category = Category.objects.get(municipality__code="GT423", code="pothole")
    return issue_create(report=Report(category=category, location=point, answers={"size": "small"})).issue


def test_demo_potholes_in_ratanda_go_to_the_depot_and_elsewhere_to_roads(demo):
    rules = RoutingRule.objects.filter(municipality__code="GT423").order_by("order")
    assert [(r.category.code if r.category else None, r.department.code) for r in rules] == [
        ("pothole", "ratanda-depot"), ("blocked-drain", "ratanda-depot"), (None, "traffic-signals")]
    assert sorted(rules[0].wards.values_list("number", flat=True)) == [2, 3, 4, 5]

    in_ratanda = pothole_at(RATANDA)
    assert (in_ratanda.ward.number, in_ratanda.department.code) == (3, "ratanda-depot")
    assert IssueEvent.objects.get(issue=in_ratanda, action="created").detail["routing_rule"] == rules[0].pk
    in_town = pothole_at(HEIDELBERG)
    assert (in_town.ward.number, in_town.department.code) == (8, "roads")

    # The generated demo issues were filed through the same rules.
    potholes = Issue.objects.filter(municipality__code="GT423", category__code="pothole").exclude(pk__in=[
        in_ratanda.pk, in_town.pk])
    for issue in potholes.select_related("ward", "department"):
        expected = "ratanda-depot" if issue.ward.number in (2, 3, 4, 5) else "roads"
        assert issue.department.code == expected, (issue.reference, issue.ward.number)


def test_a_fault_snapped_to_a_traffic_signal_goes_to_the_signals_unit(demo):
    signal = Asset.objects.filter(asset_type__municipality__code="GT423", asset_type__code="traffic-signal").first()
    category = Category.objects.get(municipality__code="GT423", code="traffic-signal")
    issue = issue_create(report=Report(category=category, location=signal.geom)).issue
    assert (issue.asset_id, issue.department.code) == (signal.pk, "traffic-signals")
    assert Department.objects.get(municipality__code="GT423", code="traffic-signals").name == "Traffic Signals Unit"


def test_running_the_demo_again_keeps_an_administrators_rules(demo):
    rule = RoutingRule.objects.filter(municipality__code="GT423", category__code="pothole").get()
    rule.wards.set(rule.wards.filter(number=2))
    call_command("load_demo", verbosity=0, issues=5)
    assert RoutingRule.objects.filter(municipality__code="GT423").count() == 3
    assert list(rule.wards.values_list("number", flat=True)) == [2]
