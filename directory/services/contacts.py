"""Contacts: created and changed here, so phone numbers are always E.164 in the municipality's
country, opening hours always parsed into periods, and photos always cleaned."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from assets.opening_hours import OpeningHoursError, parse_opening_hours
from directory.models import Contact
from directory.phones import phone_e164
from triage.media.files import MediaRefused, check_size, detect, process_photo

PHONE_FIELDS = ("phone", "phone_other", "whatsapp")


def contact_clean_phones(*, values: dict, country: str) -> dict:
    """The phone fields of `values` in E.164; ValidationError naming every bad one."""
    cleaned, errors = {}, {}
    for name in PHONE_FIELDS:
        if name in values:
            try:
                cleaned[name] = phone_e164(values[name], country=country)
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def opening_hours_check(opening_hours: str, *, municipality=None) -> None:
    """Checked with the parser facilities use (OpenStreetMap's opening_hours syntax, the municipality's
    time zone and public holidays); ValidationError naming the bad part."""
    place = {"timezone": municipality.timezone, "country": municipality.country} if municipality else {}
    try:
        parse_opening_hours(opening_hours, **place)
    except OpeningHoursError as error:
        raise ValidationError({"opening_hours": [str(error)]}) from None


@transaction.atomic
def contact_create(*, municipality, kind: str, name: str, wards_served=(), suburbs_served=(), photo=None,
                   **fields) -> Contact:
    """A new contact. Phones are read the way `municipality.country` writes them; a councillor or
    committee member needs a `ward` of the same municipality. Raises ValidationError naming the field."""
    fields.update(contact_clean_phones(values=fields, country=municipality.country))
    opening_hours_check(fields.get("opening_hours", ""), municipality=municipality)
    ward = fields.get("ward")
    if kind in Contact.WARD_KINDS and ward is None:
        raise ValidationError({"ward": [_("A councillor or ward committee member belongs to a ward.")]})
    if ward is not None and ward.municipality_id != municipality.pk:
        raise ValidationError({"ward": [_("The ward is not one of %(municipality)s's.") % {"municipality": municipality}]})
    contact = Contact(municipality=municipality, kind=kind, name=name, **fields)
    contact.full_clean(exclude=["photo", "photo_thumbnail", "search"])
    contact.save()
    if wards_served:
        contact.wards_served.set(wards_served)
    if suburbs_served:
        contact.suburbs_served.set(suburbs_served)
    if photo is not None:
        contact_set_photo(contact=contact, upload=photo)
    return contact


@transaction.atomic
def contact_set_opening_hours(*, contact: Contact, opening_hours: str) -> None:
    """Replace the contact's opening hours (OSM syntax); ValidationError before changing anything."""
    opening_hours_check(opening_hours, municipality=contact.municipality)
    Contact.objects.filter(pk=contact.pk).update(opening_hours=opening_hours)
    contact.opening_hours = opening_hours


def contact_set_photo(*, contact: Contact, upload) -> None:
    """Keep a photo checked by its content, re-encoded without metadata, with a thumbnail.
    Raises MediaRefused (field `photo`) for anything but a readable JPEG, PNG or WebP."""
    detected = detect(upload)
    if detected.kind != "image":
        raise MediaRefused(_("A contact's photo must be a JPEG, PNG or WebP image."), "photo")
    check_size(upload.size, detected.kind)
    photo = process_photo(upload, detected.content_type)
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[detected.content_type]
    contact.photo.save(f"contact-{contact.pk}.{extension}", ContentFile(photo.data), save=False)
    contact.photo_thumbnail.save(f"contact-{contact.pk}.jpg", ContentFile(photo.thumbnail), save=False)
    Contact.objects.filter(pk=contact.pk).update(photo=contact.photo.name, photo_thumbnail=contact.photo_thumbnail.name)
