"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), without a web framework.

Each operation takes plain values (the parameters as name → list of values, the time) and returns
a Result: the HTTP status, the XML root element name and the body as Python data, which
triage.open311.formats writes as XML or JSON. Errors are raised as Open311Error (status and
descriptions) and written the same way. The Django adapter in views.py only translates a request
into these calls and a Result into a response (pygeoapi's core/adapter split, like layers/ogc).

Imbizo's words for Open311's: a Category is a service (its `code` is the service_code), a
Question is an attribute, an Issue is a service request (its `reference` is the
service_request_id), a municipality's code is the jurisdiction_id. Issues are filed in real time,
so POST answers with the service_request_id, never a token.

Never in any answer: the reporter's name, phone, email or account. Requests in private categories
have no address, lat or long. History notes (extensions=true) carry public notes and public
comments only, never internal notes.
"""

from __future__ import annotations

import datetime
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime

from accounts.services import normalise_phone
from toolkit.conf import storage_srid
from triage import intake, services
from triage.models import ApiClient, Category, Channel, Comment, Issue, IssueEvent, Media, Question
from triage.workflow import CLOSED_STATUSES, IllegalTransition, Status, open311_status
from wards.models import Municipality

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the service discovery document last changed (bump it with the document).
CHANGESET = "2026-11-23T00:00:00Z"
MAX_WINDOW = datetime.timedelta(days=90)  # GeoReport v2: "a span of 90 days or first 1000 requests"
MAX_PAGE_SIZE = 1000
MAX_DESCRIPTION = 4000  # GeoReport v2: "free form text limited to 4,000 characters"
MAX_REQUEST_IDS = 1000
CLOCK_SKEW = datetime.timedelta(minutes=5)  # how far ahead of us a back office's clock may run
LIST_DATATYPES = (Question.Datatype.SINGLE_CHOICE, Question.Datatype.MULTIPLE_CHOICE)
_URL = URLValidator(schemes=["http", "https"])
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# "2026-01-31T08:00:00 02:00": a '+' sent unencoded in a query string arrives as a space.
_DATE_ONLY = re.compile(r"^\d{4}-\d\d-\d\d$")
_LOST_PLUS = re.compile(r"^(.*T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


@dataclass(frozen=True)
class Result:
    status: int
    root: str  # the XML root element; JSON has no root
    body: object


class Open311Error(Exception):
    """An Open311 error answer: 404 unknown resource, 403 missing or bad api_key, 400 anything
    else. Several descriptions become several <error> elements (the body is a list)."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions

    def result(self) -> Result:
        return Result(self.status, "errors", [{"code": self.status, "description": text} for text in self.descriptions])


def checked_media_url(params) -> str:
    """media_url as given (empty when absent), or a 400: an http(s) URL of at most 200 characters."""
    media_url = params.get("media_url")
    if media_url:
        try:
            _URL(media_url)
        except ValidationError:
            raise bad_request(f"media_url: '{media_url}' is not an http(s) URL.") from None
        if len(media_url) > 200:
            raise bad_request(f"media_url: at most 200 characters, not {len(media_url)}.")
    return media_url


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)


class Params:
    """The request's parameters, name → list of values. As the spec says of optional arguments,
    a parameter sent empty is the same as one not sent."""

    def __init__(self, values: Mapping[str, Iterable[str]]):
        self._values = {name: [str(value) for value in items] for name, items in values.items()}
        for name, items in self._values.items():
            if "\x00" in name or any("\x00" in value for value in items):
                raise bad_request(f"{name.replace(chr(0), '')}: a NUL character is not text.")

    def get(self, name: str) -> str:
        for value in self._values.get(name, []):
            if value.strip():
                return value.strip()
        return ""

    def getlist(self, name: str) -> list[str]:
        return [value.strip() for value in self._values.get(name, []) if value.strip()]

    def comma_list(self, name: str) -> list[str]:
        """`a,b` or the parameter repeated: the spec allows both for lists."""
        return [part.strip() for value in self.getlist(name) for part in value.split(",") if part.strip()]

    def names(self) -> list[str]:
        return list(self._values)


