"""Django edges for vector tiles, TileJSON and downloads: parse, authorise, call, respond."""

from django.http import FileResponse, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from gisplatform.params import BadParameter
from layers import exports, features, tiles
from layers.registry import LayerRefused, registry


def refusals(view):
    """A refused layer or a bad parameter becomes the same JSON error body the OGC API uses."""

    def run(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except LayerRefused as refused:
            return JsonResponse({"code": refused.code, "description": refused.description}, status=refused.status)
        except BadParameter as error:
            return JsonResponse({"code": "InvalidParameterValue", "description": str(error)}, status=400)

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return run


@require_GET
@refusals
def tile(request, key: str, z: int, x: int, y: int):
    layer = registry.get_for(key, request.user)
    rows = features.filtered(layer, features.parse_filter(layer, request.GET))
    body = tiles.render_tile(layer, rows, z, x, y)
    tag = tiles.etag(body)
    if tag in [value.strip() for value in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=tiles.CONTENT_TYPE)
    response["ETag"] = tag
    # Public tiles may sit in shared caches for five minutes, then are checked by ETag; staff
    # tiles stay in the browser of the person who may see them.
    response["Cache-Control"] = "public, max-age=300" if layer.public else "private, max-age=0, must-revalidate"
    response["Vary"] = "Cookie"
    return response


@require_GET
@refusals
def tilejson(request, key: str):
    layer = registry.get_for(key, request.user)
    template = request.build_absolute_uri(f"/tiles/{layer.key}/") + "{z}/{x}/{y}.mvt"
    return JsonResponse(tiles.tilejson(layer, tile_url=template))


@require_GET
@refusals
def download(request, key: str):
    """The layer (with the same filters as the OGC API) as a file written by GDAL."""
    layer = registry.get_for(key, request.user)
    requested = request.GET.get("format", "gpkg")
    export_format = exports.EXPORT_FORMATS.get(requested)
    if export_format is None:
        raise BadParameter("format", f"'{requested}' is not one of {', '.join(exports.EXPORT_FORMATS)}.")
    rows = features.filtered(layer, features.parse_filter(layer, request.GET))
    handle = exports.open_export(layer, rows, export_format)
    return FileResponse(handle, as_attachment=True, filename=f"{layer.key}.{export_format.extension}",
                        content_type=export_format.content_type)
