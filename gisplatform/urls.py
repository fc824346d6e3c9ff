from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.lockout import login_name
from gisplatform import basemap, health, languages, metrics, pwa
from layers.ogc import views as ogc_views
from toolkit.ratelimit import limit_writes

urlpatterns = [
    # Log-in posts are rate-limited per address and per login name; failures also lock out (axes).
    path("admin/login/", limit_writes("login", identity=lambda request: login_name(request, None) or "")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    # For load balancers and monitoring: ready to serve (database, Redis, queues), Prometheus metrics.
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # The installable app: favicon, manifests, service worker (gisplatform/pwa.py).
    path("favicon.ico", pwa.favicon, name="favicon"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("basemap/<int:z>/<int:x>/<int:y>", basemap.tile, name="basemap-tile"),
    path("m/<str:code>/manifest.webmanifest", pwa.manifest, name="web-manifest"),
    # Languages: the switcher's form posts here; scripts read their strings from the catalogue, a file
    # (the Content-Security-Policy allows no inline script) named per language (?l=) so caches keep each.
    path("i18n/setlang/", languages.set_language, name="set_language"),
    path("jsi18n/", languages.javascript_catalog, name="javascript-catalog"),
    path("api/v1/", include("wards.api_urls")),
    path("api/v1/", include("assets.api_urls")),
    path("api/v1/", include("triage.api_urls")),
    path("api/v1/", include("heatmaps.api_urls")),
    path("api/v1/", include("directory.api_urls")),
    path("api/v1/", include("channels.api_urls")),
    path("api/v1/", include("residents.api_urls")),
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
    path("", include("channels.urls")),
    path("", include("notices.urls")),
    path("", include("assets.urls")),
    path("", include("triage.urls")),
    path("", include("heatmaps.urls")),
    path("", include("directory.urls")),
    path("", include("wards.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("residents.urls")),
]

# Errors no view answered, in the format of the interface the path belongs to (toolkit.errors).
handler400 = "toolkit.errors.bad_request"
handler403 = "toolkit.errors.permission_denied"
handler404 = "toolkit.errors.page_not_found"
handler500 = "toolkit.errors.server_error"