# --- jurisdictions and time ------------------------------------------------------------------

def serving_municipalities():
    return Municipality.objects.filter(Exists(Category.objects.filter(municipality=OuterRef("pk")))).order_by("code")


def jurisdiction(params: Params, *, required: bool = True, client: ApiClient | None = None) -> Municipality | None:
    """The municipality jurisdiction_id names; without one, the client's own municipality, or
    the only municipality that offers services. 404 for an unknown code; 400 when it is needed
    and cannot be known."""
    code = params.get("jurisdiction_id")
    if code:
        municipality = Municipality.objects.filter(code__iexact=code).first()
        if municipality is None:
            raise not_found(f"jurisdiction_id '{code}' is not a municipality served here; "
                            "the services list of each municipality is at services.xml?jurisdiction_id=<code>.")
        return municipality
    if client is not None and client.municipality_id:
        return client.municipality
    if not required:
        return None
    serving = list(serving_municipalities()[:50])
    if len(serving) == 1:
        return serving[0]
    if not serving:
        raise bad_request("jurisdiction_id is required: no municipality offers services here yet.")
    codes = ", ".join(municipality.code for municipality in serving)
    raise bad_request(f"jurisdiction_id is required: this endpoint serves several municipalities ({codes}).")


def zone_of(municipality: Municipality) -> ZoneInfo:
    try:
        return ZoneInfo(municipality.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def w3c(moment: datetime.datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 in the municipality's local time with its offset, e.g. 2026-11-23T09:30:00+02:00."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def parse_moment(params: Params, name: str, zone: ZoneInfo, *, end_of_day: bool = False) -> datetime.datetime | None:
    """A W3C date and time (2026-01-31T00:00:00Z, …+02:00), or a bare date (the whole day in the
    municipality's time zone; as an end_date, through the end of that day). A date and time
    without an offset is read in the municipality's time zone."""
    raw = params.get(name)
    if not raw:
        return None
    text = _LOST_PLUS.sub(r"\1+\2", raw)
    try:
        if _DATE_ONLY.match(text):
            day = parse_date(text)
            if end_of_day:
                return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone) - (
                    datetime.timedelta(microseconds=1))
            return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        moment = parse_datetime(text)
        if moment is None:
            raise ValueError(raw)
    except (ValueError, OverflowError):
        raise bad_request(f"{name}: '{raw}' is not a date and time in W3C format, "
                          "e.g. 2026-01-31T00:00:00Z or 2026-01-31T08:00:00+02:00.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_flag(params: Params, name: str) -> bool:
    raw = params.get(name).lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise bad_request(f"{name}: '{params.get(name)}' is not true or false.")


def parse_whole_number(params: Params, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = params.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name}: '{raw}' is not a whole number.") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"{name}: {value} is outside the range {minimum} to {maximum}.")
    return value


# --- discovery and services ------------------------------------------------------------------

def discovery(*, endpoint_url: str) -> Result:
    contacts = []
    for municipality in serving_municipalities():
        ways = ", ".join(way for way in (municipality.customer_care_number, municipality.customer_care_email) if way)
        contacts.append(f"{municipality.title} ({municipality.code})" + (f": {ways}" if ways else ""))
    return Result(200, "discovery", {
        "changeset": CHANGESET,
        "contact": "Customer care of each municipality" + (": " + "; ".join(contacts) if contacts else "") + ".",
        "key_service": "Reading needs no key. To file requests (or post back-office updates) ask the municipality "
                       "for an api_key: its administrator issues one per client in the Imbizo admin (API clients).",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint_url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })


def service_list(params: Params) -> Result:
    municipality = jurisdiction(params)
    categories = (
        Category.objects.filter(municipality=municipality).active()
        .annotate(has_questions=Exists(Question.objects.filter(category=OuterRef("pk"))))
        .order_by("order", "name")
    )
    return Result(200, "services", [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.description or None,
            "metadata": category.has_questions,
            "type": "realtime",
            "keywords": category.keywords or None,
            "group": category.group or None,
        }
        for category in categories
    ])


def _service(municipality: Municipality, code: str) -> Category:
    category = Category.objects.active().with_municipality().filter(municipality=municipality, code=code).first()
    if category is None:
        raise not_found(f"service_code '{code}' is not a service of {municipality.code}; see services.xml for the list.")
    return category


def attribute_values(question: Question) -> list[dict]:
    if question.datatype == Question.Datatype.YES_NO:
        return [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]
    return [{"key": str(choice["key"]), "name": str(choice.get("name", choice["key"]))} for choice in question.choices]


def path_value(value: str, name: str) -> str:
    """A value from the URL's path, refused if the database could not even compare it."""
    if "\x00" in value:
        raise bad_request(f"{name}: a NUL character is not text.")
    return value


def service_definition(service_code: str, params: Params) -> Result:
    category = _service(jurisdiction(params), path_value(service_code, "service_code"))
    attributes = []
    # `order` is the position (1 first): our order values may repeat or start at 0.
    for position, question in enumerate(category.questions.order_by("order", "code"), start=1):
        # A yes/no question is a list of two to Open311.
        datatype = Question.Datatype.SINGLE_CHOICE if question.datatype == Question.Datatype.YES_NO else question.datatype
        attribute = {
            "variable": True,
            "code": question.code,
            "datatype": str(datatype),
            "required": question.required,
            "datatype_description": question.datatype_description or None,
            "order": position,
            "description": question.prompt,
        }
        if datatype in LIST_DATATYPES:
            attribute["values"] = attribute_values(question)
        attributes.append(attribute)
    return Result(200, "service_definition", {"service_code": category.code, "attributes": attributes})


def service_notice(category: Category, municipality: Municipality) -> str | None:
    """The service standard of the category, from its SLA."""
    hours = category.sla_hours
    if not hours:
        return None
    if hours >= 48 and hours % 24 == 0:
        span = f"{hours // 24} days"
    else:
        span = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{municipality.title} aims to resolve this kind of report within {span}."


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
PUBLIC_EVENTS = (IssueEvent.Action.CREATED, IssueEvent.Action.STATUS, IssueEvent.Action.UPDATE)


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
    return settings.IMBIZO_PUBLIC_URL.rstrip("/") + reverse("issue-media-file", args=[photo])


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
            label = Status(event.to_status).label if event.to_status in Status.values else ""
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
    issues = _requests(extensions=extensions).filter(reference=path_value(service_request_id, "service_request_id").upper())
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

def api_client(params: Params) -> ApiClient:
    key = params.get("api_key")
    if not key:
        raise forbidden("api_key is required to post; the municipality issues one per client.")
    client = ApiClient.objects.select_related("municipality").defer("municipality__boundary").filter(
        key=key, is_active=True).first()
    if client is None:
        raise forbidden("Invalid api_key received: it is unknown or no longer active.")
    return client


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


def _param_of(field: str) -> str:
    """Intake's field names as the Open311 parameters they came from."""
    if field.startswith("answers."):
        return f"attribute[{field.removeprefix('answers.')}]"
    return {"location": "lat/long", "category": "service_code", "reporter_phone": "phone",
            "reporter_email": "email", "media_url": "media_url", "description": "description"}.get(field, field)


def request_create(params: Params, *, now: datetime.datetime | None = None, idempotency_key: str = "") -> Result:
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
    phone = params.get("phone")
    if phone:
        try:
            phone = normalise_phone(phone)
        except ValueError as exc:
            raise bad_request(f"phone: {exc}.") from None
    name = " ".join(part for part in (params.get("first_name"), params.get("last_name")) if part)
    # device_id and account_id are accepted and not kept: an Open311 client's accounts are not ours.

    report = intake.Report(
        category=category, location=location, description=description, address=params.get("address_string"),
        answers=answers, channel=Channel.API, reporter_name=name, reporter_phone=phone, reporter_email=email,
        media_url=media_url,
    )
    key = f"open311:{client.pk}:{idempotency_key}" if idempotency_key else ""
    if len(key) > 128:
        raise bad_request("Idempotency-Key: at most 100 characters.")
    try:
        issue = intake.issue_create(report=report, idempotency_key=key, now=now).issue
    except intake.InvalidReport as exc:
        raise Open311Error(400, *(f"{_param_of(field)}: {message}" for field, messages in exc.errors.items()
                                  for message in messages)) from None
    except intake.IdempotencyKeyReused as exc:
        raise bad_request(str(exc)) from None
    return Result(200, "service_requests", [{
        "service_request_id": issue.reference,
        "service_notice": service_notice(category, municipality),
        "account_id": None,
    }])


# --- back-office updates (FixMyStreet's servicerequestupdates) -------------------------------

# A back office's status (FixMyStreet's update statuses, or Imbizo's own names) → Imbizo's status.
# OPEN and INVESTIGATING depend on where the issue is: a submitted issue is acknowledged, a
# closed one reopened. CLOSED is "resolved", or "closed" once resolved. The "not our job" family
# rejects the issue (the reporter reads the description, or the default reason below); DUPLICATE
# marks a duplicate when `duplicate_of` names the earlier request, else rejects it as reported
# before.
CONTEXTUAL = "contextual"
UPDATE_STATUSES: dict[str, tuple[str, str]] = {
    "OPEN": (CONTEXTUAL, ""),
    "INVESTIGATING": (CONTEXTUAL, ""),
    "ACKNOWLEDGED": (Status.ACKNOWLEDGED, ""),
    "ACTION_SCHEDULED": (Status.ASSIGNED, ""),
    "ASSIGNED": (Status.ASSIGNED, ""),
    "IN_PROGRESS": (Status.IN_PROGRESS, ""),
    "FIXED": (Status.RESOLVED, ""),
    "RESOLVED": (Status.RESOLVED, ""),
    "CLOSED": (CONTEXTUAL, ""),
    "NOT_COUNCILS_RESPONSIBILITY": (Status.REJECTED, "This is not the municipality's responsibility."),
    "NO_FURTHER_ACTION": (Status.REJECTED, "No further action will be taken."),
    "INTERNAL_REFERRAL": (Status.REJECTED, "Passed on to the office that deals with it."),
    "REJECTED": (Status.REJECTED, ""),
    "DUPLICATE": (Status.DUPLICATE, "This problem was reported before."),
    "REOPEN": (Status.REOPENED, ""),
    "REOPENED": (Status.REOPENED, ""),
}
# From submitted, the workflow goes to acknowledged first: an update that moves a submitted
# issue further on acknowledges it on the way (the back office has seen it).
ACKNOWLEDGED_ON_THE_WAY = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED})


