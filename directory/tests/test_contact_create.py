"""contact_create: phones in E.164 by the municipality's country, opening hours as periods, wards checked, photos cleaned."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from directory.models import Contact
from directory.services.contacts import contact_create, contact_set_photo
from directory.tests.conftest import ward
from triage.media.files import MediaRefused
from wards.models import Municipality

pytestmark = pytest.mark.django_db


def test_phones_are_read_the_way_the_municipality_writes_them_and_stored_in_e164(town):
    contact = contact_create(municipality=town, kind="department", name="Rates", phone="016 492 3000",
                             whatsapp="082 555 0123")
    assert (contact.phone, contact.whatsapp) == ("+27164923000", "+27825550123")
    abroad = Municipality.objects.create(code="US001", name="Mountain View", country="US", timezone="America/Los_Angeles")
    us_contact = contact_create(municipality=abroad, kind="office", name="City Hall", phone="(650) 253-0000")
    assert us_contact.phone == "+16502530000"


def test_a_bad_phone_is_refused_naming_the_field(town):
    with pytest.raises(ValidationError) as refused:
        contact_create(municipality=town, kind="department", name="Rates", phone="12345", phone_other="not a phone")
    assert set(refused.value.message_dict) == {"phone", "phone_other"}
    assert Contact.objects.count() == 0


def test_opening_hours_are_checked_with_the_facilities_parser(town):
    contact = contact_create(municipality=town, kind="office", name="Pay point",
                             opening_hours="Mo-Fr 07:30-16:00; Sa 08:00-12:00; PH off")
    assert contact.opening_hours == "Mo-Fr 07:30-16:00; Sa 08:00-12:00; PH off"
    with pytest.raises(ValidationError) as refused:
        contact_create(municipality=town, kind="office", name="Bad", opening_hours="Monday 8 to 4")
    assert "opening_hours" in refused.value.message_dict


def test_a_councillor_belongs_to_a_ward_of_the_same_municipality(town):
    with pytest.raises(ValidationError) as refused:
        contact_create(municipality=town, kind="councillor", name="No Ward")
    assert "ward" in refused.value.message_dict
    other = Municipality.objects.create(code="OT001", name="Elsewhere")
    with pytest.raises(ValidationError) as refused:
        contact_create(municipality=other, kind="councillor", name="Wrong Place", ward=ward(town, 1))
    assert "ward" in refused.value.message_dict


def test_one_published_councillor_per_ward(town):
    contact_create(municipality=town, kind="councillor", name="Thandi Mokoena", ward=ward(town, 1))
    with pytest.raises(ValidationError):
        contact_create(municipality=town, kind="councillor", name="Second One", ward=ward(town, 1))


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), "orange")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif.get_ifd(0x8825).update({1: "S", 2: (26.0, 30.0, 0.0), 3: "E", 4: (28.0, 21.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_is_re_encoded_without_its_metadata_with_a_thumbnail(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    original = jpeg_with_gps()
    assert b"SecretCam" in original
    contact = contact_create(municipality=town, kind="councillor", name="Sipho Dlamini", ward=ward(town, 2),
                             photo=SimpleUploadedFile("me.jpg", original))
    contact.refresh_from_db()
    stored = contact.photo.read()
    assert b"SecretCam" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert max(Image.open(contact.photo_thumbnail).size) <= 320


def test_a_photo_that_is_not_an_image_is_refused(town):
    contact = contact_create(municipality=town, kind="department", name="Water")
    with pytest.raises(MediaRefused) as refused:
        contact_set_photo(contact=contact, upload=SimpleUploadedFile("me.jpg", b"<html><script>alert(1)</script></html>"))
    assert "HTML" in str(refused.value)
