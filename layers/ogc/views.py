"""The Django adapter for the OGC API - Features core: request in, (status, headers, body) out."""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from layers.ogc.core import FeaturesAPI, Viewer


def api_for(request: HttpRequest) -> FeaturesAPI:
    user = request.user
    return FeaturesAPI(
        base_url=request.build_absolute_uri("/ogc"),
        viewer=Viewer(is_authenticated=user.is_authenticated, is_staff=user.is_authenticated and user.is_staff),
        render_html=lambda template, context: render_to_string(template, context, request=request),
    )


def respond(result) -> HttpResponse:
    status, headers, body = result
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    response["Vary"] = "Accept, Cookie"
    return response


def accept(request: HttpRequest) -> str:
    return request.headers.get("Accept", "")


@require_GET
def landing(request):
    return respond(api_for(request).landing(request.GET, accept(request)))


@require_GET
def conformance(request):
    return respond(api_for(request).conformance(request.GET, accept(request)))


@require_GET
def collections(request):
    return respond(api_for(request).collections(request.GET, accept(request)))


@require_GET
def collection(request, collection_id: str):
    return respond(api_for(request).collection(collection_id, request.GET, accept(request)))


@require_GET
def items(request, collection_id: str):
    return respond(api_for(request).items(collection_id, request.GET, accept(request)))


@require_GET
def item(request, collection_id: str, feature_id: str):
    return respond(api_for(request).item(collection_id, feature_id, request.GET, accept(request)))
