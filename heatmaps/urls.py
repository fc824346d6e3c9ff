from django.urls import path

from heatmaps import views

urlpatterns = [
    path("m/<str:code>/planning/", views.dashboard, name="heatmaps-dashboard"),
    path("heatmaps/leaflet-heat.js", views.leaflet_heat, name="heatmaps-leaflet-heat"),
]
