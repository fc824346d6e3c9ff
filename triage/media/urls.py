"""An issue's files, served through the visibility rule (mounted at /media/issues/)."""

from django.urls import path

from triage.media import views as media_views

urlpatterns = [
    path("<int:media_id>/file", media_views.media_file, name="issue-media-file"),
    path("<int:media_id>/thumbnail", media_views.media_thumbnail, name="issue-media-thumbnail"),
]
