"""Demo issues: the standard categories for each municipality and a few hundred generated reports
spread over the last four months, moved along the workflow the way a real week would move them.

Everything goes through the same services residents and dispatchers use (intake numbers, ward
lookup, asset snapping, routing, history, messages), so the demo exercises the real paths.

Each municipality also gets a few routing rules before its issues are filed, so the board shows
routing at work: the roads faults of the wards around an outlying town go to that town's depot
instead of the central roads department, and anything snapped to a traffic signal goes to the
signals unit whatever it was reported as.

The descriptions, the category mix and the routing are data: fixtures/demo/issues.json and
routing.json.
"""

import datetime
import random

from django.db import connection
from django.utils import timezone

from accounts.models import Department
from assets.models import AssetType
from notices.outbound import recording_only
from toolkit.conf import storage_srid
from toolkit.fixtures import demo_fixture
from triage.dispatch.models import RoutingRule
from triage.intake.services import Report, issue_create
from triage.issues.categories import categories_ensure_standard
from triage.issues.models import Category, Channel, Issue
from triage.issues.services import issue_comment_add, issue_rate, issue_transition
from wards.models import Municipality, Ward

DEMO_SEED = 42
ISSUES_PER_MUNICIPALITY = 300
DAYS_BACK = 120
ISSUES = demo_fixture("issues")
DESCRIPTIONS = ISSUES["descriptions"]
ROUTING = demo_fixture("routing")
# The outlying town with its own roads depot, and the current wards it serves: Ratanda's township
# wards (real 2011 numbers), 6 km from Heidelberg; the generated wards around Wellington, 12 km
# from Paarl.
DEPOTS = {code: (depot["town"], tuple(depot["wards"])) for code, depot in ROUTING["depots"].items()}
DEPOT_CATEGORIES = tuple(ROUTING["depot_categories"])
SIGNALS_DEPARTMENT = (ROUTING["signals_department"]["code"], ROUTING["signals_department"]["name"])


def demo_load_issues(*, per_municipality: int = ISSUES_PER_MUNICIPALITY, log=print) -> None:
    for municipality in Municipality.objects.exclude(boundary=None).order_by("code"):
        created = categories_ensure_standard(municipality)
        if created:
            log(f"Created {created} standard categories for {municipality.code}")
        if rules := demo_routing_rules(municipality):
            log(f"Created {len(rules)} routing rules for {municipality.code}")
        if Issue.objects.filter(municipality=municipality).exists():
            continue
        log(f"Generating {per_municipality} demo issues in {municipality.code}")
        with recording_only():  # the demo's departments and reporters have made-up addresses
            _generate_issues(municipality, per_municipality)


def depot_wards(municipality) -> list[Ward]:
    """The current wards served by the municipality's depot (none when it has no depot town)."""
    _, numbers = DEPOTS.get(municipality.code, ("", ()))
    return list(Ward.objects.current().filter(municipality=municipality, number__in=numbers).order_by("number"))


def demo_routing_rules(municipality) -> list[RoutingRule]:
    """The demo's routing rules, once per municipality (a municipality that has rules keeps
    them): the depot town's roads faults to its depot, traffic-signal assets to the signals unit."""
    if RoutingRule.objects.filter(municipality=municipality).exists():
        return []
    categories = {c.code: c for c in Category.objects.filter(municipality=municipality, code__in=DEPOT_CATEGORIES)}
    rules = []
    wards = depot_wards(municipality)
    if wards and categories:
        town, _ = DEPOTS[municipality.code]
        depot = _demo_department(municipality, f"{town.lower()}-depot", f"{town} Roads Depot")
        for order, code in enumerate(DEPOT_CATEGORIES, start=1):
            if code not in categories:
                continue
            rule = RoutingRule.objects.create(
                municipality=municipality, order=10 * order, category=categories[code], department=depot,
                name=f"{categories[code].name} in {town} (wards {', '.join(str(w.number) for w in wards)})")
            rule.wards.set(wards)
            rules.append(rule)
    signals = AssetType.objects.filter(municipality=municipality, code="traffic-signal").first()
    if signals is not None:
        code, name = SIGNALS_DEPARTMENT
        rules.append(RoutingRule.objects.create(
            municipality=municipality, order=50, asset_type=signals, department=_demo_department(municipality, code, name),
            name="Anything snapped to a traffic signal"))
    return rules


