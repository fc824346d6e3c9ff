"""The municipality admin's delete, made safe at scale (gisplatform/purge.py).

Django's delete (the change page's button and the "Delete selected" action) gathers every related row
into the web worker first. A municipality with more than ADMIN_DELETE_LIMIT issues, or as many
outbound messages, is refused there, with a message pointing at the action that works: "Purge in the
background" queues the purge task (queue "maintenance"), and the list shows each purge's progress.
Superusers only, as the delete was. Installed over the wards app's ModelAdmin by gisplatform.apps,
so the wards app knows nothing of it.
"""

from django.contrib import admin, messages
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gisplatform.purge import ADMIN_DELETE_LIMIT, progress_key


def purge_progress_text(municipality) -> str:
    progress = cache.get(progress_key("municipality", municipality.code))
    if not progress:
        return ""
    if progress["state"] == "done":
        return _("purged")
    return _("purging %(what)s: %(done)s of %(total)s") % progress


def install(site: admin.AdminSite) -> None:
    from wards.models import Municipality

    base = type(site._registry[Municipality])

    class MunicipalityAdmin(base):
        actions = [*(base.actions or []), "purge_in_background"]

        def get_actions(self, request):
            actions = super().get_actions(request)
            actions.pop("delete_selected", None)  # all in memory: the purge replaces it
            if not request.user.is_superuser:
                actions.pop("purge_in_background", None)
            return actions

        def get_list_display(self, request):
            return [*super().get_list_display(request), "purge_progress"]

        @admin.display(description=gettext_lazy("Purge"))
        def purge_progress(self, municipality):
            return purge_progress_text(municipality)

        @admin.action(description=gettext_lazy("Purge in the background (delete with all its issues, in batches)"))
        def purge_in_background(self, request, queryset):
            from gisplatform.tasks import purge

            if not request.user.is_superuser:
                return
            for municipality in queryset.only("code", "name"):
                cache.set(progress_key("municipality", municipality.code),
                          {"state": "running", "what": _("waiting for a worker"), "done": 0, "total": 0}, 24 * 3600)
                purge.delay("municipality", municipality.code)
                self.message_user(request, _("%(name)s (%(code)s) is being purged in the background; this list shows "
                                             "its progress.") % {"name": municipality.name, "code": municipality.code},
                                  messages.INFO)

        def delete_view(self, request, object_id, extra_context=None):
            from notices.models import OutboundMessage

            municipality = self.get_object(request, object_id)
            if municipality is not None and municipality.issues.count() > ADMIN_DELETE_LIMIT:
                self.message_user(request, _(
                    "%(name)s has more than %(limit)s issues: deleting it here would load them all into memory. "
                    "Use the action \"Purge in the background\" on the list of municipalities.")
                    % {"name": municipality.name, "limit": ADMIN_DELETE_LIMIT}, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:wards_municipality_change", args=[municipality.pk]))
            if municipality is not None and OutboundMessage.objects.filter(
                    municipality=municipality)[:ADMIN_DELETE_LIMIT + 1].count() > ADMIN_DELETE_LIMIT:
                self.message_user(request, _(
                    "%(name)s has more than %(limit)s outbound messages: deleting it here would load them all into memory. "
                    "Use the action \"Purge in the background\" on the list of municipalities.")
                    % {"name": municipality.name, "limit": ADMIN_DELETE_LIMIT}, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:wards_municipality_change", args=[municipality.pk]))
            return super().delete_view(request, object_id, extra_context)

    site.unregister(Municipality)
    site.register(Municipality, MunicipalityAdmin)
