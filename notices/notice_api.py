"""The notices API under /api/v1/: public notices as GeoJSON (built in SQL) and one notice; staff
create, edit, attach, preview the audience, submit, publish, cancel, and read the delivery report.
Views parse, authorise and call notices.notice_services; bad input is a 400 naming the field."""

import json

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department
from notices import notice_permissions as permissions
from notices import notice_services as services
from notices.notice import Notice
from notices.notice_audience import notice_audience, notice_delivery_report, notice_retry_failed
from notices.notice_presenters import attachment_url, notice_detail
from notices.notice_targets import NoticeRefused
from toolkit.api import LAT_LON_PARAMETERS, JSONParser, bad_parameter, parse_bool, parse_point
from toolkit.conf import storage_srid
from toolkit.geojson import GEOJSON_CONTENT_TYPE, feature_collection_text
from wards.models import Municipality, Suburb, Ward

PUBLIC_PROPERTIES = {
    "title": "title", "kind": "kind", "severity": "severity", "starts_at": "starts_at", "ends_at": "ends_at",
    "publish_at": "publish_at", "expires_at": "expires_at", "state": "state", "municipality": "municipality__code",
    "version": "version",
}


def refused(exc: NoticeRefused) -> ValidationError:
    return ValidationError({exc.field: [str(exc)]})


def public_notices(params):
    """The public notices a query asks for (municipality, lat/lon, kind, active), newest first."""
    notices = Notice.objects.public()
    if params.get("active", "true") != "" and parse_bool({"active": params.get("active", "true")}, "active"):
        notices = notices.active()
    if params.get("municipality"):
        notices = notices.filter(municipality__code=params["municipality"].upper())
    if params.get("kind"):
        kinds = params["kind"].split(",")
        unknown = [kind for kind in kinds if kind not in Notice.Kind.values]
        if unknown:
            raise bad_parameter("kind", _("'%(kind)s' is not a kind of notice (%(kinds)s).")
                                % {"kind": unknown[0], "kinds": ", ".join(Notice.Kind.values)})
        notices = notices.filter(kind__in=kinds)
    if params.get("lat") or params.get("lon"):
        notices = notices.covering(parse_point(params))
    return notices.newest_first()


class NoticeListView(APIView):
    """Public notices as GeoJSON (geometry: the target area), newest first."""

    @extend_schema(
        parameters=[OpenApiParameter("municipality", str, description="Municipality code, e.g. GT423."),
                    *[OpenApiParameter(p.name, p.type, required=False, description=p.description) for p in LAT_LON_PARAMETERS],
                    OpenApiParameter("kind", str, description="Kinds, comma-separated: " + ", ".join(Notice.Kind.values)),
                    OpenApiParameter("active", bool, description="Only notices not yet expired (default true).")],
        responses={(200, GEOJSON_CONTENT_TYPE): OpenApiTypes.OBJECT}, operation_id="notices_list",
    )
    def get(self, request):
        notices = public_notices(request.query_params)[:500]
        body = feature_collection_text(notices, geometry="area", properties=PUBLIC_PROPERTIES, precision=5)
        return HttpResponse(body, content_type=GEOJSON_CONTENT_TYPE)


class NoticeDetailView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="notices_retrieve")
    def get(self, request, notice_id: int):
        notice = get_object_or_404(Notice.objects.public().select_related("municipality", "department"), pk=notice_id)
        return Response(notice_detail(notice))


# --- staff -----------------------------------------------------------------------------------

class NoticeWriteSerializer(serializers.Serializer):
    municipality = serializers.CharField(required=False, help_text=_("Code; default: the staff member's municipality."))
    title = serializers.CharField(max_length=140, required=False)
    body = serializers.CharField(max_length=20_000, required=False)
    kind = serializers.ChoiceField(choices=Notice.Kind.choices, required=False)
    severity = serializers.ChoiceField(choices=Notice.Severity.choices, required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    department = serializers.IntegerField(required=False, allow_null=True)
    target = serializers.ChoiceField(choices=Notice.Target.choices, required=False)
    wards = serializers.ListField(child=serializers.IntegerField(), required=False, help_text=_("Ward numbers (current)."))
    suburbs = serializers.ListField(child=serializers.CharField(), required=False, help_text=_("Suburb codes."))
    drawn = serializers.JSONField(required=False, allow_null=True, help_text=_("A GeoJSON geometry (WGS 84)."))
    radius_m = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    related_issues = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


def _geometry(value):
    if value is None:
        return None
    try:
        geometry = GEOSGeometry(json.dumps(value))
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise bad_parameter("drawn", _("Not a GeoJSON geometry (%(error)s).") % {"error": exc}) from None
    geometry.srid = storage_srid()
    return geometry


def _values(data: dict, municipality: Municipality, *, creating: bool) -> tuple[dict, object, object]:
    values = {name: value for name, value in data.items() if name not in ("municipality", "wards", "suburbs")}
    if "drawn" in values:
        values["drawn"] = _geometry(values["drawn"])
    if "department" in values:
        number = values["department"]
        values["department"] = None if number is None else Department.objects.filter(
            pk=number, municipality=municipality).first()
        if number is not None and values["department"] is None:
            raise bad_parameter("department", _("No department %(id)s in this municipality.") % {"id": number})
    wards = suburbs = None
    if "wards" in data:
        wards = list(Ward.objects.current().filter(municipality=municipality, number__in=data["wards"]))
        if len(wards) != len(set(data["wards"])):
            raise bad_parameter("wards", _("Not every ward number is a current ward of this municipality."))
    if "suburbs" in data:
        suburbs = list(Suburb.objects.filter(municipality=municipality, code__in=data["suburbs"]))
        if len(suburbs) != len(set(data["suburbs"])):
            raise bad_parameter("suburbs", _("Not every suburb code is a suburb of this municipality."))
    if creating:
        for name in ("title", "body"):
            if not values.get(name):
                raise bad_parameter(name, _("This field is required."))
        if "target" not in values:
            raise bad_parameter("target", _("Choose who the notice is for: %(targets)s.")
                                % {"targets": ", ".join(Notice.Target.values)})
    return values, wards, suburbs


class StaffNoticeListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=NoticeWriteSerializer, responses={201: OpenApiTypes.OBJECT}, operation_id="staff_notices_create")
    def post(self, request):
        form = NoticeWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        code = data.get("municipality")
        municipality = (Municipality.objects.filter(code=code.upper()).first() if code
                        else Municipality.objects.filter(pk=getattr(request.user, "municipality_id", None)).first())
        if municipality is None:
            raise bad_parameter("municipality", _("Name the municipality by its code."))
        values, wards, suburbs = _values(data, municipality, creating=True)
        department = values.get("department")
        if not permissions.can_compose(request.user, municipality.pk, department.pk if department else None):
            raise PermissionDenied(_("You may not write notices for this municipality or department."))
        try:
            notice = services.notice_write(municipality=municipality, actor=request.user, wards=wards, suburbs=suburbs,
                                           **values)
        except NoticeRefused as exc:
            raise refused(exc) from None
        return Response(notice_detail(notice, staff=True), status=status.HTTP_201_CREATED)