def _demo_department(municipality, code: str, name: str) -> Department:
    department, _ = Department.objects.get_or_create(municipality=municipality, code=code, defaults={
        "name": name, "email": f"{code}@{municipality.code.lower()}.demo.imbizo.local"})
    return department


def _points_inside(municipality, count: int) -> list[tuple[float, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g.geom), ST_Y(g.geom) FROM wards_municipality m, "
            "LATERAL ST_Dump(ST_GeneratePoints(m.boundary, %s, %s)) g WHERE m.id = %s",
            [count, DEMO_SEED, municipality.pk],
        )
        return cursor.fetchall()


def _generate_issues(municipality, count: int) -> None:
    rng = random.Random(f"{DEMO_SEED}-{municipality.code}")
    categories = list(Category.objects.filter(municipality=municipality, is_active=True).prefetch_related("questions"))
    now = timezone.now()
    # Most reports are potholes, lights and leaks; the weights give the heatmaps some shape.
    weights = [ISSUES["category_weights"].get(c.code, 1) for c in categories]
    for lon, lat in _points_inside(municipality, count):
        category = rng.choices(categories, weights)[0]
        created_at = now - datetime.timedelta(days=rng.uniform(0, DAYS_BACK))
        report = Report(
            category=category, location=_point(lon, lat), answers=_answers(category, rng),
            description=rng.choice(DESCRIPTIONS.get(category.code, [ISSUES["description_otherwise"]])),
            channel=rng.choice([Channel.WEB, Channel.WEB, Channel.API, Channel.PHONE]),
        )
        issue = issue_create(report=report, now=created_at).issue
        _advance(issue, created_at, now, rng)


def _point(lon: float, lat: float):
    from django.contrib.gis.geos import Point

    return Point(lon, lat, srid=storage_srid())


def _answers(category, rng) -> dict:
    answers = {}
    for question in category.questions.all():
        if not question.required:
            continue
        keys = question.choice_keys()
        answers[question.code] = rng.choice(keys) if keys else "Reported in the demo"
    return answers


def _advance(issue, created_at, now, rng) -> None:
    """Walk the issue along the workflow, each step some hours after the last, never past now."""
    age_hours = (now - created_at).total_seconds() / 3600
    at = created_at

    def step(hours: float) -> datetime.datetime | None:
        nonlocal at
        at = at + datetime.timedelta(hours=hours)
        return at if at < now else None

    if age_hours < 6 or rng.random() < 0.1:
        return  # still waiting for a dispatcher
    if (when := step(rng.uniform(1, 30))) is None:
        return
    if rng.random() < 0.06:
        issue_transition(issue=issue, to_status="rejected", at=when, label="Customer Care",
                         public_note="This is on private property; the owner has been informed.")
        return
    issue_transition(issue=issue, to_status="acknowledged", at=when, label="Customer Care")
    if (when := step(rng.uniform(2, 72))) is None:
        return
    issue_transition(issue=issue, to_status="in_progress", at=when, label="Field team")
    if (when := step(rng.uniform(4, 400))) is None:
        return
    issue_transition(issue=issue, to_status="resolved", at=when, label="Field team",
                     public_note="Repaired. Thank you for reporting it.")
    if rng.random() < 0.3:
        issue_comment_add(issue=issue, body="Fixed, thank you!")
    if rng.random() < 0.5:
        issue_rate(issue=issue, stars=rng.choice([2, 3, 4, 4, 5, 5]), tracking_key=issue.tracking_key)
    if (when := step(rng.uniform(24, 200))) is not None:
        issue_transition(issue=issue, to_status="closed", at=when, label="Customer Care")
