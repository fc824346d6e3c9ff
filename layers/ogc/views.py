"""The Django adapter for the OGC API - Features core: request in, (status, headers, body) out."""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from layers.auth import REALM, identify
from layers.ogc.core import FeaturesAPI, OGCError, Viewer
from layers.registry import LayerRefused


def api_for(request: HttpRequest) -> FeaturesAPI:
    user = request.user
    return FeaturesAPI(
        base_url=request.build_absolute_uri("/ogc"),
        viewer=Viewer(is_authenticated=user.is_authenticated, is_staff=user.is_authenticated and user.is_staff,
                      user=user),
        render_html=lambda template, context: render_to_string(template, context, request=request),
    )


def respond(result) -> HttpResponse:
    status, headers, body = result
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = REALM  # GIS tools ask for credentials, or send them
    response["Vary"] = "Accept, Cookie, Authorization"
    return response


def accept(request: HttpRequest) -> str:
    return request.headers.get("Accept", "")


def ogc_view(operation: str):
    """A GET view calling FeaturesAPI.<operation>(*path parameters, query, Accept), after reading GIS
    tools' credentials (layers.auth)."""

    @require_safe
    def run(request, **path):
        try:
            identify(request)
        except LayerRefused as refused:
            return respond(OGCError(refused.status, refused.code, refused.description).response())
        # Path parameters in the URL pattern's order: collection_id, then feature_id.
        return respond(getattr(api_for(request), operation)(*path.values(), request.GET, accept(request)))

    run.__name__ = operation
    return run


landing = ogc_view("landing")
conformance = ogc_view("conformance")
api = ogc_view("api")
collections = ogc_view("collections")
collection = ogc_view("collection")
queryables = ogc_view("queryables")
items = ogc_view("items")
item = ogc_view("item")
