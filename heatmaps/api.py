"""The planners' API under /api/v1/heatmaps/: every figure, map, trend and forecast as JSON (maps
as GeoJSON), the tables as CSV or XLSX, the PDF report, the offline HTML map, and scheduled-report
subscriptions. Views parse, authorise and render; the work is in heatmaps.figures and friends.

Who may read: staff with `heatmaps.view_figures` (the planner role), for their own municipality
(superusers: any). Every answer reads a summary at most a minute old (heatmaps.refresh).
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from heatmaps import exports, figures, hotspots, open_data, projections
from heatmaps.grid import HEX_SIZE_RANGE
from heatmaps.models import ReportSubscription
from heatmaps.query import FigureQuery, parse_figure_query
from heatmaps.refresh import summary_ensure_fresh, summary_freshness
from toolkit.api import NumberParameter, bad_parameter, parse_bool
from toolkit.geojson import GEOJSON_CONTENT_TYPE


class IsPlanner(BasePermission):
    message = "Figures are for municipal staff with the planner role."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("heatmaps.view_figures"))


def may_read(user, municipality) -> bool:
    return user.is_superuser or user.municipality_id == municipality.id


def figure_query(request) -> FigureQuery:
    query = parse_figure_query(request.query_params)  # a BadParameter is a 400 (toolkit.api)
    if not may_read(request.user, query.municipality):
        raise PermissionDenied(f"You may read the figures of your own municipality, not {query.municipality.code}.")
    summary_ensure_fresh()
    return query


def parse_choice(params, name: str, choices, default: str) -> str:
    value = (params.get(name) or default).strip()
    if value not in choices:
        raise bad_parameter(name, f"'{value}' is not one of: {', '.join(choices)}.")
    return value


QUERY_PARAMETERS = [
    OpenApiParameter("municipality", str, required=True, description="Municipality code, e.g. GT423."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First local day of the period (default: 364 days before `to`)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last local day of the period, included (default: today)."),
    OpenApiParameter("level", str, enum=["ward", "suburb"], description="Areas of the figures (default ward)."),
    OpenApiParameter("year", int, description="Ward demarcation year (default: the current demarcation)."),
    OpenApiParameter("ward", str, description="Only this ward (its code, or its number in the demarcation)."),
    OpenApiParameter("category", str, description="Category codes, comma-separated."),
    OpenApiParameter("kind", str, description="fault, service_request, information_request, compliment (comma-separated)."),
    OpenApiParameter("department", str, description="Department codes, comma-separated."),
    OpenApiParameter("channel", str, description="web, api, sms, whatsapp, ussd, staff, phone, import (comma-separated)."),
    OpenApiParameter("status", str, description="open, closed, or statuses (comma-separated), as they are now."),
]
FIGURE_KEYS = [figure.key for figure in figures.FIGURES]
GEOJSON = OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection (application/geo+json).")


def geojson_response(text: str) -> HttpResponse:
    return HttpResponse(text, content_type=GEOJSON_CONTENT_TYPE)


class PlannerView(APIView):
    permission_classes = [IsPlanner]


class FiguresView(PlannerView):
    """Every figure per ward or suburb for the period and filters, with the areas outside, the
    imported issues without a location, and the municipality's total."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, OpenApiParameter(
        "figures", str, description=f"Only these figures (comma-separated): {', '.join(FIGURE_KEYS)}.")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        query = figure_query(request)
        chosen = None
        if request.query_params.get("figures"):
            keys = [key.strip() for key in request.query_params["figures"].split(",") if key.strip()]
            unknown = [key for key in keys if key not in figures.FIGURES_BY_KEY]
            if unknown:
                raise bad_parameter("figures", f"unknown figure {', '.join(unknown)}; use: {', '.join(FIGURE_KEYS)}.")
            chosen = [figures.FIGURES_BY_KEY[key] for key in keys]
        return Response({**figures.figures_by_area(query, chosen), "freshness": summary_freshness()})


