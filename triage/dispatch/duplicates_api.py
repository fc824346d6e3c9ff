"""GET /api/v1/issues/duplicates: what the report page asks on every move of the pin."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from toolkit.api import LAT_LON_PARAMETERS, bad_parameter, parse_point
from triage.dispatch.duplicates import duplicate_rules, likely_duplicates_json
from triage.issues.api import CATEGORY_ID


class DuplicatesView(APIView):
    """Open issues a report at this pin would likely duplicate (triage.dispatch.duplicates): nearest
    first, at most five, each with distance_m, so the resident can say "me too" or follow instead."""

    @extend_schema(
        parameters=[CATEGORY_ID.openapi(), *LAT_LON_PARAMETERS],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="A bad parameter, named.")},
        operation_id="issues_duplicates",
    )
    def get(self, request):
        params = request.query_params
        point = parse_point(params)
        category_id = CATEGORY_ID.parse(params)
        rules = duplicate_rules(category_id)
        if rules is None:
            raise bad_parameter("category", f"No category has the id {category_id}.")
        suggestions = likely_duplicates_json(rules, point=point, now=timezone.now())
        # The list comes from PostgreSQL as JSON text; only the envelope is written here.
        body = (f'{{"category":{category_id},"radius_m":{rules.radius_m},"window_days":{rules.window_days},'
                f'"private":{"true" if rules.private else "false"},"duplicates":{suggestions}}}')
        return HttpResponse(body, content_type="application/json")
