from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from leaflet.admin import LeafletGeoAdminMixin

from accounts.models import Department, User


@admin.register(User)
class UserAdmin(LeafletGeoAdminMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "phone", "full_name", "municipality", "is_staff"]
    list_filter = ["is_staff", "is_active", "groups", "municipality"]
    search_fields = ["email", "phone", "full_name"]
    filter_horizontal = ["groups", "user_permissions", "departments"]
    fieldsets = [
        (None, {"fields": ["email", "phone", "password"]}),
        ("Person", {"fields": ["full_name", "home_address", "home_location"]}),
        ("Work", {"fields": ["municipality", "departments"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "phone", "password1", "password2"]})]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "municipality", "email"]
    list_filter = ["municipality"]
    search_fields = ["name", "code"]
