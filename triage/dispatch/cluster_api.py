"""Issues grouped for the public map, in SQL: GET /api/v1/issues/clusters.

No marker-clustering script is available offline, and sending every point to the browser to
group there does not scale, so PostgreSQL groups them: each issue's point is projected to Web
Mercator (the map's own projection, so a grid cell is the same number of screen pixels
everywhere on the map) and snapped to a grid whose cell is CLUSTER_PIXELS wide at the requested
zoom. One feature per occupied cell: its count, the mean position of its issues, and the extent
to zoom to; a cell holding a single issue names it.

The public list's rules apply: no issues of private categories, no duplicates. The box filter
runs first, on the stored column's GiST index (`location && envelope`); the projection happens
only to the rows that passed it.
"""

import datetime
import math

from django.db import connection
from django.db.models import F, Q
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from toolkit.api import NumberParameter, bad_parameter, parse_bbox
from toolkit.geojson import GEOJSON_CONTENT_TYPE
from triage.issues.api import statuses_from
from triage.issues.models import Issue
from triage.issues.workflow import OPEN_STATUSES, Status

# A cluster is about this many screen pixels across (Leaflet.markercluster's default radius is 80).
CLUSTER_PIXELS = 60
# Web Mercator: the world is 2πR metres wide, drawn on 256 × 2^zoom pixels.
WORLD_WIDTH_M = 2 * math.pi * 6378137
MAX_ZOOM = 22
# A box wider or taller than this many pixels at the requested zoom is not a screen's view: refuse
# it rather than return one feature per issue of a whole country.
MAX_VIEW_PIXELS = 8192
DEFAULT_STATUSES = "open,resolved,closed"
DEFAULT_DAYS = 30
ZOOM = NumberParameter("zoom", 0, MAX_ZOOM, required=True, description="The map's zoom level.")
ENDED_WITHIN = NumberParameter("days", 1, 3650, default=DEFAULT_DAYS, description=(
    f"Issues no longer open count only if they ended within this many days (default {DEFAULT_DAYS})."))


def cell_size_m(zoom: int) -> float:
    """Grid cell width in Web Mercator metres: CLUSTER_PIXELS pixels at `zoom`."""
    return WORLD_WIDTH_M / (256 * 2**zoom) * CLUSTER_PIXELS


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-85.05112878, min(85.05112878, lat))
    radius = WORLD_WIDTH_M / (2 * math.pi)
    return radius * math.radians(lon), radius * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def view_pixels(bbox: tuple[float, float, float, float], zoom: int) -> tuple[float, float]:
    west, south = _mercator(bbox[0], bbox[1])
    east, north = _mercator(bbox[2], bbox[3])
    metres_per_pixel = WORLD_WIDTH_M / (256 * 2**zoom)
    return (east - west) / metres_per_pixel, (north - south) / metres_per_pixel


# Grouping and GeoJSON in one statement around the ORM's filtered rows (the ORM cannot GROUP BY
# an expression and wrap the groups in json_agg). Parameters: zoom, cell size, then the inner
# query's own.
CLUSTER_SQL = """
WITH grid AS (SELECT %s::integer AS zoom, %s::double precision AS cell)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(c.feature ORDER BY c.count DESC, c.first_id), '[]'::json),
    'numberMatched', coalesce(sum(c.count), 0),
    'zoom', (SELECT zoom FROM grid),
    'cell_m', (SELECT round(cell::numeric, 1) FROM grid)
)::text
FROM (
    SELECT count(*) AS count, min(p.id) AS first_id,
           json_build_object(
               'type', 'Feature',
               'geometry', ST_AsGeoJSON(ST_Transform(ST_Centroid(ST_Collect(p.mercator)), 4326), 6)::json,
               'properties', json_build_object(
                   'count', count(*),
                   'reference', CASE WHEN count(*) = 1 THEN min(p.reference) END,
                   'status', CASE WHEN count(*) = 1 THEN min(p.status) END,
                   'category_name', CASE WHEN count(*) = 1 THEN min(p.category_name) END,
                   'bbox', json_build_array(round(ST_XMin(ST_Extent(p.location))::numeric, 6),
                                            round(ST_YMin(ST_Extent(p.location))::numeric, 6),
                                            round(ST_XMax(ST_Extent(p.location))::numeric, 6),
                                            round(ST_YMax(ST_Extent(p.location))::numeric, 6))
               )
           ) AS feature
    FROM (SELECT i.*, ST_Transform(i.location, 3857) AS mercator FROM ({inner}) AS i) AS p
    CROSS JOIN grid
    GROUP BY ST_SnapToGrid(p.mercator, grid.cell)
) AS c
"""


