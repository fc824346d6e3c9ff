"""Documents: files checked by content with limits per kind, images cleaned, PDF text searchable, versions,
publication and expiry, the API and download counts."""

import datetime
import io
import zipfile

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from directory.models import Document
from directory.pdfs import text_pdf
from directory.services.documents import document_create, document_version_add
from directory.tests.test_contact_create import jpeg_with_gps
from toolkit.fixtures import FIXTURES_DIR
from triage.media.files import MediaRefused

pytestmark = pytest.mark.django_db
DOCUMENTS = "/api/v1/documents"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def tariff_pdf(year: str = "2026/27", amount: str = "R 24,50") -> SimpleUploadedFile:
    return SimpleUploadedFile("tariffs.pdf", text_pdf(f"Water tariffs {year}", [
        f"Domestic water tariff: {amount} per kilolitre for the first 6 kl.", "Sewerage: R 310,00 per month."]))


def office_file(parts: dict[str, bytes], name: str = "file.docx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_a_pdf_is_found_by_a_word_inside_it(town, client):
    document_create(municipality=town, category="tariffs", title="Tariffs for the new year", upload=tariff_pdf())
    document_create(municipality=town, category="by_laws", title="Street trading by-law",
                    upload=SimpleUploadedFile("a.pdf", text_pdf("Street trading", ["Hawkers need a permit."])))
    body = client.get(DOCUMENTS, {"municipality": "TT001", "q": "kilolitre"}).json()
    assert [row["title"] for row in body] == ["Tariffs for the new year"]
    assert body[0]["current_version"]["kind"] == "pdf"
    assert body[0]["current_version"]["download_url"].endswith("/v1/file")
    misspelt = client.get(DOCUMENTS, {"municipality": "TT001", "q": "tarifs"}).json()
    assert misspelt[0]["title"] == "Tariffs for the new year"
    assert [row["title"] for row in client.get(DOCUMENTS, {"category": "by_laws"}).json()] == ["Street trading by-law"]


@pytest.mark.parametrize(("parts", "content_type"), [
    ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}, "wordprocessingml.document"),
    ({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}, "spreadsheetml.sheet"),
    ({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}, "presentationml.presentation"),
    ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"}, "opendocument.text"),
])
def test_office_documents_are_told_apart_by_their_parts(town, parts, content_type):
    document = document_create(municipality=town, category="forms", title="Form", upload=office_file(parts))
    assert document.current_version.kind == "office"
    assert document.current_version.content_type.endswith(content_type)


