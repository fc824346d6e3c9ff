"""Filing a new issue: check the report, find where it is, number it, store it, tell people.

Filing is one SQL statement (FILE_SQL) run on the category's municipality: does its boundary
cover the point, which current ward and suburb cover it, which asset of the category's type is
nearest within the snap radius (metres on the geography index), which department the routing
rules choose, the claim of the Idempotency-Key, the next reference number from the
municipality's sequence for the year, and the INSERTs of the issue and its first history line.
"""

import datetime
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import psycopg
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.types.json import Jsonb

from accounts.models import Department
from assets.models import Asset
from triage.models import Category, Channel, IntakeKey, Issue, Question
from triage.notifications import tell_department_of_new_issue, tell_reporter_issue_received
from triage.routing import FIRST_MATCHING_RULE
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
    -- The type is tested as `asset_type_id + 0`, which no index serves: the statement is planned
    -- once, blind to the point, and the planner then ANDed the radius with the type's b-tree index,
    -- reading every asset of the type (4 ms at 100,000 streetlights) whenever one was in reach.
    -- Tested on the assets within the radius instead, the type costs nothing.
    SELECT a.id, a.external_id,
           ST_Distance(a.geom::geography(Geometry,4326), ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography)
           AS distance_m
      FROM assets_asset a
     WHERE a.asset_type_id + 0 = %(asset_type)s
       AND ST_DWithin(a.geom::geography(Geometry,4326), ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius)s)
     ORDER BY a.geom::geography(Geometry,4326) <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography LIMIT 1
) a ON true
WHERE m.id = %(municipality)s
"""

REFERENCE_SEQUENCE = "triage_reference_{municipality}_{year}"

# Filing is one statement: the lookup above, the routing rules (triage.routing), the claim of the
# Idempotency-Key, the next reference, the issue and its first history line. One round trip and
# no ORM compilation: intake was 12 statements and ~10 ms of Python before (benchmarks/intake.py).
# Nothing is written unless the point is inside, the category still takes reports and the year's
# reference sequence exists; the last row says which of those failed. With a key, the issue is
# written only if this statement claimed the key: a retry inserts nothing and takes no number.
FILE_SQL = """
WITH place (inside, ward_id, ward_number, ward_code, suburb_id, suburb_name, suburb_code,
            asset_id, asset_distance_m, asset_external_id) AS MATERIALIZED ({lookup}),
ready AS MATERIALIZED (
    SELECT place.*, c.id AS category_id, c.municipality_id, c.kind, c.default_department_id, c.default_priority,
           c.sla_hours, c.asset_type_id, nextval(pg_get_serial_sequence('triage_issue', 'id')) AS issue_id
      FROM place JOIN triage_category c ON c.id = %(category)s AND c.is_active
     WHERE place.inside AND to_regclass(%(sequence)s) IS NOT NULL
),
rule AS MATERIALIZED (
    SELECT rule.* FROM ready, LATERAL ({rule}) rule
){claim},
filed AS (
    INSERT INTO triage_issue (id, municipality_id, reference, token, tracking_key, category_id, kind, location,
        address, description, answers, media_url, channel, external_id, reporter_id, reporter_name, reporter_phone,
        reporter_email, ward_id, suburb_id, asset_id, asset_distance_m, department_id, priority, status, status_note,
        rejection_reason, upvotes, created_at, updated_at, expected_at)
    SELECT ready.issue_id, ready.municipality_id, %(prefix)s || lpad(n::text, greatest(6, length(n::text)), '0'),
           %(token)s, %(tracking_key)s, ready.category_id, ready.kind,
           ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(address)s, %(description)s, %(answers)s,
           %(media_url)s, %(channel)s, %(external_id)s, %(reporter)s::bigint, %(reporter_name)s, %(reporter_phone)s,
           %(reporter_email)s, ready.ward_id, ready.suburb_id, ready.asset_id, ready.asset_distance_m,
           coalesce((SELECT department_id FROM rule), ready.default_department_id),
           coalesce(nullif(%(priority)s, ''), ready.default_priority), 'submitted', '', '', 0,
           %(now)s::timestamptz, %(now)s::timestamptz, %(now)s::timestamptz + make_interval(hours => ready.sla_hours)
      FROM ready CROSS JOIN LATERAL nextval(to_regclass(%(sequence)s)) n
     WHERE {claimed}
    RETURNING id, reference, kind, priority, department_id, expected_at
),
event AS (
    INSERT INTO triage_issueevent (issue_id, action, actor_id, actor_label, at, from_status, to_status,
        public_note, internal_note, detail, external_update_id)
    SELECT filed.id, 'created', %(reporter)s::bigint, %(actor_label)s::text, %(now)s, '', 'submitted', '', '',
           jsonb_build_object('channel', %(channel)s::text)
           || coalesce((SELECT jsonb_build_object('routing_rule', rule_id) FROM rule), '{{}}'), ''
      FROM filed
)
SELECT place.*,
       EXISTS (SELECT 1 FROM triage_category WHERE id = %(category)s AND is_active) AS taking_reports,
       to_regclass(%(sequence)s) IS NOT NULL AS numbered,
       filed.id, filed.reference, filed.kind, filed.priority, filed.expected_at,
       d.id, d.municipality_id, d.name, d.code, d.email, d.phone
  FROM place
  LEFT JOIN filed ON true
  LEFT JOIN accounts_department d ON d.id = filed.department_id
