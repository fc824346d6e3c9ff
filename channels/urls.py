from django.urls import path

from channels import views

urlpatterns = [
    path("channels/simulator/", views.simulator, name="channels-simulator"),
    path("channels/<slug:provider>/inbound", views.inbound, name="channels-inbound"),
    path("channels/<slug:provider>/status", views.status, name="channels-status"),
]
