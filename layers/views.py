"""Django edges for vector tiles, TileJSON, downloads and the QGIS project: parse, authorise, call, respond."""

import hashlib
from urllib.parse import urlencode

from django.core.cache import caches
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.http import require_safe

from layers import downloads, exports, features, qgis, tiles
from layers.auth import REALM, identify
from layers.registry import LayerRefused, registry
from toolkit import ranges
from toolkit.conf import imbizo_setting
from toolkit.params import BadParameter

AGGREGATED_TILE_SECONDS = 60


def refusals(view):
    """A refused layer or a bad parameter becomes the same JSON error body the OGC API uses; GIS tools'
    credentials (layers.auth) are read first."""

    def run(request, *args, **kwargs):
        try:
            identify(request)
            return view(request, *args, **kwargs)
        except LayerRefused as refused:
            response = JsonResponse({"code": refused.code, "description": refused.description}, status=refused.status)
            if refused.status == 401:
                response["WWW-Authenticate"] = REALM  # GIS tools ask for credentials, or send them
            return response
        except BadParameter as error:
            return JsonResponse({"code": "InvalidParameterValue", "description": str(error)}, status=400)

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return run


class TileGZip(GZipMiddleware):
    """gzip for tiles and TileJSON, without the random padding Django adds against BREACH: nothing a
    client sends is reflected in a tile, and the padding (up to 100 bytes) outweighs the gain on small tiles."""

    max_random_bytes = 0


gzip_tile = decorator_from_middleware(TileGZip)


@gzip_tile  # when the client accepts gzip (every map library and QGIS do): Lesedi's z10 tile 2,135 -> 1,823 bytes
@require_safe
@refusals
def tile(request, key: str, z: int, x: int, y: int):
    layer = registry.get_for(key, request.user)
    feature_filter = features.parse_filter(layer, request.GET)
    if layer.public and layer.aggregated_at(z):
        # Low-zoom tiles of a big point layer read hundreds of thousands of rows (up to a third of a second)
        # and are the same for every visitor of the public map: each worker keeps them for a minute.
        cache_key = "layers:tile:" + hashlib.sha256(
            f"{layer.key}/{z}/{x}/{y}?{urlencode(sorted(request.GET.items()))}".encode()).hexdigest()
        body = caches["per_process"].get(cache_key)
        if body is None:
            body = tiles.filtered_tile(layer, feature_filter, user=request.user, z=z, x=x, y=y)
            caches["per_process"].set(cache_key, body, AGGREGATED_TILE_SECONDS)
    else:
        body = tiles.filtered_tile(layer, feature_filter, user=request.user, z=z, x=x, y=y)
    return cached_for(request, layer, HttpResponse(body, content_type=tiles.CONTENT_TYPE), body)


def cached_for(request, layer, response: HttpResponse, body: bytes) -> HttpResponse:
    """The answer with its weak ETag, or 304 Not Modified when If-None-Match names it (weak comparison,
    or `*`). Public tiles may sit in shared caches for five minutes, then are checked by ETag; staff
    tiles stay in the browser of the person who may see them."""
    tag = tiles.etag(body)
    response = get_conditional_response(request, etag=tag, response=response) or response
    response["ETag"] = tag
    response["Cache-Control"] = "public, max-age=300" if layer.public else "private, max-age=0, must-revalidate"
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


@gzip_tile
@require_safe
@refusals
def tilejson(request, key: str):
    layer = registry.get_for(key, request.user)
    template = request.build_absolute_uri(f"/tiles/{layer.key}/") + "{z}/{x}/{y}.mvt"
    response = JsonResponse(tiles.tilejson(layer, tile_url=template))
    return cached_for(request, layer, response, response.content)


@require_safe
@refusals
def download(request, key: str):
    """The layer (with the same filters as the OGC API) as a file written by GDAL, with HTTP ranges
    (layers.downloads): GDAL's /vsicurl/ opens it in place."""
    layer = registry.get_for(key, request.user)
    requested = request.GET.get("format", "gpkg")
    export_format = exports.EXPORT_FORMATS.get(requested)
    if export_format is None:
        raise BadParameter("format", f"'{requested}' is not one of {', '.join(exports.EXPORT_FORMATS)}.")
    rows = features.filtered(layer, features.parse_filter(layer, request.GET), layer.rows_for(request.user))
    filename = f"{layer.key}.{export_format.extension}"
    cache = "public, max-age=0, must-revalidate" if layer.public else "private, max-age=0, must-revalidate"
    in_pieces = request.method == "HEAD" or "Range" in request.headers or "If-None-Match" in request.headers
    if export_format.stream is not None and not in_pieces:
        # Streamed as PostgreSQL writes it: no temporary file, memory of one block.
        response = StreamingHttpResponse(export_format.stream(layer, rows), content_type=export_format.content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Accept-Ranges"] = "bytes"
        response["Cache-Control"] = cache
        return response
    key = downloads.spool_key(layer, export_format, request.GET, request.user)
    path = downloads.spooled(layer, rows, export_format, key=key, reuse=in_pieces)
    return ranges.file_response(request, path, content_type=export_format.content_type, filename=filename,
                                etag=ranges.file_etag(path, salt=key[:12] + "-"),
                                headers={"Cache-Control": cache, "Vary": "Cookie, Authorization"})


def _project_extent(code: str) -> tuple[float, float, float, float] | None:
    """Where the project opens: the municipality asked for, else the default one (as the home page)."""
    from django.contrib.gis.db.models import Extent

    from wards.models import Municipality

    municipalities = Municipality.objects.exclude(boundary=None)
    if code:
        if not municipalities.filter(code=code).exists():
            raise BadParameter("municipality", f"no municipality with boundaries has the code '{code}'.")
        chosen = municipalities.filter(code=code)
    else:
        default = imbizo_setting("DEFAULT_MUNICIPALITY")
        first = ((default and municipalities.filter(code=default).first())
                 or municipalities.filter(is_generated=False).order_by("code").first()
                 or municipalities.order_by("code").first())
        chosen = municipalities.filter(pk=first.pk) if first else municipalities.none()
    return chosen.aggregate(extent=Extent("boundary"))["extent"]


@require_safe
@refusals
def project(request, suffix: str):
    """A QGIS project adding every layer this person may see, live from /ogc/ (?municipality= says
    where the map opens). Staff layers are listed unticked: QGIS asks for credentials when ticked."""
    body = qgis.build_project(base_url=request.build_absolute_uri("/").rstrip("/"),
                              layers=registry.visible_to(request.user),
                              extent=_project_extent(request.GET.get("municipality", "").strip()))
    if suffix == "qgz":
        body, content_type = qgis.zipped(body), "application/zip"
    else:
        content_type = "application/x-qgis-project; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="imbizo.{suffix}"'
    return response
