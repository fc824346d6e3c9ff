from django.urls import path

from heatmaps import api
from toolkit.replica import reads_from_replica

urlpatterns = [
    path("heatmaps/figures", reads_from_replica(api.FiguresView.as_view()), name="heatmaps-figures"),
    path("heatmaps/choropleth", reads_from_replica(api.ChoroplethView.as_view()), name="heatmaps-choropleth"),
    path("heatmaps/hexgrid", reads_from_replica(api.HexGridView.as_view()), name="heatmaps-hexgrid"),
    path("heatmaps/density", reads_from_replica(api.DensityView.as_view()), name="heatmaps-density"),
    path("heatmaps/trends", api.TrendsView.as_view(), name="heatmaps-trends"),
    path("heatmaps/forecast", api.ForecastView.as_view(), name="heatmaps-forecast"),
    path("heatmaps/exports/<str:table>.<str:extension>", reads_from_replica(api.ExportView.as_view()), name="heatmaps-export"),
    path("heatmaps/report.pdf", api.ReportView.as_view(), name="heatmaps-report"),
    path("heatmaps/map.html", api.OfflineMapView.as_view(), name="heatmaps-offline-map"),
    path("heatmaps/freshness", api.FreshnessView.as_view(), name="heatmaps-freshness"),
    path("heatmaps/asset-hotspots", api.AssetHotspotsView.as_view(), name="heatmaps-asset-hotspots"),
    path("open-data/area-figures.<str:extension>", api.OpenDataAreaFiguresView.as_view(), name="open-data-area-figures"),
    path("heatmaps/subscriptions", api.SubscriptionsView.as_view(), name="heatmaps-subscriptions"),
    path("heatmaps/subscriptions/<int:subscription_id>", api.SubscriptionDetailView.as_view(),
         name="heatmaps-subscription"),
]
