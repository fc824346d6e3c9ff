from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from leaflet.admin import LeafletGeoAdminMixin

from accounts.models import Department, User
from accounts.roles import ROLE_RANK, grantable_roles, role_rank
from toolkit.admin import MunicipalityScopedAdmin

# Only superusers change these: they are how a person becomes more than a role allows.
SUPERUSER_ONLY_FIELDS = ["is_superuser", "is_staff", "user_permissions"]


@admin.register(User)
class UserAdmin(MunicipalityScopedAdmin, LeafletGeoAdminMixin, BaseUserAdmin):
    """Superusers manage everyone. A municipal administrator manages the people of their own
    municipality who hold only roles below theirs (and their own account), gives only those roles,
    and never superuser, staff status or single permissions."""

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

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        above = [name for name, rank in ROLE_RANK.items() if rank >= role_rank(request.user)]
        others = users.filter(is_superuser=False).exclude(groups__name__in=above)
        return users.filter(Q(pk__in=others.values("pk")) | Q(pk=request.user.pk))

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        own = obj is not None and obj.pk == request.user.pk
        return [*SUPERUSER_ONLY_FIELDS, "municipality", *(["groups", "departments"] if own else [])]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=grantable_roles(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Department)
class DepartmentAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "code", "municipality", "email"]
    list_filter = ["municipality"]
    search_fields = ["name", "code"]