def status_for_update(raw: str, issue: Issue, has_parent: bool) -> tuple[str, str]:
    """(Imbizo status, default public note) for a back office's status on this issue."""
    name = raw.strip().upper().replace(" ", "_").replace("-", "_")
    if name not in UPDATE_STATUSES:
        raise bad_request(f"status: '{raw}' is not a status; use one of: {', '.join(UPDATE_STATUSES)}.")
    status, note = UPDATE_STATUSES[name]
    if name in ("OPEN", "INVESTIGATING"):
        if issue.status in CLOSED_STATUSES:
            return Status.REOPENED, ""
        # A submitted issue is acknowledged; one further on cannot become what it is (the
        # workflow says so).
        return (Status.ACKNOWLEDGED if issue.status == Status.SUBMITTED else issue.status), ""
    if name == "CLOSED":
        return (Status.CLOSED if issue.status == Status.RESOLVED else Status.RESOLVED), ""
    if status == Status.DUPLICATE and not has_parent:
        return Status.REJECTED, note
    return status, note


def _update_time(params: Params, issue: Issue, now: datetime.datetime) -> datetime.datetime:
    """When the update happened: updated_datetime, or now. One from the future, or older than the
    issue's last status change, is refused: applied, a stale update would undo a newer one."""
    zone = zone_of(issue.municipality)
    moment = parse_moment(params, "updated_datetime", zone)
    if moment is None:
        return now
    if moment > now + CLOCK_SKEW:
        raise bad_request(f"updated_datetime: {params.get('updated_datetime')} is in the future "
                          f"(it is {w3c(now, zone)} here).")
    last_change = (issue.events.filter(action__in=PUBLIC_EVENTS).order_by("-at").values_list("at", flat=True).first()
                   or issue.created_at)
    if moment < last_change:
        raise bad_request(f"updated_datetime: {params.get('updated_datetime')} is older than the last status change of "
                          f"{issue.reference} ({w3c(last_change, zone)}); a stale update is not applied.")
    return min(moment, now)


