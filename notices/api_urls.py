from django.urls import path

from notices import notice_api

urlpatterns = [
    path("notices", notice_api.NoticeListView.as_view(), name="api-notices"),
    path("notices/<int:notice_id>", notice_api.NoticeDetailView.as_view(), name="api-notice"),
    path("staff/notices", notice_api.StaffNoticeListView.as_view(), name="api-staff-notices"),
    path("staff/notices/<int:notice_id>", notice_api.StaffNoticeView.as_view(), name="api-staff-notice"),
    path("staff/notices/<int:notice_id>/attachments", notice_api.StaffNoticeAttachmentView.as_view(),
         name="api-staff-notice-attachments"),
    path("staff/notices/<int:notice_id>/audience", notice_api.StaffNoticeAudienceView.as_view(),
         name="api-staff-notice-audience"),
    path("staff/notices/<int:notice_id>/delivery", notice_api.StaffNoticeDeliveryView.as_view(),
         name="api-staff-notice-delivery"),
    *[path(f"staff/notices/<int:notice_id>/{action}",
           notice_api.StaffNoticeActionView.as_view(action=action), name=f"api-staff-notice-{action}")
      for action in ("submit", "publish", "cancel", "retry")],
]
