from django.urls import path

from layers import views

urlpatterns = [
    path("<slug:key>/download", views.download, name="layer-download"),
]