class ChoroplethView(PlannerView):
    """The areas as GeoJSON with one figure as each feature's `value` (0 for an area without issues)."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, OpenApiParameter(
        "figure", str, enum=FIGURE_KEYS, description="The figure to map (default logged).")],
        responses={(200, GEOJSON_CONTENT_TYPE): GEOJSON})
    def get(self, request):
        query = figure_query(request)
        figure = figures.FIGURES_BY_KEY[parse_choice(request.query_params, "figure", FIGURE_KEYS, "logged")]
        return geojson_response(figures.choropleth_geojson(query, figure))


HEX_SIZE = NumberParameter("size", *HEX_SIZE_RANGE, default=500, description="Hexagon edge length in metres (default 500).")
DENSITY_CELL = NumberParameter("cell", 25, 5000, default=200, description="Square size in metres (default 200).")
FORECAST_MONTHS = NumberParameter("months", 1, 24, default=6, description="Months to forecast from the current one (default 6).")
FORECAST_HISTORY = NumberParameter("history", 3, 600,
                                   description="Whole months of history to fit (default: 24, or every month since "
                                               "`from` when that is earlier).")


def parse_hex_size(params) -> int:
    return HEX_SIZE.parse(params)


HEX_PARAMETERS = [
    HEX_SIZE.openapi(),
    OpenApiParameter("include_empty", bool, description="Also the hexagons of the municipality without issues (0)."),
]


class HexGridView(PlannerView):
    """Issues logged in the period per hexagon (`size` metres edge), laid in the municipality's
    UTM zone (ST_HexagonGrid cells) and returned in WGS 84."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, *HEX_PARAMETERS], responses={(200, GEOJSON_CONTENT_TYPE): GEOJSON})
    def get(self, request):
        query = figure_query(request)
        size = parse_hex_size(request.query_params)
        include_empty = parse_bool(request.query_params, "include_empty")
        return geojson_response(figures.hexgrid_geojson(query, size, include_empty=include_empty))


class DensityView(PlannerView):
    """Issues logged in the period per square of `cell` metres, as weighted points for a heat layer."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, DENSITY_CELL.openapi()], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        query = figure_query(request)
        cell = DENSITY_CELL.parse(request.query_params)
        return Response(figures.density_points(query, cell))


TREND_PARAMETERS = [
    OpenApiParameter("interval", str, enum=["week", "month"], description="Week (Monday to Sunday) or month (default)."),
    OpenApiParameter("by", str, enum=["total", "area", "category"],
                     description="One series in total (default), per area or per category."),
]


def trend_options(params) -> dict:
    return {"interval": parse_choice(params, "interval", ["week", "month"], "month"),
            "by": parse_choice(params, "by", ["total", "area", "category"], "total")}


class TrendsView(PlannerView):
    """Issues logged and resolved per week or month, and the open backlog at each period's end."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, *TREND_PARAMETERS], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        query = figure_query(request)
        return Response(figures.trend_series(query, **trend_options(request.query_params)))


FORECAST_PARAMETERS = [
    FORECAST_MONTHS.openapi(),
    FORECAST_HISTORY.openapi(),
    OpenApiParameter("by", str, enum=list(projections.BY), description="Series: total (default), area, category, area_category."),
    OpenApiParameter("method", str, enum=list(projections.METHODS),
                     description="auto (seasonal naive with 24+ months, else linear trend), seasonal_naive, linear_trend."),
    OpenApiParameter("band", int, enum=[80, 90, 95], description="Prediction interval level in percent (default 80)."),
]


def forecast_options(params) -> dict:
    band = parse_choice(params, "band", ["80", "90", "95"], "80")
    return {
        "months": FORECAST_MONTHS.parse(params),
        "history": FORECAST_HISTORY.parse(params),
        "by": parse_choice(params, "by", projections.BY, "total"),
        "method": parse_choice(params, "method", projections.METHODS, "auto"),
        "level": int(band),
    }


