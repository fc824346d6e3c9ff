from django import forms
from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from assets.models import Asset, AssetType, Facility, FacilityPhoto, FacilityType
from assets.opening_hours import OpeningHoursError, parse_opening_hours
from assets.services import facility_opening_hours_replace
from toolkit.admin import MunicipalityScopedAdmin


@admin.register(AssetType)
class AssetTypeAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "geometry_kind", "municipality"]
    list_filter = ["municipality", "geometry_kind"]


@admin.register(Asset)
class AssetAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    list_display = ["external_id", "asset_type", "municipality", "status"]
    list_filter = ["municipality", "asset_type", "status"]
    search_fields = ["external_id"]


@admin.register(FacilityType)
class FacilityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "aliases"]


class FacilityPhotoInline(admin.TabularInline):
    model = FacilityPhoto
    extra = 0


class FacilityForm(forms.ModelForm):
    def clean_opening_hours(self):
        text = (self.cleaned_data.get("opening_hours") or "").strip()
        try:
            parse_opening_hours(text)
        except OpeningHoursError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@admin.register(Facility)
class FacilityAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    form = FacilityForm
    list_display = ["name", "facility_type", "municipality", "opening_hours", "is_generated"]
    list_filter = ["municipality", "facility_type", "is_generated"]
    search_fields = ["name", "address", "external_id"]
    inlines = [FacilityPhotoInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        facility_opening_hours_replace(facilities_periods={obj.pk: obj.opening_hours})
