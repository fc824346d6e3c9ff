from django.urls import path

from residents import views

urlpatterns = [
    path("me/", views.profile, name="resident-profile"),
    path("me/alerts/", views.alerts_page, name="resident-alerts"),
    path("me/preferences/", views.preferences_page, name="resident-preferences"),
]
