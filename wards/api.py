from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from toolkit.api import LAT_LON_PARAMETERS, NumberParameter, bad_parameter, parse_point
from toolkit.geojson import feature_collection_response
from wards.models import Municipality, Ward

YEAR = NumberParameter("year", 1990, 2100, description="Demarcation year; the current wards when absent.")


class AreaLookupView(APIView):
    """Which municipality, current ward and suburb a point is in."""

    @extend_schema(
        parameters=LAT_LON_PARAMETERS,
        responses={
            200: inline_serializer("AreaLookup", {
                "municipality": inline_serializer("AreaMunicipality", {"code": serializers.CharField(),
                                                                        "name": serializers.CharField()}),
                "ward": inline_serializer("AreaWard", {"number": serializers.IntegerField(),
                                                        "code": serializers.CharField(),
                                                        "year": serializers.IntegerField()}, allow_null=True),
                "suburb": inline_serializer("AreaSuburb", {"name": serializers.CharField(),
                                                            "code": serializers.CharField()}, allow_null=True),
            }),
            400: OpenApiResponse(description="Malformed or out-of-range coordinates."),
            404: OpenApiResponse(description="The point is outside every municipality."),
        },
    )
    def get(self, request):
        point = parse_point(request.query_params)
        match = (
            Municipality.objects.covering(point).with_areas_at(point)
            .values("code", "name", "ward_at", "suburb_at").first()
        )
        if match is None:
            raise NotFound(f"The point {point.y:.6f}, {point.x:.6f} (lat, lon) is outside every municipality we serve.")
        ward, suburb = match["ward_at"], match["suburb_at"]
        return Response({
            "municipality": {"code": match["code"], "name": match["name"]},
            "ward": {key: ward[key] for key in ("number", "code", "year")} if ward else None,
            "suburb": {key: suburb[key] for key in ("name", "code")} if suburb else None,
        })


class WardCollectionView(APIView):
    """Wards as a GeoJSON FeatureCollection, built in SQL."""

    @extend_schema(
        parameters=[
            OpenApiParameter("municipality", str, description="Municipality code, e.g. GT423."),
            YEAR.openapi(),
        ],
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Bad filter.")},
    )
    def get(self, request):
        wards = Ward.objects.all()
        code = request.query_params.get("municipality")
        if code:
            if not Municipality.objects.filter(code=code).exists():
                raise bad_parameter("municipality", f"No municipality has the code '{code}'.")
            wards = wards.filter(municipality__code=code)
        if request.query_params.get("year"):
            wards = wards.of_year(YEAR.parse(request.query_params))
        else:
            wards = wards.current()
        return feature_collection_response(
            wards.order_by("municipality__code", "number"),
            geometry="geom",
            feature_id="code",
            properties={"number": "number", "code": "code", "municipality": "municipality__code",
                        "year": "boundary_set__year"},
        )


class MunicipalityListView(APIView):
    """The municipalities served, with their branding and contact numbers."""

    @extend_schema(responses={200: inline_serializer("MunicipalitySummary", many=True, fields={
        name: serializers.CharField() for name in ("code", "name", "display_name", "colour", "emergency_number",
                                                   "customer_care_number", "customer_care_email", "timezone")})})
    def get(self, request):
        rows = Municipality.objects.order_by("code").values(
            "code", "name", "display_name", "colour", "emergency_number", "customer_care_number",
            "customer_care_email", "timezone",
        )
        return Response(list(rows))
