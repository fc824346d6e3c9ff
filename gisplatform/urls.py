from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gisplatform import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", include("wards.api_urls")),
    path("api/v1/", include("assets.api_urls")),
    path("api/v1/", include("triage.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("ogc/", include("layers.ogc.urls")),
    path("open311/v2/", include("triage.open311.urls")),
    path("tiles/", include("layers.tile_urls")),
    path("layers/", include("layers.urls")),
    path("media/issues/", include("triage.media_urls")),
    path("", include("assets.urls")),
    path("", include("triage.urls")),
    path("", include("wards.urls")),
]
