"""Open311 service requests: listing and reading them (public fields only), and filing new ones through intake."""

from __future__ import annotations

import datetime
import math
import uuid
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.urls import reverse

from toolkit.conf import imbizo_setting, storage_srid
from triage.intake import services as intake
from triage.intake.api import report_from
from triage.intake.serializers import ReportSerializer
from triage.issues.models import Category, Channel, Comment, Issue, IssueEvent, Question
from triage.issues.workflow import CLOSED_STATUSES, Status, open311_status
from triage.media.files import MediaRefused, check_size, detect
from triage.media.models import Media
from triage.media.services import media_attach
from triage.open311.core import (
    _ATTRIBUTE,
    MAX_DESCRIPTION,
    MAX_PAGE_SIZE,
    MAX_REQUEST_IDS,
    MAX_WINDOW,
    Open311Error,
    Params,
    Result,
    _service,
    api_client,
    bad_request,
    checked_media_url,
    forbidden,
    jurisdiction,
    not_found,
    parse_flag,
    parse_moment,
    parse_whole_number,
    service_notice,
    w3c,
    zone_of,
)

# --- service requests: reading ----------------------------------------------------------------

def _requests(*, extensions: bool):
    # The first public photo stands in for media_url when the request came without one.
    first_photo = (Media.objects.filter(issue=OuterRef("pk"), kind=Media.Kind.IMAGE, is_internal=False)
                   .order_by("created_at", "id").values("pk")[:1])
    issues = Issue.objects.for_display().annotate(first_photo_id=Subquery(first_photo))
    if extensions:
        issues = issues.prefetch_related(
            Prefetch("events", queryset=IssueEvent.objects.filter(action__in=PUBLIC_EVENTS).order_by("at", "id"),
                     to_attr="public_events"),
            Prefetch("comments", queryset=Comment.objects.filter(is_internal=False).order_by("created_at", "id"),
                     to_attr="public_comments"),
        )
    return issues


# The history lines that are public: the report itself and status changes (with their public
# notes). Assignments, re-routing, priority and internal notes are staff business.
PUBLIC_EVENTS = IssueEvent.PUBLIC_ACTIONS


def _clip(text: str) -> str | None:
    if not text:
        return None
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _updated(issue: Issue) -> datetime.datetime:
    """GeoReport v2: 'For requests with status=closed, this will be the date the request was closed.'"""
    if issue.status == Status.RESOLVED and issue.resolved_at:
        return issue.resolved_at
    if issue.status in CLOSED_STATUSES and issue.closed_at:
        return issue.closed_at
    return issue.updated_at


def _photo_url(issue: Issue, private: bool) -> str:
    photo = getattr(issue, "first_photo_id", None)
    if private or photo is None:
        return ""
    return imbizo_setting("PUBLIC_URL").rstrip("/") + reverse("issue-media-file", args=[photo])


def request_data(issue: Issue, *, extensions: bool = False) -> dict:
    """One service request, from an allow-list of public fields."""
    zone = zone_of(issue.municipality)
    private = issue.category.is_private
    status_notes = issue.status_note or (
        f"A duplicate of {issue.duplicate_of.reference}." if issue.status == Status.DUPLICATE and issue.duplicate_of_id
        else "")
    data = {
        "service_request_id": issue.reference,
        "status": open311_status(issue.status),
        "status_notes": status_notes or None,
        "service_name": issue.category.name,
        "service_code": issue.category.code,
        "description": _clip(issue.description),
        "agency_responsible": issue.department.name if issue.department_id else None,
        "service_notice": service_notice(issue.category, issue.municipality),
        "requested_datetime": w3c(issue.created_at, zone),
        "updated_datetime": w3c(_updated(issue), zone),
        "expected_datetime": w3c(issue.expected_at, zone),
    }
    if not private:
        data["address"] = issue.address or None
    data["address_id"] = None
    data["zipcode"] = None
    if not private:
        data["lat"] = round(issue.location.y, 6)
        data["long"] = round(issue.location.x, 6)
    data["media_url"] = issue.media_url or _photo_url(issue, private) or None
    if extensions:
        data["extended_attributes"] = {
            "ward_number": issue.ward.number if issue.ward_id else None,
            "ward_code": issue.ward.code if issue.ward_id else None,
            "suburb": issue.suburb.name if issue.suburb_id else None,
            "priority": issue.priority,
            "detailed_status": issue.status,
            "detailed_status_label": issue.get_status_display(),
            "kind": issue.kind,
        }
        data["notes"] = notes(issue, zone)
    return data


