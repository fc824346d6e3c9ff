"""Django edges for vector tiles, TileJSON and downloads: parse, authorise, call, respond."""

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from layers import exports, features, tiles
from layers.registry import Layer, registry


class Refused(Exception):
    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.response = JsonResponse({"code": code, "description": description}, status=status)


def visible_layer(request: HttpRequest, key: str) -> Layer:
    layer = registry.get(key)
    if layer is None:
        raise Refused(404, "NotFound", f"There is no layer '{key}'.")
    if not layer.visible_to(request.user):
        if not request.user.is_authenticated:
            raise Refused(401, "NotAuthenticated", f"Layer '{key}' is for staff: log in first.")
        raise Refused(403, "Forbidden", f"Layer '{key}' is for staff only.")
    return layer


def refusals(view):
    """A refused layer or a bad parameter becomes the same JSON error body the OGC API uses."""

    def run(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refused as refused:
            return refused.response
        except features.BadParameter as error:
            return JsonResponse({"code": "InvalidParameterValue", "description": str(error)}, status=400)

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return run


@require_GET
@refusals
def tile(request, key: str, z: int, x: int, y: int):
    layer = visible_layer(request, key)
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
    layer = visible_layer(request, key)
    template = request.build_absolute_uri(f"/tiles/{layer.key}/") + "{z}/{x}/{y}.mvt"
    return JsonResponse(tiles.tilejson(layer, tile_url=template))


@require_GET
@refusals
def download(request, key: str):
    """The layer (with the same filters as the OGC API) as a file written by GDAL."""
    layer = visible_layer(request, key)
    requested = request.GET.get("format", "gpkg")
    export_format = exports.EXPORT_FORMATS.get(requested)
    if export_format is None:
        raise features.BadParameter("format", f"'{requested}' is not one of {', '.join(exports.EXPORT_FORMATS)}.")
    rows = features.filtered(layer, features.parse_filter(layer, request.GET))
    handle = exports.open_export(layer, rows, export_format)
    return FileResponse(handle, as_attachment=True, filename=f"{layer.key}.{export_format.extension}",
                        content_type=export_format.content_type)
