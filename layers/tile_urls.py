from django.urls import path

from layers import views
from toolkit.replica import reads_from_replica

urlpatterns = [
    path("<slug:key>.json", reads_from_replica(views.tilejson), name="layer-tilejson"),
    path("<slug:key>/<int:z>/<int:x>/<int:y>.mvt", reads_from_replica(views.tile), name="layer-tile"),
]
