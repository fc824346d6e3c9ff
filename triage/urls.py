from django.urls import path

from triage.dispatch import views as board_views
from triage.issues import views
from triage.residents import act, mine, privacy, subscriptions

urlpatterns = [
    path("m/<str:code>/report/", views.report_page, name="report-issue"),
    path("m/<str:code>/issues/", views.issues_map, name="issues-map"),
    path("track/", views.track_lookup, name="track-lookup"),
    path("track/<str:reference>/", views.track_issue, name="track-issue"),
    path("track/<str:reference>/follow/<str:token>/", views.follow_confirm, name="follow-confirm"),
    path("act/<str:token>/", act.act_on_issue, name="act-on-issue"),
    path("me/privacy/", privacy.privacy_page, name="resident-privacy"),
    path("me/issues/", mine.my_issues_page, name="my-issues"),
    path("alerts/confirm/<str:token>/", subscriptions.alert_confirm_page, name="alert-confirm"),
    path("alerts/unsubscribe/<str:token>/", subscriptions.alert_unsubscribe_page, name="alert-unsubscribe"),
    path("board/", board_views.board_home, name="board-home"),
    path("board/<str:code>/", board_views.board_page, name="board"),
]
