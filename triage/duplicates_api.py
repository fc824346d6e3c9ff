"""GET /api/v1/issues/duplicates: what the report page asks on every move of the pin.

A plain Django view, not DRF, by exception (STYLE.md), with the measured reason: the work is two
small statements (the category's rules, then the suggestions as JSON, triage/duplicates.py), about
1 ms, and DRF's request wrapping, authentication, content negotiation, permission and throttle
checks and response rendering cost as much again in Python (benchmarks/board.py, cProfile). The
view reads its three parameters, refuses a bad one with a 400 naming it (the same body as the DRF
views: {"lat": ["..."]}), runs the two statements and writes the envelope around PostgreSQL's JSON.

The API schema still documents it: the URL's callable carries `cls`, the DRF view below, which
drf-spectacular reads (it is never instantiated for a request).
"""

from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from toolkit.params import BadParameter, parse_float, parse_int
from triage.duplicates import duplicate_rules, likely_duplicates_json


def duplicates(request):
    """Open issues a report at this pin would likely duplicate: nearest first, at most five."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    params = request.GET
    try:
        lat = parse_float(params, "lat", minimum=-90, maximum=90)
        lon = parse_float(params, "lon", minimum=-180, maximum=180)
        if not params.get("category"):
            raise BadParameter("category", "This parameter is required: a category id.")
        category_id = parse_int(params, "category", default=None, minimum=1, maximum=2**62)
    except BadParameter as exc:
        return JsonResponse({exc.name: [exc.sentence]}, status=400)
    with connection.cursor() as cursor:
        rules = duplicate_rules(cursor, category_id)
        if rules is None:
            return JsonResponse({"category": [f"No category has the id {category_id}."]}, status=400)
        suggestions = likely_duplicates_json(cursor, rules, lon=lon, lat=lat, now=timezone.now())
    # The list comes from PostgreSQL as JSON text; only the envelope is written here.
    body = (f'{{"category":{category_id},"radius_m":{rules.radius_m},"window_days":{rules.window_days},'
            f'"private":{"true" if rules.private else "false"},"duplicates":{suggestions}}}')
    return HttpResponse(body, content_type="application/json")


class DuplicatesSchema(APIView):
    """Open issues a report at this pin would likely duplicate (triage/duplicates.py): nearest
    first, at most five, each with distance_m, so the resident can say "me too" or follow instead."""

    @extend_schema(
        parameters=[OpenApiParameter("category", int, required=True, description="A category id."),
                    OpenApiParameter("lat", float, required=True), OpenApiParameter("lon", float, required=True)],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="A bad parameter, named.")},
        operation_id="issues_duplicates",
    )
    def get(self, request):  # documentation only: requests go to duplicates()
        raise NotImplementedError


duplicates.cls = DuplicatesSchema
duplicates.initkwargs = {}
