"""The admin's rule for municipal staff: everyone but a superuser sees, chooses and changes only
rows of their own municipality. Each app's ModelAdmin says where its rows' municipality is."""

from django.db.models import Model, QuerySet


def is_unscoped(user) -> bool:
    return bool(user.is_superuser)


def municipality_of(user) -> int | None:
    return getattr(user, "municipality_id", None)


class MunicipalityScopedAdmin:
    """Mix into a ModelAdmin (before admin.ModelAdmin). `municipality_path` is the ORM path from the
    model to its municipality's id ("municipality_id", "category__municipality_id", or "pk" for the
    municipality itself). A row outside the user's municipality is not listed, so its page is a 404;
    every foreign-key and many-to-many choice is limited the same way (a subclass that passes its own
    choices scopes them itself, with `scope`)."""

    municipality_path = "municipality_id"

    def scope(self, request, queryset: QuerySet, path: str | None = None) -> QuerySet:
        if is_unscoped(request.user):
            return queryset
        own = municipality_of(request.user)
        if own is None:
            return queryset.none()
        return queryset.filter(**{path or self.municipality_path: own})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = self._scoped_choices(request, db_field.related_model)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        choices = self._scoped_choices(request, db_field.related_model)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _scoped_choices(self, request, model: type[Model]) -> QuerySet | None:
        """The related rows a non-superuser may pick: their municipality itself, or rows that have one."""
        if is_unscoped(request.user):
            return None
        names = {field.name for field in model._meta.get_fields()}
        if model._meta.label == "wards.Municipality":
            return self.scope(request, model._default_manager.all(), "pk")
        if "municipality" in names:
            return self.scope(request, model._default_manager.all(), "municipality_id")
        return None

    def save_model(self, request, obj, form, change):
        """A new row made by municipal staff belongs to their municipality."""
        if (not change and not is_unscoped(request.user) and self.municipality_path == "municipality_id"
                and getattr(obj, "municipality_id", None) is None):
            obj.municipality_id = municipality_of(request.user)
        super().save_model(request, obj, form, change)
