from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from toolkit.admin import MunicipalityScopedAdmin
from wards.models import BoundarySet, Municipality, Suburb, Ward


@admin.register(Municipality)
class MunicipalityAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    municipality_path = "pk"
    list_display = ["code", "name", "boundary_source", "is_generated"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return request.user.is_superuser  # a new municipality is set up by the platform's operators

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(BoundarySet)
class BoundarySetAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["municipality", "year", "is_current", "is_generated", "source", "imported_at"]
    list_filter = ["municipality", "is_current"]


@admin.register(Ward)
class WardAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    list_display = ["number", "code", "municipality", "boundary_set"]
    list_filter = ["municipality", "boundary_set__year", "boundary_set__is_current"]
    search_fields = ["code"]


@admin.register(Suburb)
class SuburbAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    list_display = ["name", "code", "municipality", "is_generated"]
    list_filter = ["municipality"]
    search_fields = ["name", "code"]
