"""The answers to errors no view answered: input refused before any view (toolkit.middleware), an
unknown path, a request Django could not read, an uncaught exception, the database away. Each
interface answers in its own format, chosen by the path's prefix (`IMBIZO["ERROR_FORMATS"]`): apps
and GIS tools read JSON (Open311 clients, Open311's own errors), never Django's HTML error page;
pages keep Django's. The project's URLconf names the four handlers (handler400 … handler500).

Error bodies stay small: at most MAX_LISTED_ERRORS errors are listed, then how many more there were,
and each message is cut to MAX_MESSAGE characters."""

import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.views import defaults

from toolkit.conf import imbizo_setting
from toolkit.params import shown

MAX_LISTED_ERRORS = 20
MAX_MESSAGE = 1000  # characters of one message: a message quoting a megabyte of input is cut
# How long a client should wait before trying again when the database does not answer: a restart or
# a fail-over takes tens of seconds.
RETRY_AFTER_SECONDS = 30
DATABASE_AWAY = "The database is not answering; try again shortly."
UNAVAILABLE_PAGE = ("<!doctype html><title>Briefly unavailable</title><h1>Briefly unavailable</h1>"
                    "<p>The site cannot reach its database just now. Please try again in a minute.</p>")
# What Django's refusals of a request body mean, in words for the sender.
UNREADABLE = {
    TooManyFieldsSent: "Too many fields in one request.",
    TooManyFilesSent: "Too many files in one request.",
    RequestDataTooBig: "The request body is too large.",
}

# OGC API's error codes, for the interfaces that answer {"code", "description"} (OGC, tiles, downloads).
CODES = {400: "InvalidParameterValue", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
         500: "ServerError", 503: "ServiceUnavailable"}


def cut(message):
    return message[:MAX_MESSAGE] + "…" if isinstance(message, str) and len(message) > MAX_MESSAGE else message


def listed(errors: list) -> list:
    """The first MAX_LISTED_ERRORS errors, each cut to MAX_MESSAGE characters, then a line saying how
    many more there were."""
    if len(errors) <= MAX_LISTED_ERRORS:
        return [cut(error) for error in errors]
    return [*(cut(error) for error in errors[:MAX_LISTED_ERRORS]),
            f"…and {len(errors) - MAX_LISTED_ERRORS:,} more errors, not listed."]


def listed_fields(errors):
    """A field-by-field error body (DRF's shape, nested for nested fields) with at most
    MAX_LISTED_ERRORS fields at each level; `more_errors` says how many were left out."""
    if isinstance(errors, dict):
        names = list(errors)
        kept = {name: listed_fields(errors[name]) for name in names[:MAX_LISTED_ERRORS]}
        if len(names) > MAX_LISTED_ERRORS:
            kept["more_errors"] = [f"…and {len(names) - MAX_LISTED_ERRORS:,} more fields with errors, not listed."]
        return kept
    if isinstance(errors, list):
        return listed([listed_fields(item) for item in errors])
    return cut(errors)


# --- the formats -------------------------------------------------------------------------------

def rest_error(request: HttpRequest, status: int, message: str, parameter: str | None) -> HttpResponse:
    """DRF's shapes: {"<parameter>": ["message"]} for a bad parameter, else {"detail": "message"}."""
    return JsonResponse({parameter: [message]} if parameter else {"detail": message}, status=status)


def coded_error(request: HttpRequest, status: int, message: str, parameter: str | None) -> HttpResponse:
    """OGC API's shape, which the tiles and downloads share: {"code": …, "description": …}."""
    description = f"Invalid parameter '{parameter}': {message}" if parameter else message
    return JsonResponse({"code": CODES.get(status, "Error"), "description": description}, status=status)


def error_format(request: HttpRequest):
    for prefix, renderer in imbizo_setting("ERROR_FORMATS").items():
        if request.path.startswith(prefix):
            return import_string(renderer)
    return None


def answer(request: HttpRequest, status: int, message: str, *, parameter: str | None = None) -> HttpResponse:
    """An error in the format of the interface the path belongs to; a page's is plain text."""
    renderer = error_format(request)
    if renderer is not None:
        return renderer(request, status, message, parameter)
    text = f"{parameter}: {message}" if parameter else message
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


# --- the URLconf's handlers --------------------------------------------------------------------

def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = next((text for kind, text in UNREADABLE.items() if isinstance(exception, kind)),
                   "The request could not be read.")
    if error_format(request) is None:
        return defaults.bad_request(request, exception)
    return answer(request, 400, message)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if error_format(request) is None:
        return defaults.permission_denied(request, exception)
    return answer(request, 403, "You may not do this.")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if error_format(request) is None:
        return defaults.page_not_found(request, exception)
    return answer(request, 404, f"There is nothing at {shown(request.path, 200)}.")


def server_error(request: HttpRequest) -> HttpResponse:
    """Any uncaught exception (Django has logged it). The database being away is not a bug of ours:
    a 503 with Retry-After, so clients and load balancers try again instead of giving up."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        if error_format(request) is None:
            response = HttpResponse(UNAVAILABLE_PAGE, status=503)
        else:
            response = answer(request, 503, DATABASE_AWAY)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if error_format(request) is None:
        return defaults.server_error(request)
    return answer(request, 500, "Something went wrong on our side; it has been logged and will be looked at.")
