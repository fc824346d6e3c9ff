"""The directory in the admin, scoped per municipality (toolkit.admin), with the map widget for
locations and service areas. Phones, opening hours, photos and files go through the services' checks."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from leaflet.admin import LeafletGeoAdmin

from directory.files import check_document
from directory.models import Contact, Document, DocumentVersion, Feed, FeedItem
from directory.services.contacts import contact_clean_phones, contact_set_opening_hours, contact_set_photo, opening_hours_check
from directory.services.documents import document_version_add
from directory.services.feeds import feed_poll
from toolkit.admin import MunicipalityScopedAdmin, municipality_of
from toolkit.conf import imbizo_setting
from triage.media.files import MediaRefused, detect, process_photo
from wards.models import Municipality


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["municipality", "kind", "name", "role", "description", "phone", "phone_other", "whatsapp", "email",
                  "website", "address", "location", "opening_hours", "ward", "wards_served", "suburbs_served",
                  "service_area", "photo", "is_published", "is_generated"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and "photo" in self.changed_data:
            try:
                detected = detect(photo)
                if detected.kind != "image":
                    raise MediaRefused(str(_("A contact's photo must be a JPEG, PNG or WebP image.")), "photo")
                process_photo(photo, detected.content_type)
            except MediaRefused as refused:
                raise ValidationError(str(refused)) from None
        return photo

    def clean(self):
        data = super().clean()
        municipality = data.get("municipality") or getattr(self.instance, "municipality", None)
        if municipality is None and (own := municipality_of(getattr(self, "user", None))):
            municipality = Municipality.objects.filter(pk=own).first()
        country = municipality.country if municipality else imbizo_setting("DEFAULT_COUNTRY")
        phones = {name: data.get(name, "") for name in ("phone", "phone_other", "whatsapp")}
        for check in (lambda: data.update(contact_clean_phones(values=phones, country=country)),
                      lambda: opening_hours_check(data.get("opening_hours", ""), municipality=municipality)):
            try:
                check()
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    self.add_error(field, problems)
        ward = data.get("ward")
        if ward is not None and municipality is not None and ward.municipality_id != municipality.pk:
            self.add_error("ward", _("The ward is not one of this municipality's."))
        return data


@admin.register(Contact)
class ContactAdmin(MunicipalityScopedAdmin, LeafletGeoAdmin):
    form = ContactForm
    list_display = ["name", "kind", "role", "ward", "phone", "municipality", "is_published", "is_generated"]
    list_filter = ["municipality", "kind", "is_published", "is_generated"]
    search_fields = ["name", "role", "phone", "email"]
    autocomplete_fields = ["ward"]
    filter_horizontal = ["wards_served", "suburbs_served"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        photo = form.cleaned_data.get("photo") if "photo" in form.changed_data else None
        if photo:
            obj.photo = form.initial.get("photo") or ""  # the upload is kept only once cleaned
        super().save_model(request, obj, form, change)
        contact_set_opening_hours(contact=obj, opening_hours=obj.opening_hours)
        if photo:
            contact_set_photo(contact=obj, upload=photo)


class DocumentForm(forms.ModelForm):
    upload = forms.FileField(label=_("File"), required=False,
                             help_text=_("PDF, Office document, image, audio or video; a new file becomes a new version."))
    version_note = forms.CharField(label=_("What changed"), required=False, max_length=255)

    class Meta:
        model = Document
        fields = ["municipality", "category", "title", "description", "tags", "is_published", "published_at",
                  "expires_at", "is_generated"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None and self.instance.pk is None:
            raise ValidationError(_("A new document needs its file."))
        if upload is not None:
            try:
                check_document(upload)
            except MediaRefused as refused:
                raise ValidationError(str(refused)) from None
        return upload


class DocumentVersionInline(admin.TabularInline):
    model = DocumentVersion
    extra = 0
    can_delete = False
    fields = ["number", "kind", "content_type", "size", "note", "download_count", "uploaded_at", "uploaded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    form = DocumentForm
    list_display = ["title", "category", "municipality", "published_at", "expires_at", "is_published", "current_version"]
    list_filter = ["municipality", "category", "is_published", "is_generated"]
    search_fields = ["title", "description"]
    inlines = [DocumentVersionInline]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if upload := form.cleaned_data.get("upload"):
            document_version_add(document=obj, upload=upload, uploaded_by=request.user,
                                 note=form.cleaned_data.get("version_note", ""))


class FeedItemInline(admin.TabularInline):
    model = FeedItem
    extra = 0
    fields = ["published_at", "title", "link"]
    readonly_fields = fields
    ordering = ["-published_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-published_at")


@admin.register(Feed)
class FeedAdmin(MunicipalityScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "kind", "municipality", "is_active", "last_success_at", "failures", "stale", "next_poll_at"]
    list_filter = ["municipality", "kind", "is_active"]
    readonly_fields = ["last_polled_at", "last_success_at", "failures", "last_error", "next_poll_at"]
    actions = ["poll_now"]

    @admin.display(boolean=True, description=_("stale"))
    def stale(self, feed):
        return feed.is_stale

    @admin.action(description=_("Poll the selected feeds now"))
    def poll_now(self, request, queryset):
        results = [feed_poll(feed=feed) for feed in queryset]
        failed = [result for result in results if result.status == "failed"]
        self.message_user(request, ngettext("%(count)d feed polled.", "%(count)d feeds polled.", len(results))
                          % {"count": len(results)})
        for result in failed:
            self.message_user(request, result.error, level=messages.WARNING)
