from django.urls import path

from wards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("m/<str:code>/", views.municipality_map, name="municipality-map"),
    path("m/<str:code>/home/", views.municipality_home, name="municipality-home"),
]
