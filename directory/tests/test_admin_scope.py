"""The directory's admin is scoped per municipality: a communications officer lists, opens and adds only
their own municipality's contacts, documents and feeds, and the services' checks apply to what they enter."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from directory.models import Contact, Document, Feed
from directory.pdfs import text_pdf
from directory.services.contacts import contact_create
from directory.services.documents import document_create
from directory.tests.conftest import box, ward
from wards.models import BoundarySet, Municipality, Ward

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def elsewhere(db):
    other = Municipality.objects.create(code="OT002", name="Othertown", boundary=box(29.0, -26.6, 29.2, -26.4))
    demarcation = BoundarySet.objects.create(municipality=other, year=2021, is_current=True)
    Ward.objects.create(boundary_set=demarcation, municipality=other, number=1, code="88800001",
                        geom=box(29.0, -26.6, 29.2, -26.4))
    return other


@pytest.fixture
def officer(town):
    user = User.objects.create_user("comms@testville.example", "pw-directory-1", municipality=town, is_staff=True)
    user.groups.add(Group.objects.get(name="communications officer"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(town, elsewhere):
    pdf = text_pdf("Tariffs", ["water tariff"])
    return {
        "own_contact": contact_create(municipality=town, kind="department", name="Testville Water"),
        "their_contact": contact_create(municipality=elsewhere, kind="department", name="Othertown Water"),
        "own_document": document_create(municipality=town, category="tariffs", title="Testville tariffs",
                                        upload=SimpleUploadedFile("t.pdf", pdf)),
        "their_document": document_create(municipality=elsewhere, category="tariffs", title="Othertown tariffs",
                                          upload=SimpleUploadedFile("o.pdf", pdf)),
        "own_feed": Feed.objects.create(municipality=town, title="Testville news", url="http://127.0.0.1:9/own"),
        "their_feed": Feed.objects.create(municipality=elsewhere, title="Othertown news", url="http://127.0.0.1:9/their"),
    }


@pytest.mark.parametrize(("model", "own", "theirs"), [
    ("contact", "own_contact", "their_contact"), ("document", "own_document", "their_document"),
    ("feed", "own_feed", "their_feed"),
])
def test_staff_list_and_open_only_their_municipalitys_rows(officer, rows, model, own, theirs):
    listing = officer.get(f"/admin/directory/{model}/").content.decode()
    assert str(rows[own]) in listing and str(rows[theirs]) not in listing
    assert officer.get(f"/admin/directory/{model}/{rows[own].pk}/change/").status_code == 200
    assert officer.get(f"/admin/directory/{model}/{rows[theirs].pk}/change/").status_code == 302  # "doesn't exist"
    assert officer.post(f"/admin/directory/{model}/{rows[theirs].pk}/delete/", {"post": "yes"}).status_code in (302, 404)
    assert type(rows[theirs]).objects.filter(pk=rows[theirs].pk).exists()


def contact_form(municipality, **changes) -> dict:
    form = {"municipality": municipality.pk, "kind": "councillor", "name": "Lindiwe Khumalo", "role": "", "description": "",
            "phone": "", "phone_other": "", "whatsapp": "", "email": "", "website": "", "address": "", "location": "",
            "opening_hours": "", "ward": "", "service_area": "", "is_published": "on"}
    form.update(changes)
    return form


def test_a_contact_added_in_the_admin_is_checked_like_any_other(officer, town, elsewhere, rows):
    refused = officer.post("/admin/directory/contact/add/", contact_form(
        town, ward=ward(elsewhere, 1).pk, phone="12", opening_hours="whenever"))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert {"ward", "phone", "opening_hours"} <= set(errors)
    added = officer.post("/admin/directory/contact/add/", contact_form(
        town, ward=ward(town, 1).pk, phone="016 492 3099", opening_hours="Mo-Fr 08:00-16:00"))
    assert added.status_code == 302, added.context["adminform"].form.errors if added.context else added
    contact = Contact.objects.get(name="Lindiwe Khumalo")
    assert contact.phone == "+27164923099" and contact.opening_hours == "Mo-Fr 08:00-16:00"
    assert officer.post("/admin/directory/contact/add/", contact_form(elsewhere, ward=ward(elsewhere, 1).pk)).status_code == 200
    assert not Contact.objects.filter(municipality=elsewhere, kind="councillor").exists()


def test_a_document_uploaded_in_the_admin_gets_a_version(officer, town, rows):
    form = {"municipality": town.pk, "category": "by_laws", "title": "Noise by-law", "description": "", "tags": "noise, by-law",
            "is_published": "on", "published_at_0": "2026-01-01", "published_at_1": "08:00:00", "expires_at_0": "",
            "expires_at_1": "", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0", "version_note": "First",
            "upload": SimpleUploadedFile("noise.pdf", text_pdf("Noise by-law", ["No loud music after 22:00."]))}
    response = officer.post("/admin/directory/document/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    document = Document.objects.get(title="Noise by-law")
    assert document.tags == ["noise", "by-law"]
    assert document.current_version.number == 1 and "22:00" in document.text
    form["upload"] = SimpleUploadedFile("noise.pdf", b"<html>not a pdf</html>")
    form["title"] = "Fake"
    assert officer.post("/admin/directory/document/add/", form).status_code == 200
    assert not Document.objects.filter(title="Fake").exists()
