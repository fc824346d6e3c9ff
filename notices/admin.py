from django.contrib import admin

from notices.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "address", "subject", "state", "attempts"]
    list_filter = ["channel", "state"]
    search_fields = ["address", "subject", "topic"]
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]
