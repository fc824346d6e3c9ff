from django import forms
from django.contrib import admin, messages
from leaflet.admin import LeafletGeoAdmin

from toolkit.admin import MunicipalityScopedAdmin, is_unscoped, municipality_of
from triage.dispatch.models import RoutingRule
from triage.issues.models import Category, Comment, Issue, IssueEvent, Question
from triage.issues.permissions import can_see_internal
from triage.media.models import Media
from triage.open311.models import ApiClient
from triage.open311.services import api_client_create, api_client_new_key


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Category)
class CategoryAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "municipality", "kind", "default_department", "asset_type", "sla_hours", "is_private",
                    "is_active"]
    list_filter = ["municipality", "kind", "is_private", "is_active"]
    search_fields = ["name", "code", "group"]
    inlines = [QuestionInline]


class EventInline(admin.TabularInline):
    model = IssueEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "action", "actor", "actor_label", "from_status", "to_status", "public_note", "internal_note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class PublicEventInline(EventInline):
    """The history without internal notes, for staff who may not read them."""

    readonly_fields = ["at", "action", "actor_label", "from_status", "to_status", "public_note"]
    fields = readonly_fields


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "author_label", "is_internal", "body"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class PublicCommentInline(CommentInline):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_internal=False)


class MediaInline(admin.TabularInline):
    model = Media
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "content_type", "file", "thumbnail", "size", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


# Who reported and what they answered: only for staff who may read internal notes on this issue.
REPORTER_FIELDS = ["reporter", "reporter_name", "reporter_phone", "reporter_email", "answers"]


@admin.register(Issue)
class IssueAdmin(LeafletGeoAdmin):
    """Issues to look up, read-only: they change on the dispatcher board, through the services that
    write their history and tell the reporter. Staff see the issues their role reaches
    (IssueQuerySet.visible_to_staff), and reporter details only where they may read internal notes."""

    list_display = ["reference", "category", "status", "priority", "ward", "department", "channel", "created_at"]
    list_filter = ["status", "priority", "channel", "category__kind"]
    search_fields = ["reference", "description", "address"]
    date_hierarchy = "created_at"
    exclude = ["tracking_key", "token"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to_staff(request.user)

    def get_list_filter(self, request):
        return ["municipality", *self.list_filter] if request.user.is_superuser else self.list_filter

    def get_exclude(self, request, obj=None):
        if obj is not None and can_see_internal(request.user, obj):
            return self.exclude
        return [*self.exclude, *REPORTER_FIELDS]

    def get_inlines(self, request, obj):
        if obj is not None and can_see_internal(request.user, obj):
            return [EventInline, CommentInline, MediaInline]
        return [PublicEventInline, PublicCommentInline]

    def has_add_permission(self, request):
        return False  # issues are filed through intake (numbered, located, announced), not typed in here

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ApiClient)
class ApiClientAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    """Open311 clients. The api_key is generated when a client is saved and shown once, in the message
    after saving; only its first characters are kept in view. "Issue a new api_key" replaces a lost one."""

    list_display = ["name", "key_start", "municipality", "may_post_updates", "is_active", "created_at"]
    search_fields = ["name", "key_start"]
    fields = ["name", "municipality", "may_post_updates", "is_active", "key_start", "created_at"]
    readonly_fields = ["key_start", "created_at"]
    actions = ["issue_new_key"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        if not is_unscoped(request.user) and obj.municipality_id is None:  # as MunicipalityScopedAdmin does
            obj.municipality_id = municipality_of(request.user)
        client, key = api_client_create(name=obj.name, municipality=obj.municipality,
                                        may_post_updates=obj.may_post_updates)
        if not obj.is_active:
            ApiClient.objects.filter(pk=client.pk).update(is_active=False)
        obj.pk, obj.key_start = client.pk, client.key_start
        messages.warning(request, f"The api_key of {client.name} is {key} — copy it now: it is not shown again.")

    @admin.action(description="Issue a new api_key (the old one stops working)")
    def issue_new_key(self, request, queryset):
        for client in queryset:
            key = api_client_new_key(client=client)
            messages.warning(request, f"The new api_key of {client.name} is {key} — copy it now: it is not shown again.")


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["municipality", "order", "name", "category", "wards", "area", "asset_type", "department", "is_active"]

    def clean(self):
        data = super().clean()
        municipality = data.get("municipality")
        if municipality is None:
            return data
        for name in ("category", "department", "asset_type"):
            value = data.get(name)
            if value is not None and value.municipality_id != municipality.pk:
                self.add_error(name, f"{value} belongs to another municipality than {municipality.code}.")
        foreign = [str(ward) for ward in data.get("wards") or [] if ward.municipality_id != municipality.pk]
        if foreign:
            self.add_error("wards", f"Not wards of {municipality.code}: {', '.join(foreign)}.")
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    """Municipal administrators keep their municipality's rules: the list reads top to bottom in
    the order intake tries them, and the area is drawn on the map."""

    form = RoutingRuleForm
    list_display = ["order", "name", "municipality", "category", "ward_numbers", "has_area", "asset_type", "department",
                    "is_active"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["municipality", "is_active", "department", "category"]
    search_fields = ["name"]
    filter_horizontal = ["wards"]
    ordering = ["municipality", "order", "id"]

    def get_queryset(self, request):
        rules = super().get_queryset(request).select_related("municipality", "category", "asset_type", "department")
        return rules.prefetch_related("wards").defer("municipality__boundary")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "wards":  # the current demarcation's: rules match the ward intake finds
            from wards.models import Ward

            wards = Ward.objects.current().select_related("municipality").defer("geom", "municipality__boundary")
            kwargs["queryset"] = self.scope(request, wards).order_by("municipality__code", "number")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="wards")
    def ward_numbers(self, rule):
        return ", ".join(str(ward.number) for ward in rule.wards.all()) or "any"

    @admin.display(description="area", boolean=True)
    def has_area(self, rule):
        return rule.area is not None
