from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from assets.models import Asset, AssetType, Facility, FacilityPhoto, FacilityType, OpeningPeriod
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


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


class FacilityPhotoInline(admin.TabularInline):
    model = FacilityPhoto
    extra = 0


@admin.register(Facility)
class FacilityAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    list_display = ["name", "facility_type", "municipality", "opening_hours", "is_generated"]
    list_filter = ["municipality", "facility_type", "is_generated"]
    search_fields = ["name", "address", "external_id"]
    inlines = [OpeningPeriodInline, FacilityPhotoInline]
