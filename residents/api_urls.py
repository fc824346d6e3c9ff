from django.urls import path

from residents import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="me"),
    path("me/places", api.PlaceListView.as_view(), name="me-places"),
    path("me/places/<int:pk>", api.PlaceView.as_view(), name="me-place"),
    path("me/alerts", api.AlertListView.as_view(), name="me-alerts"),
    path("me/alerts/<int:pk>", api.AlertView.as_view(), name="me-alert"),
    path("me/preferences", api.PreferencesView.as_view(), name="me-preferences"),
]
