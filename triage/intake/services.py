"""Filing a new issue: find where the report is, number it, store it, tell people.

`issue_create` walks the report through the apps that know each step: the municipality and its
current ward and suburb (wards), the asset it snaps to (assets), the department (the routing
rules), the reference number (a sequence per municipality and local year), then the issue and its
first history line, and the messages to the reporter and the department (notices' outbox, sent
after commit). Any refusal rolls everything back: nothing is stored, no number is taken.
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
from django.utils.translation import gettext as _

from accounts.models import Department
from assets.models import Asset
from toolkit.params import BadParameter, parse_datetime, shown
from triage.dispatch.models import RoutingRule
from triage.intake.models import IntakeKey
from triage.issues.models import Category, Channel, Issue, IssueEvent, Question
from triage.issues.notifications import tell_department_of_new_issue, tell_reporter_issue_received
from triage.residents.alerts import tell_area_subscribers_on_commit
from wards.models import Municipality, Suburb, Ward


class InvalidReport(Exception):
    """The report cannot be filed. `errors` maps each field to its messages (an API's 400 body)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key came with a different report before."""


@dataclass
class Report:
    """A report as received, before intake has found anything."""

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
    # The channel has given the reporter the reference itself (an SMS conversation's own reply).
    reporter_told: bool = False
    logged_by: object = None  # the staff member who took a phone call or a walk-in (not its reporter)

# Reports staff log on a resident's behalf: the staff member is in the history, not the reporter.
ON_BEHALF_CHANNELS = (Channel.PHONE, Channel.WALK_IN)


@dataclass
class Intake:
    issue: Issue
    created: bool  # False when an Idempotency-Key retry returned the issue filed before


@dataclass(frozen=True)
class Place:
    """Where a point falls for a category: its current ward and suburb, and the asset it snaps to."""

    ward: Ward | None
    suburb: Suburb | None
    asset: Asset | None  # with .distance_m, metres on the spheroid


def locate(category: Category, point: Point) -> Place | None:
    """Where the point falls in the category's municipality: its current ward and suburb (the
    tie-break rule picks one on a shared edge) and the nearest asset of the category's type within
    its snap radius; None when the municipality does not cover the point."""
    found = (Municipality.objects.filter(pk=category.municipality_id).covering(point).with_areas_at(point)
             .values("ward_at", "suburb_at").first())
    if found is None:
        return None
    ward, suburb = found["ward_at"], found["suburb_at"]
    asset = None
    if category.asset_type_id:
        asset = (Asset.objects.snap_target(point, asset_type=category.asset_type_id, metres=category.snap_radius_m)
                 .select_related("asset_type").defer("geom", "attributes").first())
    return Place(
        # Enough of each to file and show the issue; their polygons are never needed here.
        ward=Ward(pk=ward["id"], number=ward["number"], code=ward["code"]) if ward else None,
        suburb=Suburb(pk=suburb["id"], name=suburb["name"], code=suburb["code"]) if suburb else None,
        asset=asset,
    )


def outside_message(municipality, point: Point) -> str:
    return (f"The point {point.y:.6f}, {point.x:.6f} (lat, lon) is outside {municipality.title}; "
            "choose a place inside the municipality, or the municipality that serves it.")


# --- reference numbers ------------------------------------------------------------------------

REFERENCE_SEQUENCE = "triage_reference_{municipality}_{year}"
# Raw SQL: sequences are not models. NULL when the year's sequence does not exist yet.
NEXT_NUMBER_SQL = "SELECT nextval(to_regclass(%(sequence)s)) AS number"


def reference_year(municipality, now: datetime.datetime) -> int:
    """The year a reference number made at `now` carries: the year on the municipality's clock."""
    return now.astimezone(ZoneInfo(municipality.timezone)).year


def ensure_reference_sequence(municipality, year: int) -> str:
    """The name of the municipality's reference sequence for the year, made the first time it is
    needed (under an advisory lock, so two first reports cannot race)."""
    name = REFERENCE_SEQUENCE.format(municipality=municipality.pk, year=year)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
        cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}"')
    return name


