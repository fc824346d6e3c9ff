"""Open311 GeoReport v2 under /open311/v2/: each resource with an optional .xml or .json suffix."""

from django.urls import re_path

from triage.open311 import views

FORMAT = r"(?:\.(?P<format>[A-Za-z0-9]+))?"
NAME = r"[^/.]+"  # service codes are slugs, references and tokens have no dots

urlpatterns = [
    re_path(rf"^discovery{FORMAT}$", views.discovery, name="open311-discovery"),
    re_path(rf"^services{FORMAT}$", views.services, name="open311-services"),
    re_path(rf"^services/(?P<service_code>{NAME}){FORMAT}$", views.service_definition, name="open311-service"),
    re_path(rf"^requests{FORMAT}$", views.requests, name="open311-requests"),
    re_path(rf"^requests/(?P<service_request_id>{NAME}){FORMAT}$", views.request_detail, name="open311-request"),
    re_path(rf"^tokens/(?P<token>{NAME}){FORMAT}$", views.token, name="open311-token"),
    re_path(rf"^servicerequestupdates{FORMAT}$", views.service_request_updates, name="open311-updates"),
    re_path(r"^(?P<path>.*)$", views.unknown, name="open311-unknown"),
]
