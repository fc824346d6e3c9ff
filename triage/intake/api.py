"""Filing a report over the API: POST /api/v1/issues (the same URL lists issues: triage.issues.api),
and the preview of where a pin falls before the report is sent."""

from django.contrib.gis.geos import Point
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from toolkit.api import LAT_LON_PARAMETERS, WriteThrottle, bad_parameter, parse_point
from toolkit.conf import storage_srid
from triage.intake import services as intake
from triage.intake.serializers import ReportSerializer
from triage.issues.api import CATEGORY_ID, IssueListView, issue_or_404
from triage.issues.models import Category
from triage.issues.presenters import issue_for


class PreviewView(APIView):
    """Where a pin is, for a category: ward, suburb, and the asset the report would snap to."""

    @extend_schema(parameters=[CATEGORY_ID.openapi(), *LAT_LON_PARAMETERS], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        point = parse_point(request.query_params)
        category_id = CATEGORY_ID.parse(request.query_params)
        category = Category.objects.with_municipality().select_related("asset_type").filter(pk=category_id).first()
        if category is None:
            raise bad_parameter("category", f"No category has the id {category_id}.")
        place = intake.locate(category, point)
        inside = place is not None
        place = place or intake.Place(ward=None, suburb=None, asset=None)
        asset = place.asset
        return Response({
            "inside": inside,
            "message": "" if inside else intake.outside_message(category.municipality, point),
            "municipality": {"code": category.municipality.code, "name": category.municipality.title},
            "ward": {"number": place.ward.number, "code": place.ward.code} if place.ward else None,
            "suburb": {"name": place.suburb.name, "code": place.suburb.code} if place.suburb else None,
            "asset": {"external_id": asset.external_id, "type": asset.asset_type.name,
                      "distance_m": round(asset.distance_m, 1)} if asset else None,
            "snaps_to": category.asset_type.name if category.asset_type_id else None,
            "snap_radius_m": category.snap_radius_m,
        })


class IssueCollectionView(IssueListView):
    """GET: issues as GeoJSON (public fields only), newest first, keyset-paged.
    POST: report an issue; the reference number is in the response."""

    throttle_classes = [WriteThrottle]
    throttle_scope = "report"

    @extend_schema(
        request=ReportSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER,
                                     description="A retry with the same key from the same sender returns the same "
                                                 "issue."),
                    OpenApiParameter("X-Client-Id", str, location=OpenApiParameter.HEADER,
                                     description="The device's own id: whose Idempotency-Key it is when nobody is "
                                                 "logged in (a retry without it gets the issue without its "
                                                 "tracking key).")],
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiResponse(description="A retry: the issue filed before."),
                   400: OpenApiResponse(description="Field-level errors."),
                   409: OpenApiResponse(description="The Idempotency-Key was used for another report.")},
    )
    def post(self, request):
        user = request.user if request.user.is_authenticated else None
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 128:
            raise bad_parameter("Idempotency-Key", "At most 128 characters.")
        form = ReportSerializer(data=request.data, context={"user": user})
        form.is_valid(raise_exception=True)
        scope = key_scope(request, user)
        try:
            result = intake.issue_create(report=report_from(form.validated_data, user), idempotency_key=key,
                                         key_scope=scope)
        except intake.InvalidReport as exc:
            raise ValidationError(exc.errors) from None
        except intake.IdempotencyKeyReused as exc:
            return Response({"Idempotency-Key": [str(exc)]}, status=status.HTTP_409_CONFLICT)
        # A new issue carries what intake found (ward, suburb, asset): shown without reading it again.
        issue = result.issue if result.created else issue_or_404(result.issue.reference)
        # A retry from a sender nobody can tell apart from anyone else gets the issue, not its secret.
        secret = result.created or scope != ANONYMOUS
        body = issue_for(user, issue, now=timezone.now(), tracking_key=issue.tracking_key if secret else "",
                         new=result.created)
        if secret:
            body["tracking_key"] = issue.tracking_key
            body["token"] = str(issue.token)
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
                        headers={"Location": f"/api/v1/issues/{issue.reference}"})


ANONYMOUS = "anonymous"
MAX_CLIENT_ID = 64


def key_scope(request, user) -> str:
    """Whose Idempotency-Key this is: the account, else the device's X-Client-Id (the offline app and
    the report page send one), else the session; a sender with none of these is anonymous."""
    if user is not None:
        return f"user:{user.pk}"
    client = request.headers.get("X-Client-Id", "").strip()
    if client:
        if len(client) > MAX_CLIENT_ID:
            raise bad_parameter("X-Client-Id", f"At most {MAX_CLIENT_ID} characters.")
        return f"client:{client}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"session:{session.session_key}"
    return ANONYMOUS


def report_from(data: dict, user) -> intake.Report:
    """The Report a validated ReportSerializer describes. A phone call or a walk-in logged by staff
    is the resident's report: its reporter is who the details name, not the staff member."""
    on_behalf = data["channel"] in intake.ON_BEHALF_CHANNELS
    return intake.Report(
        category=data["category"], location=Point(data["lon"], data["lat"], srid=storage_srid()),
        description=data["description"], address=data["address"], answers=data["answers"], channel=data["channel"],
        reporter=None if on_behalf else user, logged_by=user if on_behalf else None,
        reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
        reporter_email=data["reporter_email"], media_url=data["media_url"],
    )