def public_map_issues(*, municipality: str = "", categories: list[str] | None = None, statuses: list[str],
                      ended_since: datetime.datetime, bbox: tuple[float, float, float, float]):
    """What the public map shows: public categories, no duplicates, open issues and those that
    ended (resolved, closed, rejected) since `ended_since`, inside the box."""
    issues = Issue.objects.public().filter(category__is_private=False, status__in=statuses)
    if municipality:
        issues = issues.of_municipality(municipality)
    if categories:
        issues = issues.filter(category__code__in=categories)
    issues = issues.filter(
        Q(status__in=OPEN_STATUSES) | Q(resolved_at__gte=ended_since) | Q(closed_at__gte=ended_since)
    )
    return issues.in_bbox(bbox)


class IssueClusterView(APIView):
    """Issues grouped on a grid sized for the map's zoom: one GeoJSON feature per occupied cell."""

    @extend_schema(
        parameters=[
            OpenApiParameter("bbox", str, required=True, description="minLon,minLat,maxLon,maxLat (WGS 84): the map's view."),
            ZOOM.openapi(),
            OpenApiParameter("municipality", str, description="e.g. GT423."),
            OpenApiParameter("category", str, description="Category code(s), comma-separated."),
            OpenApiParameter("status", str, description=f"open, closed, or status names, comma-separated "
                                                        f"(default {DEFAULT_STATUSES})."),
            ENDED_WITHIN.openapi(),
        ],
        responses={(200, GEOJSON_CONTENT_TYPE): OpenApiTypes.OBJECT,
                   400: OpenApiResponse(description="A bad parameter, named.")},
        operation_id="issues_clusters",
    )
    def get(self, request):
        params = request.query_params
        bbox = parse_bbox(params)
        if bbox is None:
            raise bad_parameter("bbox", "This parameter is required: minLon,minLat,maxLon,maxLat.")
        zoom = ZOOM.parse(params)
        width, height = view_pixels(bbox, zoom)
        if max(width, height) > MAX_VIEW_PIXELS:
            raise bad_parameter("bbox", f"The box is {max(width, height):,.0f} pixels across at zoom {zoom}; "
                                        f"at most {MAX_VIEW_PIXELS} (zoom out, or send the map's view).")
        municipality = params.get("municipality", "").strip()
        if municipality:
            from wards.models import Municipality

            if not Municipality.objects.filter(code=municipality).exists():
                raise bad_parameter("municipality", f"No municipality has the code '{municipality}'.")
        categories = [code.strip() for code in params.get("category", "").split(",") if code.strip()]
        statuses = [s for s in statuses_from(params.get("status") or DEFAULT_STATUSES) if s != Status.DUPLICATE]
        days = ENDED_WITHIN.parse(params)

        issues = public_map_issues(municipality=municipality, categories=categories, statuses=statuses,
                                   ended_since=timezone.now() - datetime.timedelta(days=days), bbox=bbox)
        rows = issues.order_by().values("id", "reference", "status", "location", category_name=F("category__name"))
        inner_sql, inner_params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(CLUSTER_SQL.replace("{inner}", inner_sql), [zoom, cell_size_m(zoom), *inner_params])
            body = cursor.fetchone()[0]
        return HttpResponse(body, content_type=GEOJSON_CONTENT_TYPE)
