from django.urls import path

from triage.dispatch import views as board_views
from triage.issues import views

urlpatterns = [
    path("m/<str:code>/report/", views.report_page, name="report-issue"),
    path("m/<str:code>/issues/", views.issues_map, name="issues-map"),
    path("track/", views.track_lookup, name="track-lookup"),
    path("track/<str:reference>/", views.track_issue, name="track-issue"),
    path("track/<str:reference>/follow/<str:token>/", views.follow_confirm, name="follow-confirm"),
    path("board/", board_views.board_home, name="board-home"),
    path("board/<str:code>/", board_views.board_page, name="board"),
]
