from django.contrib import admin, messages

from layers.models import LayerToken
from layers.services import layer_token_create


@admin.register(LayerToken)
class LayerTokenAdmin(admin.ModelAdmin):
    """Staff tokens for GIS tools. A token made here shows its key once, in the message after saving."""

    list_display = ["name", "user", "key_start", "created_at", "last_used_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "user__email", "key_start"]
    fields = ["user", "name", "is_active", "key_start", "created_at", "last_used_at"]
    readonly_fields = ["key_start", "created_at", "last_used_at"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        """Staff keep their own tokens; a superuser sees everyone's."""
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.filter(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = layer_token_create(user=obj.user, name=obj.name)
        obj.pk, obj.key_start = token.pk, token.key_start
        messages.warning(request, f"The layer token is {key} — copy it now: it is not shown again.")
