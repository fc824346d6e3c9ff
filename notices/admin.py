from django.contrib import admin

from notices.models import OutboundMessage
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