def staff_notice(request, notice_id: int, *, edit: bool = False) -> Notice:
    notice = get_object_or_404(Notice.objects.select_related("municipality"), pk=notice_id)
    if not permissions.is_staff_of(request.user, notice.municipality_id) or not request.user.has_perm("notices.view_notice"):
        raise PermissionDenied(_("You may not see this notice."))
    if edit and not permissions.can_edit(request.user, notice):
        raise PermissionDenied(_("You may not change this notice."))
    return notice


class StaffNoticeView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="staff_notices_retrieve")
    def get(self, request, notice_id: int):
        return Response(notice_detail(staff_notice(request, notice_id), staff=True))

    @extend_schema(request=NoticeWriteSerializer, responses={200: OpenApiTypes.OBJECT}, operation_id="staff_notices_update")
    def patch(self, request, notice_id: int):
        notice = staff_notice(request, notice_id, edit=True)
        form = NoticeWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        values, wards, suburbs = _values(form.validated_data, notice.municipality, creating=False)
        department = values.get("department", notice.department)
        if not permissions.can_compose(request.user, notice.municipality_id, department.pk if department else None):
            raise PermissionDenied(_("You may not write notices for this department."))
        renotify = parse_bool(request.query_params, "renotify")
        try:
            notice = services.notice_write(municipality=notice.municipality, actor=request.user, notice=notice,
                                           wards=wards, suburbs=suburbs, **values)
            if renotify and notice.state == Notice.State.PUBLISHED:
                services.notice_fan_out_soon(notice=notice)
        except NoticeRefused as exc:
            raise refused(exc) from None
        return Response(notice_detail(notice, staff=True))


class AttachmentSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False, default="")


class StaffNoticeAttachmentView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": AttachmentSerializer}, responses={201: OpenApiTypes.OBJECT},
                   operation_id="staff_notices_attach")
    def post(self, request, notice_id: int):
        notice = staff_notice(request, notice_id, edit=True)
        form = AttachmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            attachment = services.notice_attach(notice=notice, upload=form.validated_data["file"],
                                                title=form.validated_data["title"])
        except NoticeRefused as exc:
            raise refused(exc) from None
        return Response({"id": attachment.pk, "kind": attachment.kind, "title": attachment.title,
                         "url": attachment_url(attachment), "preview": attachment_url(attachment, preview=True)},
                        status=status.HTTP_201_CREATED)


class StaffNoticeAudienceView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="staff_notices_audience")
    def get(self, request, notice_id: int):
        notice = staff_notice(request, notice_id)
        return Response(notice_audience(notice=notice).as_dict())


class StaffNoticeActionView(APIView):
    """submit, publish, cancel, retry (failed messages)."""

    action = ""

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Refused.")})
    def post(self, request, notice_id: int):
        notice = staff_notice(request, notice_id, edit=self.action == "submit")
        if self.action != "submit" and not permissions.can_publish(request.user, notice):
            raise PermissionDenied(_("Only an approver (a communications officer) may do this."))
        try:
            if self.action == "submit":
                services.notice_submit(notice=notice)
            elif self.action == "publish":
                notice = services.notice_publish(notice=notice, actor=request.user)
            elif self.action == "cancel":
                services.notice_cancel(notice=notice, actor=request.user)
            elif self.action == "retry":
                return Response({"requeued": notice_retry_failed(notice=notice)})
        except NoticeRefused as exc:
            raise refused(exc) from None
        return Response(notice_detail(notice, staff=True))


class StaffNoticeDeliveryView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="staff_notices_delivery")
    def get(self, request, notice_id: int):
        return Response(notice_delivery_report(notice=staff_notice(request, notice_id)))
