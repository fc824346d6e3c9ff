from django.urls import path

from assets import views

urlpatterns = [
    path("m/<str:code>/near/", views.near_me, name="near-me"),
]
