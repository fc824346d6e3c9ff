from django import forms
from django.contrib import admin

from heatmaps.models import CategoryCost, ReportRun, ReportSubscription, SummaryState, UnlocatedIssue
from toolkit.admin import MunicipalityScopedAdmin
from wards.services import country_currency


class CategoryCostForm(forms.ModelForm):
    """The currency, left empty, is the one of the category's municipality's country."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].required = False
            self.fields["currency"].help_text = "ISO 4217 code; leave empty for the municipality's country's currency."
            if not self.instance.pk:
                self.fields["currency"].initial = ""

    def clean_currency(self):
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        category = self.cleaned_data.get("category")
        if not currency and category is not None:
            currency = country_currency(category.municipality.country) or ""
        if not currency:
            raise forms.ValidationError("Give the currency (ISO 4217, e.g. ZAR, USD).")
        return currency


@admin.register(CategoryCost)
class CategoryCostAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    form = CategoryCostForm
    municipality_path = "category__municipality_id"
    list_display = ["category", "unit_cost", "currency", "note", "updated_at"]
    list_filter = ["category__municipality", "currency"]
    search_fields = ["category__name", "category__code"]
    list_select_related = ["category__municipality"]


class ReportRunInline(admin.TabularInline):
    model = ReportRun
    extra = 0
    can_delete = False
    readonly_fields = ["period_start", "period_end", "state", "attempts", "last_error", "created_at", "finished_at"]
    fields = readonly_fields


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["planner", "municipality", "frequency", "file_format", "is_active", "created_at"]
    list_filter = ["municipality", "frequency", "file_format", "is_active"]
    filter_horizontal = ["wards"]
    inlines = [ReportRunInline]


@admin.register(ReportRun)
class ReportRunAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    """Failed and given-up runs are listed here with their errors (they are also logged)."""

    municipality_path = "subscription__municipality_id"

    list_display = ["subscription", "period_start", "period_end", "state", "attempts", "finished_at"]
    list_filter = ["state"]
    readonly_fields = [field.name for field in ReportRun._meta.fields]


@admin.register(UnlocatedIssue)
class UnlocatedIssueAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["external_reference", "municipality", "category", "status", "created_at", "reason", "source"]
    list_filter = ["municipality", "reason", "status"]
    search_fields = ["external_reference"]
    readonly_fields = [field.name for field in UnlocatedIssue._meta.fields]


@admin.register(SummaryState)
class SummaryStateAdmin(admin.ModelAdmin):
    list_display = ["refreshed_at", "watermark", "last_full_at", "last_changed", "last_duration_ms"]
    readonly_fields = [field.name for field in SummaryState._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser  # the platform's own bookkeeping, across municipalities
