"""Request checks that hold for every view, made once before any of them."""

from django.http import HttpRequest

from toolkit import errors
from toolkit.params import shown

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL = "\x00"


class RefuseNulCharacters:
    """A NUL character (%00) in the path, or in a query or form parameter's name or value, is refused
    with a 400 naming where it was: no text Imbizo takes may hold one, PostgreSQL cannot store one, and
    left to the views it failed as a 500 on some twenty endpoints. JSON bodies are checked by their
    parser (toolkit.api.JSONParser)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        where = nul_in(request)
        if where is not None:
            return errors.answer(request, 400, "contains a NUL character (%00), which is never valid.", parameter=where)
        return self.get_response(request)


def nul_in(request: HttpRequest) -> str | None:
    """Where a NUL character is (`path`, or the parameter's name), or None."""
    if NUL in request.path:
        return "path"
    places = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        places += [request.POST, request.FILES]
    for values in places:
        for name, items in values.lists():
            if NUL in name:
                return shown(name.replace(NUL, "%00"))
            if any(NUL in (getattr(item, "name", item) or "") for item in items):  # a file: its name
                return shown(name)
    return None


class HeadWithoutBody:
    """HEAD is GET without the body (RFC 9110, 9.3.2): every view that answers GET answers HEAD through the
    same code (require_safe, or Django's View giving head to get), and here the body is dropped, its length
    kept, whichever server runs the app. A streamed body is closed unread: its generator never runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if response.streaming:
            response.close()
            response.streaming_content = []
        elif response.content:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
