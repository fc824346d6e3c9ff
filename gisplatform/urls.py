from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.lockout import login_name
from gisplatform import health
from layers.ogc import views as ogc_views
from toolkit.ratelimit import limit_writes

urlpatterns = [
    # Log-in posts are rate-limited per address and per login name; failures also lock out (axes).
    path("admin/login/", limit_writes("login", identity=lambda request: login_name(request, None) or "")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", include("wards.api_urls")),
    path("api/v1/", include("assets.api_urls")),
    path("api/v1/", include("triage.api_urls")),
    path("api/v1/", include("heatmaps.api_urls")),
    path("api/v1/", include("notices.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"), name="api-docs"),
    # QGIS's OAPIF provider does not follow the redirect to /ogc/: the landing page answers at both.
    path("ogc", ogc_views.landing, name="ogc-landing-without-slash"),
    path("ogc/", include("layers.ogc.urls")),
    path("open311/v2/", include("triage.open311.urls")),
    path("tiles/", include("layers.tile_urls")),
    path("layers/", include("layers.urls")),
    path("media/issues/", include("triage.media.urls")),
    path("", include("notices.urls")),
    path("", include("assets.urls")),
    path("", include("triage.urls")),
    path("", include("heatmaps.urls")),
    path("", include("wards.urls")),
]

# Errors no view answered, in the format of the interface the path belongs to (toolkit.errors).
handler400 = "toolkit.errors.bad_request"
handler403 = "toolkit.errors.permission_denied"
handler404 = "toolkit.errors.page_not_found"
handler500 = "toolkit.errors.server_error"
