from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from triage.models import ApiClient, Category, Comment, Issue, IssueEvent, Media, Question


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
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


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    readonly_fields = ["created_at", "author_label", "is_internal"]


class MediaInline(admin.TabularInline):
    model = Media
    extra = 0
    readonly_fields = ["kind", "content_type", "file", "thumbnail", "size", "created_at"]
    fields = readonly_fields


@admin.register(Issue)
class IssueAdmin(LeafletGeoAdmin):
    list_display = ["reference", "category", "status", "priority", "ward", "department", "channel", "created_at"]
    list_filter = ["municipality", "status", "priority", "channel", "category__kind"]
    search_fields = ["reference", "description", "address"]
    date_hierarchy = "created_at"
    raw_id_fields = ["reporter", "assignee", "asset", "duplicate_of", "ward", "suburb"]
    readonly_fields = ["reference", "token", "created_at", "updated_at", "acknowledged_at", "assigned_at", "started_at",
                       "resolved_at", "closed_at", "time_to_acknowledge", "time_to_resolve", "upvotes"]
    exclude = ["tracking_key"]
    inlines = [EventInline, CommentInline, MediaInline]

    def has_add_permission(self, request):
        return False  # issues are filed through intake (numbered, located, announced), not typed in here


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "may_post_updates", "is_active", "created_at"]
