from django.urls import path

from layers import views

urlpatterns = [
    path("<slug:key>.json", views.tilejson, name="layer-tilejson"),
    path("<slug:key>/<int:z>/<int:x>/<int:y>.mvt", views.tile, name="layer-tile"),
]
