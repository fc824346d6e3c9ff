"""Provider accounts with what their messages cost, landmarks for the gazetteer, and the messages
received: all scoped to the user's municipality (toolkit.admin.MunicipalityScopedAdmin)."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from channels.models import Conversation, InboundMessage, Landmark, ProviderAccount
from notices.models import OutboundMessage
from toolkit.admin import MunicipalityScopedAdmin


def _outbound_totals(field: str, aggregate):
    per_account = (OutboundMessage.objects.filter(provider=OuterRef("key")).order_by().values("provider")
                   .annotate(total=aggregate).values("total"))
    return Subquery(per_account[:1])


@admin.register(ProviderAccount)
class ProviderAccountAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["key", "municipality", "provider", "channel", "address", "is_active", "cost_per_message",
                    "messages_sent", "total_cost", "messages_received"]
    list_filter = ["provider", "channel", "is_active"]
    search_fields = ["key", "address"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("municipality").annotate(
            sent=Coalesce(_outbound_totals("pk", Count("pk")), Value(0)),
            cost=Coalesce(_outbound_totals("cost", Sum("cost")), Value(0), output_field=DecimalField()),
            received=Count("inbound_messages", distinct=True),
        )

    @admin.display(description=_("Sent"), ordering="sent")
    def messages_sent(self, account):
        return account.sent

    @admin.display(description=_("Cost (R)"), ordering="cost")
    def total_cost(self, account):
        return f"{account.cost:.2f}"

    @admin.display(description=_("Received"), ordering="received")
    def messages_received(self, account):
        return account.received


@admin.register(Landmark)
class LandmarkAdmin(MunicipalityScopedAdmin, GISModelAdmin):
    list_display = ["name", "municipality"]
    search_fields = ["name"]
    exclude = ["added_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InboundMessage)
class InboundMessageAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "account__municipality_id"
    list_display = ["received_at", "account", "channel", "text_start", "handled_at", "issue"]
    list_filter = ["channel", "provider"]
    readonly_fields = [field.name for field in InboundMessage._meta.fields]
    list_select_related = ["account", "issue"]

    @admin.display(description=_("Text"))
    def text_start(self, message):
        return message.text[:60]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    municipality_path = "account__municipality_id"
    list_display = ["phone", "channel", "state", "language", "expires_at", "opted_out_at", "updated_at"]
    list_filter = ["channel", "state"]
    readonly_fields = ["phone", "channel", "account", "state", "draft", "expires_at", "updated_at"]