def next_reference(municipality, now: datetime.datetime) -> str:
    """GT423-2026-000123: the municipality's next number for the local year. A rolled-back
    report leaves a gap; numbers never repeat."""
    year = reference_year(municipality, now)
    sequence = REFERENCE_SEQUENCE.format(municipality=municipality.pk, year=year)
    with connection.cursor() as cursor:
        cursor.execute(NEXT_NUMBER_SQL, {"sequence": sequence})
        (number,) = cursor.fetchone()
        if number is None:
            ensure_reference_sequence(municipality, year)
            cursor.execute(NEXT_NUMBER_SQL, {"sequence": sequence})
            (number,) = cursor.fetchone()
    return f"{municipality.code}-{year}-{number:06d}"


# --- answers ----------------------------------------------------------------------------------

# More answers than any category has questions: a report, from any channel, with more is refused whole.
MAX_ANSWERS = 100

def validate_answers(category: Category, answers: dict) -> dict:
    """The reporter's answers to the category's questions, checked and normalised; raises
    InvalidReport naming each bad answer as answers.<code>."""
    ordered = getattr(category, "ordered_questions", None)
    if ordered is None:
        ordered = category.questions.order_by("order", "code")
    questions = {question.code: question for question in ordered}
    if len(answers) > MAX_ANSWERS:
        raise InvalidReport({"answers": [f"At most {MAX_ANSWERS} answers are taken, not {len(answers):,}."]})
    errors, clean = {}, {}
    for code in answers:
        if code not in questions:
            errors[f"answers.{shown(code)}"] = [_("'%(category)s' asks no question '%(code)s'.")
                                                % {"category": category.local_name, "code": shown(code)}]
    for code, question in questions.items():
        value = answers.get(code)
        if value is None or value == "" or value == []:
            if question.required:
                errors[f"answers.{code}"] = [_("An answer is required: %(question)s") % {"question": question.local_prompt}]
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
            raise ValueError(_("'%(value)s' is not a number.") % {"value": shown(str(value))}) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(_("'%(value)s' is not a number.") % {"value": shown(str(value))})
        return int(number) if number.is_integer() else number
    if question.datatype == kind.DATETIME:
        try:
            moment = parse_datetime(str(value), question.code)
        except BadParameter as exc:
            raise ValueError(exc.sentence) from None
        return moment.isoformat()
    if question.datatype in (kind.YES_NO, kind.SINGLE_CHOICE):
        key = str(value).strip().lower() if question.datatype == kind.YES_NO else str(value)
        if question.datatype == kind.YES_NO and key in {"true", "1"}:
            key = "yes"
        if question.datatype == kind.YES_NO and key in {"false", "0"}:
            key = "no"
        if key not in question.choice_keys():
            raise ValueError(_("'%(value)s' is not one of: %(choices)s.")
                             % {"value": shown(str(value)), "choices": ", ".join(question.choice_keys())})
        return key
    if question.datatype == kind.MULTIPLE_CHOICE:
        values = value if isinstance(value, list) else [value]
        if len(values) > len(question.choice_keys()):
            raise ValueError(f"At most {len(question.choice_keys())} choices, not {len(values):,}.")
        unknown = [shown(str(item)) for item in values if str(item) not in question.choice_keys()]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not among: {', '.join(question.choice_keys())}.")
        return [str(item) for item in values]
    text = str(value).strip()
    limit = 255 if question.datatype == kind.STRING else 5000
    if len(text) > limit:
        raise ValueError(_("At most %(limit)s characters, not %(count)s.") % {"limit": limit, "count": len(text)})
    return text


# --- idempotency ------------------------------------------------------------------------------

def fingerprint(report: Report) -> str:
    canonical = json.dumps({
        "category": report.category.pk, "lon": round(report.location.x, 7), "lat": round(report.location.y, 7),
        "description": report.description, "address": report.address, "answers": report.answers,
        "reporter": getattr(report.reporter, "pk", None), "email": report.reporter_email,
        "phone": report.reporter_phone, "name": report.reporter_name,
    }, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_key(key: str, scope: str) -> str:
    """Keys belong to whoever sent them (an account, an API client, a device, a session): the same key from
    another sender is another key. Stored as a digest of both, so any key fits the column."""
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()


# Raw SQL: "insert, or tell me the row was there" is one statement in PostgreSQL; the ORM would
# need a savepoint and a caught IntegrityError around its INSERT.
CLAIM_KEY_SQL = """
INSERT INTO triage_intakekey (key, fingerprint, created_at) VALUES (%(key)s, %(fingerprint)s, %(now)s)
ON CONFLICT (key) DO NOTHING RETURNING key AS claimed
"""


def claim_key(key: str, scope: str, print_: str, now: datetime.datetime) -> IntakeKey | None:
    """Claim the sender's Idempotency-Key for this report, or return the claim an earlier try made.

    A concurrent first try holding the key makes this insert wait on the unique index until it
    commits (then this is a retry) or rolls back (then this claims the key)."""
    stored = stored_key(key, scope)
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_KEY_SQL, {"key": stored, "fingerprint": print_, "now": now})
        if cursor.fetchone() is not None:
            return None
    earlier = IntakeKey.objects.select_related("issue").get(key=stored)
    if earlier.fingerprint != print_:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key '{key}' was already used for a different report; use a new key for a new report."
        )
    return earlier