"""
_RULE_FOR_READY = FIRST_MATCHING_RULE.format(
    municipality="ready.municipality_id", category="ready.category_id",
    asset_type="CASE WHEN ready.asset_id IS NOT NULL THEN ready.asset_type_id END", ward="ready.ward_id",
    point="ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)")


@dataclass(frozen=True)
class NumberedStatement:
    """A statement written with named parameters, kept with PostgreSQL's own $1, $2 ... placeholders.

    Run by a psycopg RawCursor, it is sent as it is: psycopg re-parses a query for its %(name)s
    placeholders on every execute, and caches that only for queries under 4 KB; FILE_SQL is over,
    and parsing it was 0.5 ms of each report (benchmarks/intake.py, cProfile)."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, sql: str) -> "NumberedStatement":
        names: list[str] = []

        def number(match: re.Match) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        return cls(re.sub(r"%\((\w+)\)s", number, sql), tuple(names))

    def bind(self, params: dict) -> list:
        return [params[name] for name in self.names]


FILE_WITHOUT_KEY = NumberedStatement.of(
    FILE_SQL.format(lookup=LOOKUP_SQL, rule=_RULE_FOR_READY, claim="", claimed="true"))
# The key points at the issue id chosen in `ready`; the foreign key is checked at commit (Django's
# are DEFERRABLE INITIALLY DEFERRED), by when the issue is there.
FILE_WITH_KEY = NumberedStatement.of(FILE_SQL.format(
    lookup=LOOKUP_SQL, rule=_RULE_FOR_READY, claimed="EXISTS (SELECT 1 FROM claim)", claim=""",
claim AS (
    INSERT INTO triage_intakekey (key, fingerprint, created_at, issue_id)
    SELECT %(key)s::text, %(fingerprint)s::text, %(now)s::timestamptz, ready.issue_id FROM ready
        ON CONFLICT (key) DO NOTHING
    RETURNING key
)"""))


def ensure_reference_sequence(municipality, year: int) -> str:
    """The name of the municipality's reference sequence for the year, made the first time it is
    needed (under an advisory lock, so two first reports cannot race)."""
    name = REFERENCE_SEQUENCE.format(municipality=municipality.pk, year=year)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
        cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}"')
    return name


def validate_answers(category: Category, answers: dict) -> dict:
    """The reporter's answers to the category's questions, checked and normalised; raises
    InvalidReport naming each bad answer as answers.<code>."""
    # Ordered here, not by Meta.ordering, which joins category and municipality to sort (1 ms);
    # triage.category_cache has read them already.
    ordered = getattr(category, "ordered_questions", None)
    if ordered is None:
        ordered = category.questions.order_by("order", "code")
    questions = {question.code: question for question in ordered}
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
    print_ = fingerprint(report) if idempotency_key else ""
    with transaction.atomic():
        issue = _file(report, answers, now, idempotency_key, print_)
        if issue is None:  # the key was claimed before: a retry
            return Intake(issue=_issue_of_key(idempotency_key, print_), created=False)
        tell_reporter_issue_received(issue)
        tell_department_of_new_issue(issue)
    return Intake(issue=issue, created=True)