class ForecastView(PlannerView):
    """Next months' volumes per area and/or category with a prediction band, and the projected
    cost where categories have a unit cost (the budget forecast)."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, *FORECAST_PARAMETERS], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        query = figure_query(request)
        return Response(projections.forecast_table(query, **forecast_options(request.query_params)))


def table_options(table: str, params) -> dict:
    if table == "trends":
        return trend_options(params)
    if table == "forecast":
        return forecast_options(params)
    if table == "hexgrid":
        return {"size": parse_hex_size(params), "include_empty": parse_bool(params, "include_empty")}
    if table == "asset-hotspots":
        return hotspot_options(params)
    return {}


HOTSPOT_LIMIT = NumberParameter("limit", 1, hotspots.MAX_HOTSPOTS, default=50,
                                description="At most this many assets (default 50).")
HOTSPOT_MIN = NumberParameter("min_issues", 1, 1000, default=2,
                              description="Only assets with at least this many issues in the period (default 2: repeats).")


def hotspot_options(params) -> dict:
    return {"limit": HOTSPOT_LIMIT.parse(params), "min_issues": HOTSPOT_MIN.parse(params)}


class AssetHotspotsView(PlannerView):
    """The assets with the most issues reported in the period (the figures' filters apply), most
    first: how many, the last one, and how far the issues stood from the asset (metres on the
    spheroid), as GeoJSON for the map. As CSV or Excel: exports/asset-hotspots.csv."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, HOTSPOT_LIMIT.openapi(), HOTSPOT_MIN.openapi()],
                   responses={(200, GEOJSON_CONTENT_TYPE): GEOJSON})
    def get(self, request):
        query = figure_query(request)
        collection = hotspots.hotspots_geojson(query, **hotspot_options(request.query_params))
        return geojson_response(json.dumps(collection, cls=DjangoJSONEncoder))


class ExportView(PlannerView):
    """Any table as a file: figures, trends, forecast or hexgrid, as csv or xlsx, with the same
    parameters as the table's own endpoint."""

    @extend_schema(parameters=[
        OpenApiParameter("table", str, OpenApiParameter.PATH, enum=list(exports.TABLES)),
        OpenApiParameter("extension", str, OpenApiParameter.PATH, enum=list(exports.FORMATS)),
        *QUERY_PARAMETERS, *HEX_PARAMETERS, *TREND_PARAMETERS[:1], *FORECAST_PARAMETERS,
    ], responses={(200, output.content_type.split(";")[0]): OpenApiTypes.BINARY for output in exports.FORMATS.values()})
    def get(self, request, table: str, extension: str):
        if table not in exports.TABLES:
            raise bad_parameter("table", f"'{table}' is not one of: {', '.join(exports.TABLES)}.")
        if extension not in exports.FORMATS:
            raise bad_parameter("extension", f"'{extension}' is not one of: {', '.join(exports.FORMATS)}.")
        query = figure_query(request)
        output = exports.FORMATS[extension]
        content = output.render(exports.TABLES[table](query, table_options(table, request.query_params)))
        return attachment(content, output.content_type, exports.export_filename(query, table, extension))


