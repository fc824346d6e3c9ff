"""The Django adapter for the Open311 core: request in, Result out, rendered in the format the
URL's suffix names (.xml or .json; XML, the spec's required format, when there is none)."""

import hashlib
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from toolkit import ratelimit
from triage.open311 import core, service_requests, updates
from triage.open311.formats import DEFAULT_FORMAT, FORMATS, render


def respond(result: core.Result, format_name: str) -> HttpResponse:
    content_type, body = render(format_name, result.root, result.body)
    return HttpResponse(body, status=result.status, content_type=content_type)


def without_body_for_head(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """HEAD is GET without the body (RFC 9110, 9.3.2): the same status and headers, the length included."""
    if request.method == "HEAD":
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response


def endpoint(*methods: str):
    """Pick the format, answer HEAD wherever GET is answered, refuse other methods with a 405,
    count POSTs against the Open311 rate limits (per api_key and per address), and turn an
    Open311Error into its answer. POSTs come from other systems with an api_key, never from a
    browser session: no CSRF token."""
    allowed = sorted({*methods, "HEAD"} if "GET" in methods else methods)

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, format: str | None = None, **kwargs):
            return without_body_for_head(request, answer(view, request, args, kwargs, format))

        return wrapper

    def answer(view, request: HttpRequest, args, kwargs, format: str | None) -> HttpResponse:
        format_name = (format or DEFAULT_FORMAT).lower()
        if format_name not in FORMATS:
            error = core.bad_request(f"The format '.{format}' is not offered; use .xml or .json.")
            return respond(error.result(), DEFAULT_FORMAT)
        if request.method not in allowed:
            error = core.method_not_allowed(f"{request.method} is not supported here; use {' or '.join(allowed)}.")
            response = respond(error.result(), format_name)
            response["Allow"] = ", ".join(allowed)
            return response
        try:
            ratelimit.check_request(request, "open311", identity=api_key_identity(request))
        except ratelimit.RateLimited as refused:
            response = respond(core.Open311Error(429, refused.sentence).result(), format_name)
            response["Retry-After"] = str(refused.retry_after)
            return response
        try:
            result = view(request, *args, **kwargs)
        except core.Open311Error as exc:
            result = exc.result()
        return respond(result, format_name)

    return decorate


def api_key_identity(request: HttpRequest) -> str:
    """The api_key a POST names (known or not), as the rate limits' client; "" for none."""
    key = request.POST.get("api_key") or request.GET.get("api_key") or ""
    return f"api_key:{hashlib.sha256(key.encode()).hexdigest()[:32]}" if key else ""


def query(request: HttpRequest) -> core.Params:
    return core.Params(dict(request.GET.lists()))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def form(request: HttpRequest) -> core.Params:
    """The form body; parameters some clients put in the query string (api_key,
    jurisdiction_id) count too, the body winning."""
    if request.content_type not in FORM_TYPES:
        raise core.bad_request(f"Send the parameters form-encoded (application/x-www-form-urlencoded), "
                               f"not as {request.content_type or 'an empty body'}.")
    values = dict(request.GET.lists())
    values.update(request.POST.lists())
    return core.Params(values)


MEDIA_FIELD = "media"


def media_file(request: HttpRequest):
    """The one file a POST may carry, `media` (a photo, video, sound or PDF); any other file, or several,
    is refused by name rather than dropped."""
    others = sorted(name for name in request.FILES if name != MEDIA_FIELD)
    if others:
        raise core.bad_request(f"{others[0]}: only the file field '{MEDIA_FIELD}' is taken.")
    files = request.FILES.getlist(MEDIA_FIELD)
    if len(files) > 1:
        raise core.bad_request(f"{MEDIA_FIELD}: one file per request, not {len(files)}.")
    return files[0] if files else None


@endpoint("GET")
def discovery(request):
    base = request.path.rsplit("discovery", 1)[0]
    return core.discovery(endpoint_url=request.build_absolute_uri(base).rstrip("/"))


@endpoint("GET")
def services(request):
    return core.service_list(query(request))


@endpoint("GET")
def service_definition(request, service_code: str):
    return core.service_definition(service_code, query(request))


@endpoint("GET", "POST")
def requests(request):
    if request.method == "POST":
        return service_requests.request_create(form(request), media=media_file(request),
                                               idempotency_key=request.headers.get("Idempotency-Key", "").strip())
    return service_requests.request_list(query(request), now=timezone.now())


@endpoint("GET")
def request_detail(request, service_request_id: str):
    return service_requests.request_detail(service_request_id, query(request))


@endpoint("GET")
def token(request, token: str):
    return service_requests.token_lookup(token, query(request))


@endpoint("GET", "POST")
def service_request_updates(request):
    if request.method == "POST":
        return updates.request_update_create(form(request), now=timezone.now(), media=media_file(request))
    return updates.update_list(query(request), now=timezone.now())


def format_of(path: str) -> str:
    """The format a path's suffix names, else the default."""
    stem, _, suffix = path.rpartition(".")
    return suffix.lower() if stem and suffix.lower() in FORMATS else DEFAULT_FORMAT


@csrf_exempt
def unknown(request, path: str):
    """Anything else under the Open311 root: a 404 in Open311's own error format."""
    error = core.not_found(f"There is no Open311 resource '{path}'; the resources are listed at discovery.xml.")
    return without_body_for_head(request, respond(error.result(), format_of(path)))


def error_response(request, status: int, message: str, parameter: str | None) -> HttpResponse:
    """An error no Open311 view answered (toolkit.errors: bad input, the database away) in Open311's format."""
    error = core.Open311Error(status, f"{parameter}: {message}" if parameter else message)
    return respond(error.result(), format_of(request.path))
