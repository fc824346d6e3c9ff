from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import Asset, AssetType, Facility, FacilityType
from toolkit.api import LAT_LON_PARAMETERS, NumberParameter, bad_parameter, parse_bbox, parse_bool, parse_point
from toolkit.geojson import feature_collection_response

FACILITY_PROPERTIES = {
    "name": "name", "type": "facility_type__code", "type_name": "facility_type__name", "address": "address",
    "phone": "phone", "email": "email", "opening_hours": "opening_hours", "services": "services",
    "municipality": "municipality__code",
}
GEOJSON_RESPONSES = {
    (200, "application/geo+json"): OpenApiTypes.OBJECT,
    400: OpenApiResponse(description="A parameter is malformed, out of range or unknown; the body names it."),
}


def facility_type_filter(params) -> str | None:
    code = params.get("type")
    if code and not FacilityType.objects.filter(code=code).exists():
        known = ", ".join(FacilityType.objects.values_list("code", flat=True))
        raise bad_parameter("type", f"Unknown facility type '{code}'; known types: {known}.")
    return code or None


def filtered_facilities(params):
    """Facilities with open_now, narrowed by the filters both facility views take (type, open_now)."""
    facilities = Facility.objects.with_open_now()
    if code := facility_type_filter(params):
        facilities = facilities.of_type(code)
    include_unknown = parse_bool(params, "include_unknown")
    if parse_bool(params, "open_now"):
        # Facilities whose hours nobody knows are left out, or kept (open_now null) when asked: a
        # resident looking for an open clinic should hear that some may be.
        facilities = facilities.filter(Q(open_now=True) | Q(open_now__isnull=True) if include_unknown
                                       else Q(open_now=True))
    return facilities


INCLUDE_UNKNOWN = OpenApiParameter(
    "include_unknown", bool, description="With open_now: also the facilities whose hours are unknown (open_now null).")
NEAREST_FACILITIES = NumberParameter("k", 1, 50, default=5, description="How many (default 5).")
FACILITY_LIMIT = NumberParameter("limit", 1, 10_000, default=1000, description="At most this many (default 1000).")
ASSET_RADIUS = NumberParameter("within", 1, 5000, default=50, integer=False, description="Search radius in metres (default 50).")
NEAREST_ASSETS = NumberParameter("k", 1, 20, default=1, description="How many (default 1).")

class NearestFacilitiesView(APIView):
    """The k facilities nearest a point, nearest first, with distance_m (metres on the WGS 84
    spheroid) and open_now (on the municipality's local clock)."""

    @extend_schema(
        parameters=[
            *LAT_LON_PARAMETERS,
            OpenApiParameter("type", str, description="Facility type code (see /api/v1/facility-types/)."),
            NEAREST_FACILITIES.openapi(),
            OpenApiParameter("open_now", bool, description="Only facilities open at this moment."),
            INCLUDE_UNKNOWN,
        ],
        responses=GEOJSON_RESPONSES,
    )
    def get(self, request):
        params = request.query_params
        point = parse_point(params)
        k = NEAREST_FACILITIES.parse(params)
        facilities = filtered_facilities(params)
        return feature_collection_response(
            facilities.nearest(point, k=k), geometry="location", feature_id="pk",
            properties={**FACILITY_PROPERTIES, "open_now": "open_now", "distance_m": "distance_m"},
        )


class FacilityCollectionView(APIView):
    """Facilities as GeoJSON (built in SQL): search by text, filter by type and bounding box."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Text in the name, address, services or type."),
            OpenApiParameter("type", str, description="Facility type code."),
            OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat (WGS 84)."),
            OpenApiParameter("municipality", str, description="Municipality code."),
            OpenApiParameter("open_now", bool, description="Only facilities open at this moment."),
            INCLUDE_UNKNOWN,
            FACILITY_LIMIT.openapi(),
        ],
        responses=GEOJSON_RESPONSES,
    )
    def get(self, request):
        from django.contrib.gis.geos import Polygon

        params = request.query_params
        facilities = filtered_facilities(params)
        if text := params.get("q", "").strip():
            facilities = facilities.search(text)
        if bbox := parse_bbox(params):
            facilities = facilities.filter(location__bboverlaps=Polygon.from_bbox(bbox))
        if municipality := params.get("municipality"):
            facilities = facilities.filter(municipality__code=municipality)
        limit = FACILITY_LIMIT.parse(params)
        return feature_collection_response(
            facilities.order_by("name", "pk")[:limit], geometry="location", feature_id="pk",
            properties={**FACILITY_PROPERTIES, "open_now": "open_now"},
        )


class FacilityTypeListView(APIView):
    @extend_schema(responses={200: inline_serializer("FacilityTypeSummary", many=True, fields={
        "code": serializers.CharField(), "name": serializers.CharField()})})
    def get(self, request):
        return Response(list(FacilityType.objects.order_by("name").values("code", "name")))


class NearestAssetView(APIView):
    """The nearest asset(s) of a type within a radius: what issue intake snaps a report to."""

    @extend_schema(
        parameters=[
            *LAT_LON_PARAMETERS,
            OpenApiParameter("type", str, required=True, description="Asset type code, e.g. streetlight."),
            ASSET_RADIUS.openapi(),
            NEAREST_ASSETS.openapi(),
        ],
        responses=GEOJSON_RESPONSES,
    )
    def get(self, request):
        params = request.query_params
        point = parse_point(params)
        code = params.get("type")
        if not code:
            raise bad_parameter("type", "This parameter is required.")
        if not AssetType.objects.filter(code=code).exists():
            known = ", ".join(sorted(set(AssetType.objects.values_list("code", flat=True))))
            raise bad_parameter("type", f"Unknown asset type '{code}'; known types: {known}.")
        within = ASSET_RADIUS.parse(params)
        k = NEAREST_ASSETS.parse(params)
        return feature_collection_response(
            Asset.objects.of_type(code).nearest(point, within=within, k=k), geometry="geom", feature_id="pk",
            properties={"external_id": "external_id", "type": "asset_type__code", "type_name": "asset_type__name",
                        "status": "status", "municipality": "municipality__code", "distance_m": "distance_m"},
        )
