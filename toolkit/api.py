"""Small pieces every API view shares: query-parameter parsing that names the parameter (number
parameters state their range once, for the parser and the schema), the default JSON parser, an
exception handler that keeps DRF's field-level 400s and never lets a bad input become a 500, and the
schema's post-processing hooks."""

from dataclasses import dataclass

from django.contrib.gis.geos import Point
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, parsers
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from toolkit import params as params_module
from toolkit import ratelimit
from toolkit.conf import storage_srid
from toolkit.errors import listed_fields
from toolkit.params import parse_float, parse_int  # noqa: F401 - the API views' parsers too


def exception_handler(exc, context):
    # The framework-free parsers (toolkit.params) raise BadParameter: the same 400 as DRF's own.
    if isinstance(exc, params_module.BadParameter):
        exc = bad_parameter(exc.name, exc.sentence)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = listed_fields(response.data)  # every one of 150,000 bad keys listed made 8.8 MB
    if isinstance(exc, TooManyRequests) and response is not None:
        response.data = exc.refused.body()  # names the limit; DRF has set Retry-After from exc.wait
    return response


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the default one, REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), refusing with a
    400 what would fail later as a 500: deep nesting and NUL characters (toolkit.params.check_json)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise params_module.BadParameter(
                "body", f"the JSON is nested deeper than {params_module.MAX_JSON_DEPTH} levels.") from None
        params_module.check_json(data)
        return data


class TooManyRequests(exceptions.Throttled):
    def __init__(self, refused: ratelimit.RateLimited):
        super().__init__(wait=refused.retry_after, detail=refused.sentence)
        self.refused = refused


class WriteThrottle(BaseThrottle):
    """DRF's throttling hook for toolkit.ratelimit: a view's writes count against the limits of its
    `throttle_scope`; `throttle_target`, when set, names the URL parameter whose value is the thing
    acted on (the "per IP address and item" limit). Reads are never counted."""

    def allow_request(self, request, view):
        target = view.kwargs.get(view.throttle_target, "") if getattr(view, "throttle_target", "") else ""
        try:
            ratelimit.check_request(request, view.throttle_scope, target=str(target).upper())
        except ratelimit.RateLimited as refused:
            raise TooManyRequests(refused) from None
        return True


def bad_parameter(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


@dataclass(frozen=True)
class NumberParameter:
    """A number query parameter and its range, stated once: `parse` reads it (a 400 naming it when out
    of range), `openapi` documents the same range in the schema."""

    name: str
    minimum: float
    maximum: float
    default: float | None = None
    integer: bool = True
    required: bool = False
    description: str = ""

    def openapi(self) -> OpenApiParameter:
        schema = {"type": "integer"} if self.integer else {"type": "number", "format": "double"}
        return OpenApiParameter(self.name, {**schema, "minimum": self.minimum, "maximum": self.maximum},
                                required=self.required, description=self.description)

    def parse(self, params):
        if self.integer:
            value = parse_int(params, self.name, default=None, minimum=self.minimum, maximum=self.maximum)
        else:
            value = parse_float(params, self.name, minimum=self.minimum, maximum=self.maximum, required=False)
        if value is None:
            if self.required:
                raise params_module.BadParameter(self.name, "This parameter is required.")
            return self.default
        return value


LATITUDE = NumberParameter("lat", -90, 90, integer=False, required=True, description="Latitude, WGS 84.")
LONGITUDE = NumberParameter("lon", -180, 180, integer=False, required=True, description="Longitude, WGS 84.")
LAT_LON_PARAMETERS = [LATITUDE.openapi(), LONGITUDE.openapi()]


def parse_point(params) -> Point:
    """A WGS 84 point from ?lat=&lon=, or a 400 naming the bad parameter."""
    latitude = LATITUDE.parse(params)
    return Point(LONGITUDE.parse(params), latitude, srid=storage_srid())


def parse_bbox(params, name: str = "bbox"):
    """minLon,minLat,maxLon,maxLat in WGS 84, or None when absent (see toolkit.params)."""
    return params_module.parse_bbox(params.get(name), name)


def parse_bool(params, name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise bad_parameter(name, f"'{raw}' is not true or false.")


def lift_defaults_out_of_one_of(result, generator, request, public):
    """A drf-spectacular post-processing hook. A blank-allowed email or URL field is drawn as oneOf
    [format: email, maxLength: 0] with its `default: ''` inside the first branch, where '' breaks the
    format: the schema is invalid OpenAPI. The default moves up beside the alternatives, which become
    anyOf (a validator that does not check `format: uri` finds '' in both, and oneOf wants exactly one)."""
    pending = [result]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            branches = node.get("oneOf", [])
            if any(isinstance(branch, dict) and "default" in branch for branch in branches):
                for branch in branches:
                    if "default" in branch:
                        node.setdefault("default", branch.pop("default"))
                node["anyOf"] = node.pop("oneOf")
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return result


ERROR_BODY = {
    "type": "object",
    "description": "{\"detail\": \"…\"}, or each bad field or parameter with its messages: {\"lat\": [\"…\"]}; at most "
                   "20 are listed, `more_errors` counts the rest.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
# The errors any operation may answer besides its own: bad input (toolkit.middleware refuses it on every path),
# a refusal (bad credentials, a missing CSRF token, a role that may not), and for a path naming something, no such thing.
COMMON_ERRORS = {"400": "Bad input, named.", "403": "Not allowed: not signed in, bad credentials or not your role."}
NOT_FOUND = {"404": "Nothing has that identifier (or it is not yours to see)."}


def document_error_responses(result, generator, request, public):
    """A drf-spectacular post-processing hook: every operation documents the errors it can answer, in
    the shape toolkit.api.exception_handler gives them, unless it documents them itself."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = {**COMMON_ERRORS, **(NOT_FOUND if "{" in path else {})}
            for status, description in errors.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}})
    return result


def required_text_is_not_empty(result, generator, request, public):
    """A drf-spectacular post-processing hook: a parameter sent empty counts as not sent (the parsers here
    read "" as absent), so a required text parameter documents that it needs a character at least."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("required") and parameter.get("in") == "query" and schema.get("type") == "string":
                    schema.setdefault("minLength", 1)
    return result