def attachment(content: bytes, content_type: str, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


class ReportView(PlannerView):
    """The PDF report of the municipality, or of one ward (`ward=`): key figures, the per-area
    table, a choropleth and a hex-grid map, monthly trends and the forecast."""

    @extend_schema(parameters=QUERY_PARAMETERS, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request):
        from heatmaps.reports import report_pdf

        query = figure_query(request)
        return attachment(report_pdf(query), "application/pdf", exports.export_filename(query, "report", "pdf"))


class OfflineMapView(PlannerView):
    """A standalone interactive HTML map (folium) of the choropleth, the hex grid and the density,
    with every script and style inside the file: it opens offline."""

    @extend_schema(parameters=[*QUERY_PARAMETERS, OpenApiParameter("figure", str, enum=FIGURE_KEYS),
                               HEX_PARAMETERS[0]], responses={(200, "text/html"): OpenApiTypes.STR})
    def get(self, request):
        from heatmaps.offline_map import offline_map_html

        query = figure_query(request)
        figure = figures.FIGURES_BY_KEY[parse_choice(request.query_params, "figure", FIGURE_KEYS, "logged")]
        html = offline_map_html(query, figure, hex_size=parse_hex_size(request.query_params))
        return attachment(html.encode(), "text/html; charset=utf-8", exports.export_filename(query, "map", "html"))


class FreshnessView(PlannerView):
    """How fresh the figures are: when the summary was last refreshed and the bound on its age."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        summary_ensure_fresh()
        return Response(summary_freshness())


# --- scheduled reports ---------------------------------------------------------------------------

class SubscriptionSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    wards = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = ReportSubscription
        fields = ["id", "municipality", "wards", "filters", "file_format", "frequency", "is_active", "created_at"]


class SubscriptionInputSerializer(serializers.Serializer):
    municipality = serializers.CharField(help_text="Municipality code, e.g. GT423.")
    wards = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                  help_text="Ward codes (current demarcation); empty: the whole municipality.")
    filters = serializers.DictField(child=serializers.CharField(), required=False, default=dict,
                                    help_text="category, kind, department, channel, status as in the figures.")
    file_format = serializers.ChoiceField(choices=ReportSubscription.FileFormat.choices, default="pdf")
    frequency = serializers.ChoiceField(choices=ReportSubscription.Frequency.choices, default="monthly")


class SubscriptionsView(PlannerView):
    """Your scheduled reports: list them, or subscribe to a weekly or monthly one."""

    @extend_schema(responses={200: SubscriptionSerializer(many=True)})
    def get(self, request):
        subscriptions = ReportSubscription.objects.filter(planner=request.user).select_related(
            "municipality").prefetch_related("wards")
        return Response(SubscriptionSerializer(subscriptions, many=True).data)

    @extend_schema(request=SubscriptionInputSerializer, responses={201: SubscriptionSerializer})
    def post(self, request):
        from heatmaps.scheduled import ReportRefused, subscription_create

        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            subscription = subscription_create(planner=request.user, **data.validated_data)
        except ReportRefused as exc:
            raise bad_parameter(exc.field, str(exc)) from None
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(PlannerView):
    """Stop one of your scheduled reports."""

    @extend_schema(parameters=[OpenApiParameter("subscription_id", int, OpenApiParameter.PATH)],
                   responses={204: None})
    def delete(self, request, subscription_id: int):
        subscription = get_object_or_404(ReportSubscription, pk=subscription_id, planner=request.user)
        subscription.is_active = False
        subscription.save(update_fields=["is_active"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class OpenDataAreaFiguresView(APIView):
    """Open data, for anyone: per ward, the public issues reported in the period, still open,
    resolved, their median time to resolve and the share resolved within target; reproducible from
    the public issues download (definitions in heatmaps/open_data.py)."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[
        OpenApiParameter("extension", str, OpenApiParameter.PATH, enum=["json", "csv"]),
        OpenApiParameter("municipality", str, required=True, description="Municipality code, e.g. GT423."),
        OpenApiParameter("from", OpenApiTypes.DATE, description="First local day (default: 364 days before `to`)."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last local day, included (default: today)."),
    ], responses={200: OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, extension: str):
        if extension not in ("json", "csv"):
            raise bad_parameter("extension", f"'{extension}' is not one of: json, csv.")
        query = parse_figure_query(request.query_params)
        answer = open_data.area_figures(municipality=query.municipality, first_day=query.first_day,
                                        last_day=query.last_day)
        if extension == "json":
            return Response(answer)
        table = exports.Table("Public issues per ward", open_data.COLUMNS, open_data.area_figures_rows(answer),
                              {"municipality": answer["municipality"], "from": answer["from"], "to": answer["to"]})
        return attachment(exports.FORMATS["csv"].render(table), exports.FORMATS["csv"].content_type,
                          f"{answer['municipality']}-public-issues-per-ward-{answer['from']}-{answer['to']}.csv")