def notes(issue: Issue, zone: ZoneInfo) -> list[dict]:
    """The public history, oldest first: the report, each status change with its public note,
    each public comment. Needs the prefetches of _requests(extensions=True)."""
    lines = []
    for event in issue.public_events:
        if event.action == IssueEvent.Action.CREATED:
            kind, text = "submitted", f"Reported ({issue.get_channel_display()})"
        else:
            kind = event.to_status
            label = str(Status(event.to_status).label) if event.to_status in Status.values else ""
            text = event.public_note or label
        lines.append((event.at, {"datetime": w3c(event.at, zone), "type": kind, "description": text,
                                 "by": event.actor_label or None}))
    for comment in issue.public_comments:
        lines.append((comment.created_at, {"datetime": w3c(comment.created_at, zone), "type": "comment",
                                           "description": comment.body, "by": comment.author_label or None}))
    lines.sort(key=lambda line: line[0])
    return [line for _, line in lines]


def request_list(params: Params, *, now: datetime.datetime) -> Result:
    """GET requests: service_request_id (a comma list) overrides every other filter; otherwise
    service_code, status and the requested_datetime window (default: the last 90 days; never
    wider than 90 days), newest first, `page_size` (at most and by default 1000) per `page`."""
    extensions = parse_flag(params, "extensions")
    page = parse_whole_number(params, "page", default=1, minimum=1, maximum=1_000_000)
    page_size = parse_whole_number(params, "page_size", default=MAX_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    references = [reference.upper() for reference in params.comma_list("service_request_id")]
    if references:
        if len(references) > MAX_REQUEST_IDS:
            raise bad_request(f"service_request_id: at most {MAX_REQUEST_IDS} ids at once, not {len(references)}.")
        municipality = jurisdiction(params, required=False)
        issues = _requests(extensions=extensions).filter(reference__in=references)
        if municipality is not None:
            issues = issues.filter(municipality=municipality)
    else:
        municipality = jurisdiction(params)
        issues = _requests(extensions=extensions).public().filter(municipality=municipality)
        codes = params.comma_list("service_code")
        if codes:
            issues = issues.filter(category__code__in=codes)
        statuses = {status.lower() for status in params.comma_list("status")}
        unknown = statuses - {"open", "closed"}
        if unknown:
            raise bad_request(f"status: '{', '.join(sorted(unknown))}' is not a status; use open, closed or open,closed.")
        if statuses == {"open"}:
            issues = issues.open()
        elif statuses == {"closed"}:
            issues = issues.closed()
        start, end = request_window(params, zone_of(municipality), now)
        issues = issues.filter(created_at__gte=start, created_at__lte=end)
    first = (page - 1) * page_size
    rows = issues.order_by("-created_at", "-id")[first : first + page_size]
    return Result(200, "service_requests", [request_data(issue, extensions=extensions) for issue in rows])


def request_window(params: Params, zone: ZoneInfo, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    start = parse_moment(params, "start_date", zone)
    end = parse_moment(params, "end_date", zone, end_of_day=True)
    try:
        if start is None and end is None:
            return now - MAX_WINDOW, now
        if end is None:
            return start, start + MAX_WINDOW
        if start is None:
            return end - MAX_WINDOW, end
    except OverflowError:
        raise bad_request("start_date or end_date is too far from today to search from.") from None
    if end < start:
        raise bad_request(f"end_date ({params.get('end_date')}) is before start_date ({params.get('start_date')}).")
    if end - start > MAX_WINDOW:
        raise bad_request("start_date and end_date may not span more than 90 days (GeoReport v2); "
                          "ask for several narrower windows.")
    return start, end


def request_detail(service_request_id: str, params: Params) -> Result:
    extensions = parse_flag(params, "extensions")
    municipality = jurisdiction(params, required=False)
    issues = _requests(extensions=extensions).filter(reference=service_request_id.upper())
    if municipality is not None:
        issues = issues.filter(municipality=municipality)
    issue = issues.first()
    if issue is None:
        where = f" in {municipality.code}" if municipality is not None else ""
        raise not_found(f"There is no service request '{service_request_id}'{where}.")
    return Result(200, "service_requests", [request_data(issue, extensions=extensions)])


def token_lookup(token: str, params: Params) -> Result:
    municipality = jurisdiction(params, required=False)
    try:
        value = uuid.UUID(token)
    except ValueError:
        value = None
    issues = Issue.objects.filter(token=value) if value is not None else Issue.objects.none()
    if municipality is not None:
        issues = issues.filter(municipality=municipality)
    reference = issues.values_list("reference", flat=True).first()
    if reference is None:
        raise not_found(f"There is no token '{token}'.")
    return Result(200, "service_requests", [{"service_request_id": reference, "token": str(value)}])



# --- service requests: filing -----------------------------------------------------------------
def _coordinate(params: Params, name: str, limit: float) -> float:
    raw = params.get(name)
    if not raw:
        other = "long" if name == "lat" else "lat"
        raise bad_request(f"{name} is missing: send both lat and long (WGS 84), not only {other}.")
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"{name}: '{raw}' is not a number.") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise bad_request(f"{name}: {raw} is outside the range -{limit:g} to {limit:g}.")
    return value


def request_location(params: Params) -> Point:
    if params.get("lat") or params.get("long"):
        latitude = _coordinate(params, "lat", 90)
        longitude = _coordinate(params, "long", 180)
        return Point(longitude, latitude, srid=storage_srid())
    if params.get("address_string") or params.get("address_id"):
        raise bad_request("lat and long are required: requests are filed at a point (to find the ward and the asset "
                          "concerned) and geocoding address_string or address_id is not supported here. "
                          "Send lat and long; address_string is then kept as the address.")
    raise bad_request("A location is required: send lat and long (WGS 84).")


def request_answers(params: Params, category: Category) -> dict:
    """attribute[code]=value, and attribute[code][]=value once per value of a multivaluelist."""
    questions = {question.code: question for question in category.questions.all()}
    collected: dict[str, list[str]] = {}
    for name in params.names():
        if not name.startswith("attribute"):
            continue
        match = _ATTRIBUTE.match(name)
        if match is None:
            raise bad_request(f"'{name}' is not an attribute parameter: use attribute[code]=value, "
                              "or attribute[code][]=value once per value of a multivaluelist.")
        collected.setdefault(match.group(1), []).extend(params.getlist(name))
    answers = {}
    for code, values in collected.items():
        question = questions.get(code)
        if question is not None and question.datatype == Question.Datatype.MULTIPLE_CHOICE:
            answers[code] = values
        elif len(values) > 1:
            raise bad_request(f"attribute[{code}]: one value only, not {len(values)}.")
        else:
            answers[code] = values[0] if values else ""
    return answers


def refused_fields(errors: dict) -> Open311Error:
    """Intake's field-level errors as Open311 errors, one per message, named by Open311 parameter."""
    return Open311Error(400, *(f"{_param_of(field)}: {message}" for field, messages in errors.items()
                               for message in messages))


def _param_of(field: str) -> str:
    """Intake's field names as the Open311 parameters they came from."""
    if field.startswith("answers."):
        return f"attribute[{field.removeprefix('answers.')}]"
    return {"location": "lat/long", "lon": "long", "category": "service_code", "reporter_phone": "phone",
            "reporter_email": "email", "reporter_name": "first_name/last_name", "address": "address_string",
            "channel": "api_key", "answers": "attribute"}.get(field, field)


def request_create(params: Params, *, now: datetime.datetime | None = None, idempotency_key: str = "",
                   media=None) -> Result:
    """POST requests: file a service request. A `media` file (multipart) is attached through the same
    checks as the REST intake's uploads (triage.media), in the same transaction: a file refused refuses
    the request (400), never a request filed without its file."""
    client = api_client(params)
    municipality = jurisdiction(params, client=client)
    if client.municipality_id and client.municipality_id != municipality.pk:
        raise forbidden(f"This api_key files requests with {client.municipality.code} only, not {municipality.code}.")
    service_code = params.get("service_code")
    if not service_code:
        raise bad_request("service_code is required: one of the codes in services.xml.")
    category = _service(municipality, service_code)
    location = request_location(params)
    answers = request_answers(params, category)

    description = params.get("description")
    if len(description) > MAX_DESCRIPTION:
        raise bad_request(f"description: at most {MAX_DESCRIPTION} characters, not {len(description)}.")
    media_url = checked_media_url(params)
    email = params.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise bad_request(f"email: '{email}' is not an email address.") from None
        if len(email) > 254:
            raise bad_request("email: at most 254 characters.")
    # device_id and account_id are accepted and not kept: an Open311 client's accounts are not ours.
    form = ReportSerializer(data={
        "category": category.pk, "lat": location.y, "lon": location.x, "description": description,
        "address": params.get("address_string"), "answers": answers, "channel": Channel.API,
        "reporter_name": " ".join(part for part in (params.get("first_name"), params.get("last_name")) if part),
        "reporter_phone": params.get("phone"), "reporter_email": email, "media_url": media_url,
    }, context={"user": None})
    if not form.is_valid():
        raise refused_fields(form.errors)
    if len(idempotency_key) > 128:
        raise bad_request("Idempotency-Key: at most 128 characters.")
    if media is not None:
        try:  # the quick checks (type from the content, size) before anything is filed
            check_size(media.size, detect(media).kind)
        except MediaRefused as exc:
            raise bad_request(f"media: {exc}") from None
    try:
        with transaction.atomic():
            filed = intake.issue_create(report=report_from(form.validated_data, None), idempotency_key=idempotency_key,
                                        key_scope=f"open311:{client.pk}", now=now)
            if media is not None and filed.created:
                media_attach(issue=filed.issue, upload=media)
        issue = filed.issue
    except MediaRefused as exc:
        raise bad_request(f"media: {exc}") from None
    except intake.InvalidReport as exc:
        raise refused_fields(exc.errors) from None
    except intake.IdempotencyKeyReused as exc:
        raise bad_request(str(exc)) from None
    return Result(200, "service_requests", [{
        "service_request_id": issue.reference,
        "service_notice": service_notice(category, municipality),
        "account_id": None,
    }])
