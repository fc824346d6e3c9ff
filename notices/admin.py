from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from notices import notice_permissions, notice_services
from notices.models import OutboundMessage
from notices.notice import MunicipalityNoticeSettings, Notice, NoticeAttachment
from notices.notice_audience import notice_delivery_report, notice_retry_failed
from notices.notice_targets import NoticeRefused
from toolkit.admin import MunicipalityScopedAdmin
from wards.models import Municipality


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "address", "subject", "state", "attempts"]
    list_filter = ["channel", "state"]
    search_fields = ["address", "subject", "topic"]
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]

    def get_queryset(self, request):
        """Messages about the issues of the viewer's municipality (their topic names the issue); the
        rest, and everything for a superuser, only to a superuser."""
        messages = super().get_queryset(request)
        if request.user.is_superuser:
            return messages
        code = (Municipality.objects.filter(pk=request.user.municipality_id).values_list("code", flat=True).first()
                if request.user.municipality_id else None)
        return messages.filter(topic__startswith=f"issue:{code}-") if code else messages.none()


# --- notices ---------------------------------------------------------------------------------
# The admin lists, reads and edits the wording of notices and runs the workflow's actions; new
# notices and their targets are made on the compose page (/m/<code>/notices/compose/), which draws.



class NoticeAttachmentInline(admin.TabularInline):
    model = NoticeAttachment
    fields = ["title", "kind", "content_type", "size", "created_at"]
    readonly_fields = ["kind", "content_type", "size", "created_at"]
    extra = 0
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # files are checked by content on the compose page and the API


@admin.register(Notice)
class NoticeAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "municipality", "kind", "severity", "state", "publish_at", "expires_at", "version"]
    list_filter = ["state", "kind", "severity", "municipality"]
    search_fields = ["title", "body"]
    date_hierarchy = "publish_at"
    fields = ["municipality", "department", "title", "body", "kind", "severity", "starts_at", "ends_at", "publish_at",
              "expires_at", "related_issues", "state", "target", "version", "compose_link", "delivery"]
    readonly_fields = ["municipality", "state", "target", "version", "compose_link", "delivery"]
    inlines = [NoticeAttachmentInline]
    actions = ["publish", "cancel", "retry_failed"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Target and map"))
    def compose_link(self, obj):
        url = reverse("notices-compose-edit", args=[obj.municipality.code, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open on the compose page"))

    @admin.display(description=_("Delivery"))
    def delivery(self, obj):
        report = notice_delivery_report(notice=obj)
        return "; ".join(f"{channel}: " + ", ".join(f"{count} {state}" for state, count in states.items())
                         for channel, states in report.items()) or "—"

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in notice_services.EDITABLE}
        try:
            notice_services.notice_write(municipality=obj.municipality, actor=request.user,
                                         notice=Notice.objects.get(pk=obj.pk), **values)
        except NoticeRefused as exc:
            self.message_user(request, f"{exc.field}: {exc}", messages.ERROR)

    @admin.action(description=_("Publish the chosen notices"), permissions=["publish"])
    def publish(self, request, queryset):
        self._each(request, queryset, lambda notice: notice_services.notice_publish(notice=notice, actor=request.user))

    @admin.action(description=_("Cancel the chosen notices"), permissions=["publish"])
    def cancel(self, request, queryset):
        self._each(request, queryset, lambda notice: notice_services.notice_cancel(notice=notice, actor=request.user))

    @admin.action(description=_("Retry the failed messages"), permissions=["publish"])
    def retry_failed(self, request, queryset):
        self._each(request, queryset, lambda notice: notice_retry_failed(notice=notice))

    def has_publish_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("notices.publish_notice")

    def _each(self, request, queryset, action):
        for notice in queryset:
            if not notice_permissions.can_publish(request.user, notice):
                continue
            try:
                action(notice)
            except NoticeRefused as exc:
                self.message_user(request, f"{notice}: {exc}", messages.ERROR)


@admin.register(MunicipalityNoticeSettings)
class MunicipalityNoticeSettingsAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["municipality", "requires_approval", "sms_price", "currency"]
