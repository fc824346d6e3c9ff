from django.urls import path

from layers import views
from toolkit.replica import reads_from_replica

urlpatterns = [
    path("project.qgs", views.project, {"suffix": "qgs"}, name="layers-qgis-project"),
    path("project.qgz", views.project, {"suffix": "qgz"}, name="layers-qgis-project-zipped"),
    path("<slug:key>/download", reads_from_replica(views.download), name="layer-download"),
]
