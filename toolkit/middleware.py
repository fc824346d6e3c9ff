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