def request_update_create(params: Params, *, now: datetime.datetime) -> Result:
    """POST servicerequestupdates: a back office reports progress on an issue. The update is one
    workflow transition recorded with the update_id, so the same update_id twice is refused."""
    client = api_client(params)
    if not client.may_post_updates:
        raise forbidden("This api_key may file requests but not post updates; "
                        "the municipality can allow updates for it (may post updates).")
    reference = params.get("service_request_id")
    if not reference:
        raise bad_request("service_request_id is required: the request this update is about.")
    issue = Issue.objects.select_related("municipality", "category").defer("municipality__boundary").filter(
        reference=reference.upper()).first()
    municipality = jurisdiction(params, required=False)
    if issue is None or (municipality is not None and issue.municipality_id != municipality.pk):
        raise not_found(f"There is no service request '{reference}'.")
    if client.municipality_id and client.municipality_id != issue.municipality_id:
        raise forbidden(f"This api_key updates requests of {client.municipality.code} only, "
                        f"not {issue.municipality.code}.")
    update_id = params.get("update_id")
    if not update_id:
        raise bad_request("update_id is required: your system's id of this update (each is applied once).")
    if len(update_id) > 64:
        raise bad_request(f"update_id: at most 64 characters, not {len(update_id)}.")
    raw_status = params.get("status")
    if not raw_status:
        raise bad_request("status is required, e.g. OPEN, IN_PROGRESS, FIXED or CLOSED.")
    description = params.get("description")
    if len(description) > 5000:
        raise bad_request(f"description: at most 5000 characters, not {len(description)}.")
    media_url = checked_media_url(params)
    external_status_code = params.get("external_status_code")[:100]
    parent = None
    if params.get("duplicate_of"):
        parent = Issue.objects.filter(reference=params.get("duplicate_of").upper()).first()
        if parent is None:
            raise bad_request(f"duplicate_of: there is no service request '{params.get('duplicate_of')}'.")
    if issue.events.filter(external_update_id=update_id).exists():
        raise bad_request(f"update_id: the update '{update_id}' was already applied to {issue.reference}.")

    at = _update_time(params, issue, now)
    to_status, default_note = status_for_update(raw_status, issue, parent is not None)
    public_note = description or default_note
    if media_url:
        public_note = f"{public_note}\n\n{media_url}" if public_note else media_url
    internal_note = f"Update {update_id} from {client.name}: status {raw_status}" + (
        f", external status code {external_status_code}" if external_status_code else "") + "."
    try:
        with transaction.atomic():
            if to_status == issue.status:  # the same status again, with news: a note, not a transition
                services.issue_note_add(issue=issue, public_note=public_note or f"Update from {client.name}.",
                                        internal_note=internal_note, at=at, external_update_id=update_id,
                                        label=client.name)
                return Result(200, "service_request_updates", [{"update_id": update_id}])
            if issue.status == Status.SUBMITTED and to_status in ACKNOWLEDGED_ON_THE_WAY:
                services.issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, at=at, label=client.name)
            services.issue_transition(
                issue=issue, to_status=to_status, public_note=public_note, internal_note=internal_note,
                duplicate_of=parent if to_status == Status.DUPLICATE else None, at=at,
                external_update_id=update_id, label=client.name,
            )
    except IllegalTransition as exc:
        raise bad_request(f"status: {exc}") from None
    except services.ActionRefused as exc:
        field = {"public_note": "description"}.get(exc.field, exc.field)
        raise bad_request(f"{field}: {exc}") from None
    return Result(200, "service_request_updates", [{"update_id": update_id}])