@pytest.mark.parametrize(("upload", "says"), [
    (SimpleUploadedFile("budget.pdf", b"<html><script>alert(1)</script></html>"), "HTML"),
    (SimpleUploadedFile("form.docx", b"PK\x03\x04 not really a zip"), "whatever its name says"),
    (office_file({"notes.txt": b"hello"}, "form.docx"), "ZIP"),
    (SimpleUploadedFile("damaged.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100), "PDF"),
    (SimpleUploadedFile("empty.pdf", b""), "empty"),
])
def test_files_that_are_not_what_they_claim_are_refused(town, upload, says):
    with pytest.raises(MediaRefused) as refused:
        document_create(municipality=town, category="forms", title="Bad", upload=upload)
    assert says in str(refused.value)
    assert not Document.objects.exists()


def test_each_kind_has_its_size_limit(town, imbizo_settings):
    imbizo_settings(DOCUMENT_LIMITS={"pdf": 500})
    with pytest.raises(MediaRefused) as refused:
        document_create(municipality=town, category="tariffs", title="Big", upload=tariff_pdf())
    assert "may be at most 500 bytes" in str(refused.value)
    video = (FIXTURES_DIR / "directory" / "council_meeting.webm").read_bytes()
    document = document_create(municipality=town, category="media_gallery", title="Meeting",
                               upload=SimpleUploadedFile("meeting.webm", video))
    assert (document.current_version.kind, document.current_version.content_type) == ("video", "video/webm")


def test_images_are_re_encoded_without_metadata_with_a_thumbnail(town):
    document = document_create(municipality=town, category="media_gallery", title="Hall opening",
                               upload=SimpleUploadedFile("hall.jpg", jpeg_with_gps()))
    version = document.current_version
    stored = version.file.read()
    assert b"SecretCam" not in stored and not Image.open(io.BytesIO(stored)).getexif()
    assert (version.width, version.height) == (640, 480)
    assert max(Image.open(version.thumbnail).size) <= 320


def test_a_new_version_supersedes_and_old_ones_stay_reachable(town, client):
    document = document_create(municipality=town, category="tariffs", title="Water tariffs",
                               upload=tariff_pdf("2025/26", "R 22,10"))
    document_version_add(document=document, upload=tariff_pdf("2026/27", "R 24,50"), note="2026/27 tariffs")
    body = client.get(f"{DOCUMENTS}/{document.pk}").json()
    assert body["current_version"]["number"] == 2
    assert [version["number"] for version in body["versions"]] == [2, 1]
    old = b"".join(client.get(body["versions"][1]["download_url"]).streaming_content)  # last year's still there
    assert "R 22,10" in pypdf.PdfReader(io.BytesIO(old)).pages[0].extract_text()
    assert client.get(DOCUMENTS, {"q": "22,10"}).json() == []  # search reads the current version only
    assert client.get(DOCUMENTS, {"q": "kilolitre"}).json()[0]["id"] == document.pk


def test_unpublished_future_and_expired_documents_are_not_public(town, client):
    now = timezone.now()
    for title, extra in (("Draft", {"is_published": False}),
                         ("Later", {"published_at": now + datetime.timedelta(days=1)}),
                         ("Closed tender", {"expires_at": now - datetime.timedelta(hours=1)}), ("Open tender", {})):
        document_create(municipality=town, category="tenders", title=title, upload=tariff_pdf(), **extra)
    assert [row["title"] for row in client.get(DOCUMENTS).json()] == ["Open tender"]
    hidden = Document.objects.get(title="Closed tender")
    assert client.get(f"{DOCUMENTS}/{hidden.pk}").status_code == 404
    assert client.get(f"/documents/{hidden.pk}/v1/file").status_code == 404


def test_downloads_are_counted_once_per_download_not_per_seek(town, client):
    document = document_create(municipality=town, category="tariffs", title="Water tariffs", upload=tariff_pdf())
    url = f"/documents/{document.pk}/v1/file"
    assert client.get(url, {"download": "1"})["Content-Disposition"].startswith("attachment")
    client.get(url, HTTP_RANGE="bytes=0-")
    client.get(url, HTTP_RANGE="bytes=500-")  # a seek
    client.head(url)
    document.current_version.refresh_from_db()
    assert document.current_version.download_count == 2


@pytest.mark.parametrize(("params", "field"), [
    ({"category": "gossip"}, "category"), ({"municipality": "ZZ"}, "municipality"), ({"limit": "500"}, "limit")])
def test_bad_document_filters_are_400_naming_the_parameter(town, client, params, field):
    response = client.get(DOCUMENTS, params)
    assert response.status_code == 400 and field in response.json()


def test_an_unpublished_file_is_for_its_municipalitys_staff_only(town, client, django_user_model):
    from directory.tests.conftest import box
    from wards.models import Municipality

    draft = document_create(municipality=town, category="budget_idp", title="Draft budget", upload=tariff_pdf(),
                            is_published=False)
    url = f"/documents/{draft.pk}/v1/file"
    assert client.get(url).status_code == 404
    other = Municipality.objects.create(code="OT003", name="Other", boundary=box(29.0, -26.6, 29.2, -26.4))
    outsider = django_user_model.objects.create_user("staff@other.example", "pw-1", municipality=other, is_staff=True)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    insider = django_user_model.objects.create_user("staff@testville.example", "pw-1", municipality=town, is_staff=True)
    client.force_login(insider)
    assert client.get(url).status_code == 200