# --- filing -----------------------------------------------------------------------------------

def issue_create(*, report: Report, idempotency_key: str = "", key_scope: str = "anonymous",
                 now: datetime.datetime | None = None) -> Intake:
    """File the report as a new issue, or return the one an earlier try with the same
    Idempotency-Key from the same sender (`key_scope`: "user:12", "open311:3", "client:<device id>",
    "session:<key>") filed. Raises InvalidReport (with field names) or IdempotencyKeyReused."""
    category, point = report.category, report.location
    municipality = category.municipality
    answers = validate_answers(category, report.answers or {})
    # In UTC: adding the SLA's hours to a local time would add wall-clock hours across a DST change.
    now = (now or timezone.now()).astimezone(datetime.UTC)
    with transaction.atomic():
        print_ = fingerprint(report) if idempotency_key else ""
        if idempotency_key:
            earlier = claim_key(idempotency_key, key_scope, print_, now)
            if earlier is not None:
                return Intake(issue=earlier.issue, created=False)
        # The category as it is now, not as the caller read it: it may have been closed since.
        live = Category.objects.filter(pk=category.pk, is_active=True).values(
            "kind", "default_priority", "sla_hours", "default_department_id").first()
        if live is None:
            raise InvalidReport({"category": [_("'%(category)s' no longer takes reports.") % {"category": category.local_name}]})
        place = locate(category, point)
        if place is None:
            raise InvalidReport({"location": [outside_message(municipality, point)]})
        rule = RoutingRule.objects.first_matching(category=category, point=point, ward_id=getattr(place.ward, "pk", None),
                                                  snapped=place.asset is not None)
        department = rule.department if rule else _default_department(category, live["default_department_id"])
        issue = Issue.objects.create(
            municipality=municipality, reference=next_reference(municipality, now),
            tracking_key=secrets.token_urlsafe(16), category=category, kind=live["kind"], location=point,
            address=report.address[:255], description=report.description, answers=answers,
            media_url=report.media_url, channel=report.channel, external_id=report.external_id,
            reporter=report.reporter, reporter_name=report.reporter_name[:150], reporter_phone=report.reporter_phone,
            reporter_email=report.reporter_email, ward=place.ward, suburb=place.suburb, asset=place.asset,
            asset_distance_m=place.asset.distance_m if place.asset else None,
            department=department,
            priority=report.priority or live["default_priority"], created_at=now, updated_at=now,
            expected_at=now + datetime.timedelta(hours=live["sla_hours"]) if live["sla_hours"] is not None else None,
        )
        IssueEvent.objects.create(
            issue=issue, action=IssueEvent.Action.CREATED, actor=report.logged_by or report.reporter, at=now,
            to_status=issue.status,
            actor_label="Municipal staff" if report.channel in (Channel.STAFF, *ON_BEHALF_CHANNELS) else "Reporter",
            detail={"channel": report.channel, **({"routing_rule": rule.pk} if rule else {})},
        )
        if idempotency_key:
            IntakeKey.objects.filter(key=stored_key(idempotency_key, key_scope)).update(issue=issue)
        if not report.reporter_told:
            tell_reporter_issue_received(issue)
        tell_department_of_new_issue(issue)
        tell_area_subscribers_on_commit(issue)
    return Intake(issue=issue, created=True)


def _default_department(category: Category, department_id: int | None) -> Department | None:
    """The category's default department as the live row names it (the caller's copy may be older)."""
    if department_id is None:
        return None
    if category.default_department_id == department_id:
        return category.default_department
    return Department.objects.get(pk=department_id)
