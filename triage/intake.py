"""Filing a new issue: check the report, find where it is, number it, store it, tell people.

The spatial work is one SQL statement run on the category's municipality: does its boundary cover
the point, which current ward and suburb cover it, which asset of the category's type is nearest
within the snap radius (metres on the geography index), and the next reference number from the
municipality's sequence for the year. Then one INSERT for the issue and one for its history.
"""

import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assets.models import Asset
from triage.models import Category, Channel, IntakeKey, Issue, IssueEvent, Question
from triage.notifications import tell_department_of_new_issue, tell_reporter_issue_received
from triage.routing import route
from wards.models import Suburb, Ward


class InvalidReport(Exception):
    """The report cannot be filed. `errors` maps each field to its messages (an API's 400 body)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key came with a different report before."""


@dataclass
class Report:
    category: Category
    location: Point
    description: str = ""
    address: str = ""
    answers: dict = field(default_factory=dict)
    channel: str = Channel.WEB
    reporter: object = None  # a User, or None for an anonymous report
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    media_url: str = ""
    external_id: str = ""
    priority: str = ""


@dataclass
class Intake:
    issue: Issue
    created: bool  # False when an Idempotency-Key retry returned the issue filed before


# One statement answers every spatial question of intake. ST_Covers: a point on a ward's edge
# is inside; the lowest ward number wins a shared edge (wards.models.WARD_TIE_BREAK).
LOOKUP_SQL = """
SELECT
    ST_Covers(m.boundary, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) AS inside,
    w.id, w.number, w.code, s.id, s.name, s.code, a.id, a.distance_m, a.external_id
FROM wards_municipality m
LEFT JOIN LATERAL (
    SELECT w.id, w.number, w.code FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id
     WHERE w.municipality_id = m.id AND b.is_current
       AND ST_Covers(w.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
     ORDER BY w.number, w.code LIMIT 1
) w ON true
LEFT JOIN LATERAL (
    SELECT s.id, s.name, s.code FROM wards_suburb s
     WHERE s.municipality_id = m.id AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
     ORDER BY s.name, s.code LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    -- a.geom::geography(Geometry,4326)(Geometry,4326) is exactly the indexed expression (assets.models
    -- geography_index), so the GiST index serves both the radius and the KNN order; a plain
    -- ::geography cast does not match it and scanned every asset of the type instead
    -- (530 ms at 100,000 streetlights, benchmarks/intake.py).
    SELECT a.id, a.external_id,
           ST_Distance(a.geom::geography(Geometry,4326), ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography)
           AS distance_m
      FROM assets_asset a
     WHERE a.asset_type_id = %(asset_type)s
       AND ST_DWithin(a.geom::geography(Geometry,4326), ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius)s)
     ORDER BY a.geom::geography(Geometry,4326) <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography LIMIT 1
) a ON true
WHERE m.id = %(municipality)s
"""

REFERENCE_SEQUENCE = "triage_reference_{municipality}_{year}"


def next_reference(municipality, year: int) -> str:
    """GT423-2026-000123: the next number of the municipality's sequence for the year.

    A PostgreSQL sequence, never max()+1: concurrent reports never share a number, and a
    rolled-back report leaves only a gap. Each municipality and year has its own sequence, made
    the first time it is needed (under an advisory lock, so two first reports cannot race).
    """
    name = REFERENCE_SEQUENCE.format(municipality=municipality.pk, year=year)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(to_regclass(%s))", [name])
        number = cursor.fetchone()[0]
        if number is None:
            with transaction.atomic():
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
                cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}"')
            cursor.execute("SELECT nextval(%s)", [name])
            number = cursor.fetchone()[0]
    return f"{municipality.code}-{year}-{number:06d}"


def validate_answers(category: Category, answers: dict) -> dict:
    """The reporter's answers to the category's questions, checked and normalised; raises
    InvalidReport naming each bad answer as answers.<code>."""
    # Ordered here, not by Meta.ordering, which joins category and municipality to sort (1 ms).
    questions = {question.code: question for question in category.questions.order_by("order", "code")}
    errors, clean = {}, {}
    for code in answers:
        if code not in questions:
            errors[f"answers.{code}"] = [f"'{category.name}' asks no question '{code}'."]
    for code, question in questions.items():
        value = answers.get(code)
        if value is None or value == "" or value == []:
            if question.required:
                errors[f"answers.{code}"] = [f"An answer is required: {question.prompt}"]
            continue
        try:
            clean[code] = _clean_answer(question, value)
        except ValueError as exc:
            errors[f"answers.{code}"] = [str(exc)]
    if errors:
        raise InvalidReport(errors)
    return clean


def _clean_answer(question: Question, value):
    kind = Question.Datatype
    if question.datatype == kind.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"'{value}' is not a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"'{value}' is not a number.")
        return int(number) if number.is_integer() else number
    if question.datatype == kind.DATETIME:
        moment = parse_datetime(str(value))
        if moment is None:
            raise ValueError(f"'{value}' is not a date and time (use ISO 8601, e.g. 2026-11-23T08:30:00+02:00).")
        return moment.isoformat()
    if question.datatype in (kind.YES_NO, kind.SINGLE_CHOICE):
        key = str(value).strip().lower() if question.datatype == kind.YES_NO else str(value)
        if question.datatype == kind.YES_NO and key in {"true", "1"}:
            key = "yes"
        if question.datatype == kind.YES_NO and key in {"false", "0"}:
            key = "no"
        if key not in question.choice_keys():
            raise ValueError(f"'{value}' is not one of: {', '.join(question.choice_keys())}.")
        return key
    if question.datatype == kind.MULTIPLE_CHOICE:
        values = value if isinstance(value, list) else [value]
        unknown = [str(item) for item in values if str(item) not in question.choice_keys()]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not among: {', '.join(question.choice_keys())}.")
        return [str(item) for item in values]
    text = str(value).strip()
    limit = 255 if question.datatype == kind.STRING else 5000
    if len(text) > limit:
        raise ValueError(f"At most {limit} characters, not {len(text)}.")
    return text


