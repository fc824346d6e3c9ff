from django.urls import path
from django.views.i18n import JavaScriptCatalog

from notices import notice_feeds, notice_views

urlpatterns = [
    path("m/<str:code>/notices/", notice_views.notices_page, name="notices-page"),
    path("m/<str:code>/notices/<int:notice_id>/", notice_views.notice_page, name="notice-page"),
    path("m/<str:code>/notices/feed.atom", notice_feeds.MunicipalityNoticesFeed(), name="notices-feed"),
    path("m/<str:code>/wards/<int:number>/notices/feed.atom", notice_feeds.MunicipalityNoticesFeed(),
         name="notices-ward-feed"),
    path("m/<str:code>/notices/events.ics", notice_feeds.events_calendar, name="notices-calendar"),
    path("m/<str:code>/notices/compose/", notice_views.compose_page, name="notices-compose"),
    path("m/<str:code>/notices/compose/<int:notice_id>/", notice_views.compose_page, name="notices-compose-edit"),
    path("notices/files/<int:attachment_id>", notice_views.attachment_file, name="notice-attachment"),
    path("notices/files/<int:attachment_id>/preview", notice_views.attachment_file, {"preview": True},
         name="notice-attachment-preview"),
    path("notices/jsi18n/", JavaScriptCatalog.as_view(packages=["notices"]), name="notices-jsi18n"),
]