def _issue_of_key(key: str, print_: str) -> Issue:
    """The issue an earlier try with this key filed. The claim in FILE_SQL waited for a concurrent
    first try to commit, so its issue is seen here."""
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


def reference_year(municipality, now) -> int:
    """The year a reference number made at `now` carries: the year on the municipality's clock."""
    return now.astimezone(ZoneInfo(municipality.timezone)).year


def filing_params(report: Report, answers: dict, now, key: str = "", print_: str = "") -> dict:
    """FILE_SQL's parameters for the report, with a new token and tracking key."""
    category, municipality = report.category, report.category.municipality
    year = reference_year(municipality, now)
    return {
        "lon": report.location.x, "lat": report.location.y, "municipality": municipality.pk,
        "asset_type": category.asset_type_id, "radius": float(category.snap_radius_m), "category": category.pk,
        "sequence": REFERENCE_SEQUENCE.format(municipality=municipality.pk, year=year),
        "prefix": f"{municipality.code}-{year}-", "token": uuid.uuid4(), "tracking_key": secrets.token_urlsafe(16),
        "address": report.address[:255], "description": report.description, "answers": Jsonb(answers),
        "media_url": report.media_url, "channel": report.channel, "external_id": report.external_id,
        "reporter": getattr(report.reporter, "pk", None), "reporter_name": report.reporter_name[:150],
        "reporter_phone": report.reporter_phone, "reporter_email": report.reporter_email,
        "priority": report.priority, "now": now, "key": key, "fingerprint": print_,
        "actor_label": "Municipal staff" if report.channel == Channel.STAFF else "Reporter",
    }


def _file(report: Report, answers: dict, now, key: str, print_: str) -> Issue | None:
    """Run FILE_SQL; the new issue as intake found it, or None when the key was claimed before."""
    category, municipality = report.category, report.category.municipality
    params = filing_params(report, answers, now, key, print_)
    statement = FILE_WITH_KEY if key else FILE_WITHOUT_KEY
    connection.ensure_connection()
    # A prepared statement, bound on the server (Django's cursors spell values out as literals):
    # PostgreSQL then skips parsing and analysing its ~5 KB each time, 1-1.5 ms a report
    # (benchmarks/intake.py). It is planned once too, generically (plan_cache_mode in settings):
    # planning it for each point was 2.1 ms of its 4.2 ms. FILE_SQL is written so that plan
    # holds for any point (see the asset lookup in LOOKUP_SQL).
    with psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(statement.sql, statement.bind(params), prepare=True)
        row = cursor.fetchone()
        if not row[11]:  # the first report of the municipality's year: make its sequence, then file
            ensure_reference_sequence(municipality, reference_year(municipality, now))
            cursor.execute(statement.sql, statement.bind(params), prepare=True)
            row = cursor.fetchone()
    place, (taking_reports, _, issue_id, reference, kind, priority, expected_at) = Place(*row[:10]), row[10:17]
    if not place.inside:
        raise InvalidReport({"location": [outside_message(municipality, report.location)]})
    if not taking_reports:
        raise InvalidReport({"category": [f"'{category.name}' no longer takes reports."]})
    if issue_id is None:
        return None
    department_id, department_municipality, name, code, email, phone = row[17:]
    issue = Issue(
        pk=issue_id, municipality=municipality, reference=reference, token=params["token"],
        tracking_key=params["tracking_key"],
        category=category, kind=kind, location=report.location, address=report.address[:255],
        description=report.description, answers=answers, media_url=report.media_url, channel=report.channel,
        external_id=report.external_id, reporter=report.reporter, reporter_name=report.reporter_name[:150],
        reporter_phone=report.reporter_phone, reporter_email=report.reporter_email,
        asset_distance_m=place.asset_distance_m, priority=priority, created_at=now, updated_at=now,
        expected_at=expected_at,
        department=Department(pk=department_id, municipality_id=department_municipality, name=name, code=code,
                              email=email, phone=phone) if department_id else None,
    )
    issue._state.adding, issue._state.db = False, connection.alias  # a stored row, as if read from it
    place.attach_to(issue, category)
    return issue