def fingerprint(report: Report) -> str:
    canonical = json.dumps({
        "category": report.category.pk, "lon": round(report.location.x, 7), "lat": round(report.location.y, 7),
        "description": report.description, "address": report.address, "answers": report.answers,
        "reporter": getattr(report.reporter, "pk", None), "email": report.reporter_email,
        "phone": report.reporter_phone, "name": report.reporter_name,
    }, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue_create(*, report: Report, idempotency_key: str = "", now: datetime.datetime | None = None) -> Intake:
    """File the report as a new issue, or return the one an earlier try with the same
    Idempotency-Key filed. Raises InvalidReport (with field names) or IdempotencyKeyReused."""
    category = report.category
    if not category.is_active:
        raise InvalidReport({"category": [f"'{category.name}' no longer takes reports."]})
    answers = validate_answers(category, report.answers or {})
    now = now or timezone.now()
    with transaction.atomic():
        if idempotency_key:
            earlier = _claim_idempotency_key(idempotency_key, fingerprint(report), now)
            if earlier is not None:
                return Intake(issue=earlier, created=False)
        issue = _insert_issue(report, answers, now)
        if idempotency_key:
            IntakeKey.objects.filter(key=idempotency_key).update(issue=issue)
        tell_reporter_issue_received(issue)
        tell_department_of_new_issue(issue)
    return Intake(issue=issue, created=True)


def _claim_idempotency_key(key: str, print_: str, now) -> Issue | None:
    """Insert the key; if it was there (a retry), return the issue it filed. A concurrent first
    try holding the key makes this INSERT wait until it commits, so its issue is seen."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO triage_intakekey (key, fingerprint, created_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (key) DO NOTHING RETURNING key",
            [key, print_, now],
        )
        if cursor.fetchone() is not None:
            return None
    earlier = IntakeKey.objects.select_related("issue").get(key=key)
    if earlier.fingerprint != print_:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key '{key}' was already used for a different report; use a new key for a new report."
        )
    return earlier.issue


@dataclass(frozen=True)
class Place:
    """Where a point falls for a category: ward, suburb and the asset it snaps to."""

    inside: bool
    ward_id: int | None
    ward_number: int | None
    ward_code: str | None
    suburb_id: int | None
    suburb_name: str | None
    suburb_code: str | None
    asset_id: int | None
    asset_distance_m: float | None
    asset_external_id: str | None

    def attach_to(self, issue: Issue, category: Category) -> None:
        """Give the issue its ward, suburb and asset as the lookup found them, so showing the
        new issue needs no further queries (none of their geometry is needed to show it)."""
        issue.ward = Ward(pk=self.ward_id, number=self.ward_number, code=self.ward_code) if self.ward_id else None
        issue.suburb = Suburb(pk=self.suburb_id, name=self.suburb_name, code=self.suburb_code) if self.suburb_id else None
        issue.asset = Asset(pk=self.asset_id, external_id=self.asset_external_id,
                            asset_type=category.asset_type) if self.asset_id else None


def locate(category: Category, point: Point) -> Place:
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP_SQL, {
            "lon": point.x, "lat": point.y, "municipality": category.municipality_id,
            "asset_type": category.asset_type_id, "radius": float(category.snap_radius_m),
        })
        return Place(*cursor.fetchone())


def outside_message(municipality, point: Point) -> str:
    return (f"The point {point.y:.6f}, {point.x:.6f} (lat, lon) is outside {municipality.title}; "
            "choose a place inside the municipality, or the municipality that serves it.")


def _insert_issue(report: Report, answers: dict, now) -> Issue:
    category, municipality = report.category, report.category.municipality
    place = locate(category, report.location)
    if not place.inside:
        raise InvalidReport({"location": [outside_message(municipality, report.location)]})
    local_year = now.astimezone(ZoneInfo(municipality.timezone)).year
    # The routing rules decide the department (one query; the category's default when none matches).
    routed = route(category=category, point=report.location, ward_id=place.ward_id, asset_id=place.asset_id)
    issue = Issue.objects.create(
        municipality=municipality,
        reference=next_reference(municipality, local_year),
        tracking_key=secrets.token_urlsafe(16),
        category=category,
        kind=category.kind,
        location=report.location,
        address=report.address[:255],
        description=report.description,
        answers=answers,
        media_url=report.media_url,
        channel=report.channel,
        external_id=report.external_id,
        reporter=report.reporter,
        reporter_name=report.reporter_name[:150],
        reporter_phone=report.reporter_phone,
        reporter_email=report.reporter_email,
        ward_id=place.ward_id,
        suburb_id=place.suburb_id,
        asset_id=place.asset_id,
        asset_distance_m=place.asset_distance_m,
        department=routed.department,
        priority=report.priority or category.default_priority,
        created_at=now,
        updated_at=now,
        expected_at=now + datetime.timedelta(hours=category.sla_hours) if category.sla_hours else None,
    )
    issue.category = category
    place.attach_to(issue, category)
    IssueEvent.objects.create(
        issue=issue, action=IssueEvent.Action.CREATED, at=now, to_status=issue.status,
        actor=report.reporter, actor_label="Municipal staff" if report.channel == Channel.STAFF else "Reporter",
        detail={"channel": report.channel, **({"routing_rule": routed.rule_id} if routed.rule_id else {})},
    )
    return issue
