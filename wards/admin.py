from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from leaflet.admin import LeafletGeoAdmin

from toolkit.admin import MunicipalityScopedAdmin
from wards.models import BoundarySet, Municipality, Suburb, Ward
from wards.services import municipality_settings


class MunicipalityAddForm(forms.ModelForm):
    """A new municipality: its time zone and emergency number, left empty, come from its country
    (wards.services.municipality_settings), never from South Africa's defaults."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("timezone", "emergency_number"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].initial = ""
                self.fields[name].help_text = "Leave empty to take the country's."

    def clean(self):
        data = super().clean()
        if self.errors.get("country"):
            return data
        try:
            defaults = municipality_settings(country=data.get("country"), timezone=data.get("timezone") or None,
                                             emergency_number=data.get("emergency_number") or None)
        except ValidationError as exc:
            self.add_error("timezone", exc)
            return data
        data.update({key: defaults[key] for key in ("timezone", "emergency_number")})
        return data


@admin.register(Municipality)
class MunicipalityAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    municipality_path = "pk"
    list_display = ["code", "name", "boundary_source", "is_generated"]
    search_fields = ["code", "name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MunicipalityAddForm
        return super().get_form(request, obj, change=change, **kwargs)

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
