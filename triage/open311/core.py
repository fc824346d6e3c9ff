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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Exists, OuterRef
from django.urls import reverse

from toolkit.conf import imbizo_setting
from toolkit.errors import listed
from toolkit.params import BadParameter, parse_datetime, shown
from triage.issues.models import Category, Question
from triage.open311.models import ApiClient, key_digest
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
_DATE_ONLY = re.compile(r"^\d{4}-\d\d-\d\d$")


@dataclass(frozen=True)
class Result:
    status: int
    root: str  # the XML root element; JSON has no root
    body: object


class Open311Error(Exception):
    """An Open311 error answer: 404 unknown resource, 403 missing or bad api_key, 405 a method the
    resource does not answer, 400 anything else. Several descriptions become several <error>
    elements (the body is a list)."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = listed(list(descriptions))

    def result(self) -> Result:
        return Result(self.status, "errors", [{"code": self.status, "description": text} for text in self.descriptions])


def public_media_url(media_id: int) -> str:
    """The address of an issue's file (served with its visibility checks, triage.media.views)."""
    return imbizo_setting("PUBLIC_URL").rstrip("/") + reverse("issue-media-file", args=[media_id])


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


def method_not_allowed(description: str) -> Open311Error:
    return Open311Error(405, description)


class Params:
    """The request's parameters, name → list of values. As the spec says of optional arguments,
    a parameter sent empty is the same as one not sent."""

    def __init__(self, values: Mapping[str, Iterable[str]]):
        self._values = {name: [str(value) for value in items] for name, items in values.items()}

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
    municipality's time zone; as an end_date, through the end of that day). A date and time without an
    offset is a 400: W3C date-times carry one, and a guess would shift a back office's times by hours."""
    raw = params.get(name)
    if not raw:
        return None
    if _DATE_ONLY.match(raw):
        try:
            day = datetime.date.fromisoformat(raw)
            if end_of_day:
                return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone) - (
                    datetime.timedelta(microseconds=1))
            return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        except (ValueError, OverflowError):
            raise bad_request(f"{name}: '{shown(raw)}' is not a date and time in W3C format, "
                              "e.g. 2026-01-31T00:00:00Z or 2026-01-31T08:00:00+02:00.") from None
    try:
        return parse_datetime(raw, name, zone_required=True)
    except BadParameter as exc:
        raise bad_request(f"{name}: {exc.message}") from None


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


def service_definition(service_code: str, params: Params) -> Result:
    category = _service(jurisdiction(params), service_code)
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


def api_client(params: Params) -> ApiClient:
    key = params.get("api_key")
    if not key:
        raise forbidden("api_key is required to post; the municipality issues one per client.")
    client = ApiClient.objects.select_related("municipality").defer("municipality__boundary").filter(
        key_digest=key_digest(key), is_active=True).first()
    if client is None:
        raise forbidden("Invalid api_key received: it is unknown or no longer active.")
    return client
