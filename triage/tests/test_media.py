"""Files on issues: what is taken (by content, not name), what a served photo still carries (nothing),
where a photo says it was taken (offered, never published), and who sees and sends what."""

import io
import struct
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile, TiffImagePlugin
from PIL.PngImagePlugin import PngInfo

from tests.support import huge_png
from triage.intake.services import Report, issue_create
from triage.issues.models import Comment
from triage.media.files import MediaRefused, photo_location
from triage.media.models import Media
from triage.media.services import media_attach
from triage.tests.conftest import HEIDELBERG

# Where the test photos say they were taken: Ratanda, Lesedi, 26°33'10.8"S 28°19'44.4"E. Not the
# issue's own point, so a leak of the photo's position would show in the JSON.
PHOTO_LAT, PHOTO_LON = -(26 + 33 / 60 + 10.8 / 3600), 28 + 19 / 60 + 44.4 / 3600
PHOTO_GPS = {1: "S", 2: (26.0, 33.0, 10.8), 3: "E", 4: (28.0, 19.0, 44.4)}
SERIAL = "CAMSERIAL-8842-XJ"
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- files made here, for real -------------------------------------------------------------------

def exif_with(gps: dict | None = None, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ImbizoTestCam"  # Make
    exif[0x0112] = orientation
    exif[0x8769] = {0xA431: SERIAL}  # Exif IFD: BodySerialNumber
    if gps is not None:
        exif[0x8825] = gps
    return exif


def picture(size=(800, 400)) -> Image.Image:
    """Not a flat colour: a gradient with a red band on top, so orientation and truncation show."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste((255, 0, 0), (0, 0, size[0], size[1] // 8))
    return image


def jpeg(*, gps: dict | None = PHOTO_GPS, orientation: int = 1, size=(800, 400)) -> bytes:
    buffer = io.BytesIO()
    picture(size).save(buffer, "JPEG", quality=92, exif=exif_with(gps, orientation), icc_profile=SRGB,
                       comment=b"SECRET-COMMENT", xmp=b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
    return buffer.getvalue()


def png() -> bytes:
    text = PngInfo()
    text.add_text("Author", "SECRET-AUTHOR")
    buffer = io.BytesIO()
    image = picture((300, 200)).convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    image.save(buffer, "PNG", pnginfo=text, icc_profile=SRGB, exif=exif_with(PHOTO_GPS))
    return buffer.getvalue()


def webp() -> bytes:
    buffer = io.BytesIO()
    picture((300, 200)).save(buffer, "WEBP", exif=exif_with(PHOTO_GPS), icc_profile=SRGB,
                             xmp=b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
    return buffer.getvalue()


def pdf() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(struct.pack("<800h", *([1000, -1000] * 400)))
    return buffer.getvalue()


def mp4(payload: int = 4096) -> bytes:
    ftyp = b"ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    data = bytes(range(256)) * (payload // 256)
    return struct.pack(">I", 8 + len(ftyp)) + ftyp + struct.pack(">I", 8 + len(data)) + b"mdat" + data


WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm" + bytes(512)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(1024)
OGG = b"OggS\x00\x02" + bytes(20) + b"\x01\x1e\x01vorbis" + bytes(512)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00" + bytes(512)


def zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    picture((40, 20)).save(buffer, "GIF")
    return buffer.getvalue()


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def new_issue(category, **fields):
    fields.setdefault("answers", {"size": "small"} if category.code == "pothole" else {})
    return issue_create(report=Report(category=category, location=HEIDELBERG, **fields)).issue


def send(client, issue, content: bytes, name="photo.jpg", content_type="image/jpeg", key="", **fields):
    headers = {"X-Tracking-Key": key} if key else {}
    return client.post(f"/api/v1/issues/{issue.reference}/media",
                       {"file": SimpleUploadedFile(name, content, content_type), **fields}, headers=headers)


def fetch(client, url, **headers):
    response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def outsider(email="someone@example.org"):
    from accounts.models import User

    return User.objects.create_user(email, "pw-outsider-1", full_name="Not The Reporter")


# --- photos ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_photo_offers_its_gps_to_the_uploader_and_is_served_bare_and_upright(client, pothole, media_root):
    issue = new_issue(pothole)
    response = send(client, issue, jpeg(orientation=6), key=issue.tracking_key)
    assert response.status_code == 201, response.content
    body = response.json()

    location = body["photo_location"]
    assert location["lat"] == pytest.approx(PHOTO_LAT, abs=1e-6) and location["lat"] < 0  # south
    assert location["lon"] == pytest.approx(PHOTO_LON, abs=1e-6) and location["lon"] > 0  # east
    media = Media.objects.get()
    assert media.gps_location.y == pytest.approx(PHOTO_LAT) and media.gps_location.x == pytest.approx(PHOTO_LON)
    assert (body["kind"], body["content_type"]) == ("image", "image/jpeg")
    # Orientation 6 (turn 90° clockwise): the 800 × 400 sensor image is served 400 × 800.
    assert (body["width"], body["height"]) == (400, 800)
    assert body["url"] == f"/media/issues/{media.pk}/file"
    assert body["thumbnail_url"] == f"/media/issues/{media.pk}/thumbnail"
    assert response["Location"] == body["url"]

    served, data = fetch(client, body["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert "max-age" in served["Cache-Control"] and served["ETag"]
    assert len(data) == body["size"] == media.size
    photo = Image.open(io.BytesIO(data))
    assert photo.format == "JPEG" and photo.size == (400, 800)
    assert dict(photo.getexif()) == {}
    assert photo.getexif().get_ifd(0x8825) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(photo.info)
    for secret in (b"Exif", SERIAL.encode(), b"ImbizoTestCam", b"SECRET", b"http://ns.adobe.com/xap"):
        assert secret not in data
    # Upright: the red band that was along the top of the sensor image is now down the right side.
    red, green, _ = photo.convert("RGB").getpixel((395, 400))
    assert red > 200 and green < 60

    thumb_response, thumb = fetch(client, body["thumbnail_url"])
    assert thumb_response.status_code == 200 and thumb_response["Content-Type"] == "image/jpeg"
    thumbnail = Image.open(io.BytesIO(thumb))
    assert max(thumbnail.size) <= 320 and thumbnail.size == (160, 320)
    assert dict(thumbnail.getexif()) == {}

    again = client.get(body["url"], headers={"If-None-Match": served["ETag"]})
    assert again.status_code == 304


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "name", "content_type", "pillow_format"), [
    (png, "drawing.png", "image/png", "PNG"),
    (webp, "photo.webp", "image/webp", "WEBP"),
])
def test_png_and_webp_are_taken_and_served_without_metadata(client, pothole, make, name, content_type, pillow_format):
    issue = new_issue(pothole)
    response = send(client, issue, make(), name=name, content_type="application/octet-stream", key=issue.tracking_key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["content_type"], body["width"], body["height"]) == ("image", content_type, 300, 200)
    assert body["photo_location"]["lat"] == pytest.approx(PHOTO_LAT, abs=1e-6)
    served, data = fetch(client, body["url"])
    assert served["Content-Type"] == content_type
    image = Image.open(io.BytesIO(data))
    assert image.format == pillow_format
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "Author"} & set(image.info)
    assert SERIAL.encode() not in data and b"SECRET" not in data
    if pillow_format == "PNG":
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0  # transparency kept


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "name", "kind", "content_type"), [
    (pdf(), "letter.pdf", "pdf", "application/pdf"),
    (wav(), "voice.wav", "audio", "audio/wav"),
    (MP3, "voice.mp3", "audio", "audio/mpeg"),
    (OGG, "voice.ogg", "audio", "audio/ogg"),
    (M4A, "voice.m4a", "audio", "audio/mp4"),
    (mp4(), "clip.mp4", "video", "video/mp4"),
    (WEBM, "clip.webm", "video", "video/webm"),
])
def test_documents_video_and_audio_are_stored_as_sent(client, pothole, content, name, kind, content_type):
    issue = new_issue(pothole)
    response = send(client, issue, content, name=name, content_type="application/octet-stream", key=issue.tracking_key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["content_type"], body["size"]) == (kind, content_type, len(content))
    assert body["thumbnail_url"] is None and body["photo_location"] is None
    served, data = fetch(client, body["url"])
    assert served.status_code == 200 and data == content
    assert served["Content-Type"] == content_type and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert client.get(f"/media/issues/{body['id']}/thumbnail").status_code == 404


@pytest.mark.django_db
def test_a_video_is_served_in_byte_ranges(client, pothole):
    issue = new_issue(pothole)
    content = mp4(3 * 2**20)  # over Django's 2.5 MB: the upload arrives as a temporary file
    media_id = send(client, issue, content, name="clip.mp4", content_type="video/mp4", key=issue.tracking_key).json()["id"]
    response, data = fetch(client, f"/media/issues/{media_id}/file", Range="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{len(content)}"
    assert data == content[10:20]
    response, data = fetch(client, f"/media/issues/{media_id}/file", Range="bytes=65530-200000")
    assert (response.status_code, response["Content-Length"], data) == (206, "134471", content[65530:200001])
    response, data = fetch(client, f"/media/issues/{media_id}/file", Range="bytes=-5")
    assert (response.status_code, data) == (206, content[-5:])
    response = client.get(f"/media/issues/{media_id}/file", headers={"Range": f"bytes={len(content)}-"})
    assert response.status_code == 416


# --- refused ---------------------------------------------------------------------------------------

def truncated_jpeg() -> bytes:
    whole = jpeg(gps=None)
    return whole[: len(whole) // 2]


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "name", "content_type", "says"), [
    (b"#!/bin/sh\nrm -rf / --no-preserve-root\n", "photo.jpg", "image/jpeg", "a script"),
    (b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>", "photo.png",
     "image/png", "an HTML page"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "map.svg",
     "image/svg+xml", "SVG"),
    (zip_bytes(), "photo.jpg", "image/jpeg", "application/zip"),
    (gif(), "photo.jpg", "image/jpeg", "image/gif"),
    (b"just some words, not a PDF", "letter.pdf", "application/pdf", "plain text"),
    (b"\x00\x01\x02\x03" * 100, "clip.mp4", "video/mp4", "unrecognised"),
    (truncated_jpeg(), "photo.jpg", "image/jpeg", "damaged or truncated"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 300, "photo.jpg", "image/jpeg", "could not be read as a JPEG"),
])
def test_what_is_not_a_taken_file_is_refused_and_nothing_is_stored(client, pothole, media_root, content, name,
                                                                   content_type, says):
    issue = new_issue(pothole)
    response = send(client, issue, content, name=name, content_type=content_type, key=issue.tracking_key)
    assert response.status_code == 400, response.content
    message = response.json()["file"][0]
    assert says in message
    assert Media.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_a_file_over_its_kind_limit_is_refused_with_the_limit(client, pothole, settings, media_root):
    settings.IMBIZO = {**settings.IMBIZO, "MEDIA_LIMITS": {**settings.IMBIZO["MEDIA_LIMITS"], "image": 20 * 1024}}
    issue = new_issue(pothole)
    content = jpeg(size=(1600, 1200))
    assert len(content) > 20 * 1024
    response = send(client, issue, content, key=issue.tracking_key)
    assert response.status_code == 400
    assert "a photo may be at most 20 KB" in response.json()["file"][0]
    assert Media.objects.count() == 0 and stored_files(media_root) == []
    # The PDF limit is its own.
    assert send(client, issue, pdf(), name="a.pdf", key=issue.tracking_key).status_code == 201


@pytest.mark.django_db
def test_a_body_larger_than_any_limit_is_refused_before_it_is_read(client, pothole, settings):
    settings.IMBIZO = {**settings.IMBIZO, "MEDIA_LIMITS": {"image": 1000, "video": 1000, "audio": 1000, "pdf": 1000}}
    issue = new_issue(pothole)
    response = send(client, issue, pdf() + bytes(2 * 2**20), name="a.pdf", key=issue.tracking_key)
    assert response.status_code == 400
    assert "no file may be larger than 1000 bytes" in response.json()["file"][0]


@pytest.mark.django_db
def test_an_issue_takes_a_limited_number_of_files(client, pothole, settings):
    settings.IMBIZO = {**settings.IMBIZO, "MEDIA_PER_ISSUE": 2}
    issue = new_issue(pothole)
    for _ in range(2):
        assert send(client, issue, pdf(), name="a.pdf", key=issue.tracking_key).status_code == 201
    response = send(client, issue, pdf(), name="a.pdf", key=issue.tracking_key)
    assert response.status_code == 400
    assert "at most 2 may be attached" in response.json()["file"][0]
    assert Media.objects.count() == 2


@pytest.mark.django_db
def test_a_photo_with_too_many_pixels_is_refused_from_its_header(client, pothole, monkeypatch, media_root):
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size))
    issue = new_issue(pothole)
    response = send(client, issue, huge_png(9400), name="bomb.png", content_type="image/png", key=issue.tracking_key)
    assert response.status_code == 400
    assert response.json()["file"] == ["The image is 9,400 × 9,400 pixels; at most 50,000,000 pixels "
                                       "(50 megapixels) are taken."]
    where = client.post("/api/v1/photo-location", {"file": SimpleUploadedFile("bomb.png", huge_png(9400), "image/png")})
    assert where.status_code == 400 and "9,400 × 9,400 pixels" in where.json()["file"][0]
    assert decoded == []
    assert Media.objects.count() == 0 and stored_files(media_root) == []


@pytest.mark.django_db
def test_an_image_pillow_itself_calls_a_bomb_is_refused(client, pothole, monkeypatch, media_root, imbizo_settings):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    imbizo_settings(IMAGE_MAX_PIXELS=10**6)
    issue = new_issue(pothole)
    response = send(client, issue, huge_png(100), name="bomb.png", content_type="image/png", key=issue.tracking_key)
    assert response.status_code == 400
    assert "pixels" in response.json()["file"][0]
    assert Media.objects.count() == 0 and stored_files(media_root) == []


def test_a_file_half_stored_when_the_database_fails_is_deleted(pothole, monkeypatch, media_root):
    issue = new_issue(pothole)

    def failing_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Media, "save", failing_save)
    with pytest.raises(RuntimeError):
        media_attach(issue=issue, upload=SimpleUploadedFile("p.jpg", jpeg()))
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_a_comment_must_be_of_the_same_issue(client, pothole, dispatcher):
    issue, other = new_issue(pothole), new_issue(pothole)
    foreign = Comment.objects.create(issue=other, author_label="Resident", body="x", created_at=other.created_at)
    response = send(client, issue, pdf(), name="a.pdf", key=issue.tracking_key, comment=foreign.pk)
    assert response.status_code == 400 and "has no comment" in response.json()["comment"][0]
    with pytest.raises(MediaRefused) as refused:
        media_attach(issue=issue, upload=SimpleUploadedFile("a.pdf", pdf()), comment=foreign)
    assert refused.value.field == "comment"
    # A reporter cannot reach an internal note; a file on one is internal.
    note = Comment.objects.create(issue=issue, author_label="Roads", body="n", is_internal=True,
                                  created_at=issue.created_at)
    assert send(client, issue, pdf(), name="a.pdf", key=issue.tracking_key, comment=note.pk).status_code == 400
    client.force_login(dispatcher)
    response = send(client, issue, pdf(), name="a.pdf", comment=note.pk)
    assert response.status_code == 201 and response.json()["internal"] is True and response.json()["comment"] == note.pk


# --- who may send and see ------------------------------------------------------------------------

@pytest.mark.django_db
def test_only_the_reporter_and_municipal_staff_may_upload(client, pothole, dispatcher, resident):
    issue = new_issue(pothole, reporter=resident)
    assert send(client, issue, pdf(), name="a.pdf").status_code == 403  # anonymous
    assert send(client, issue, pdf(), name="a.pdf", key="not-the-key").status_code == 403
    client.force_login(outsider())
    response = send(client, issue, pdf(), name="a.pdf")
    assert response.status_code == 403 and "reporter" in response.json()["detail"]
    client.logout()
    assert send(client, issue, pdf(), name="a.pdf", key=issue.tracking_key).status_code == 201
    client.force_login(resident)
    assert send(client, issue, pdf(), name="a.pdf").status_code == 201
    assert send(client, issue, pdf(), name="a.pdf", internal="true").status_code == 403  # internal: staff only
    client.force_login(dispatcher)
    assert send(client, issue, pdf(), name="a.pdf").status_code == 201
    assert Media.objects.count() == 3
    assert Media.objects.filter(uploaded_by=resident).count() == 1


@pytest.mark.django_db
def test_internal_files_are_for_staff_only(client, pothole, dispatcher):
    issue = new_issue(pothole)
    public_id = send(client, issue, jpeg(), key=issue.tracking_key).json()["id"]
    client.force_login(dispatcher)
    response = send(client, issue, pdf(), name="note.pdf", internal="true")
    assert response.status_code == 201 and response.json()["internal"] is True
    internal_id = response.json()["id"]
    staff_list = client.get(f"/api/v1/issues/{issue.reference}/media").json()
    assert [m["id"] for m in staff_list] == [public_id, internal_id]
    assert client.get(f"/media/issues/{internal_id}/file").status_code == 200
    staff_detail = client.get(f"/api/v1/issues/{issue.reference}").json()
    assert [(m["id"], m["internal"]) for m in staff_detail["media"]] == [(public_id, False), (internal_id, True)]
    client.logout()

    assert [m["id"] for m in client.get(f"/api/v1/issues/{issue.reference}/media").json()] == [public_id]
    assert client.get(f"/media/issues/{internal_id}/file").status_code == 404
    assert client.get(f"/media/issues/{internal_id}/file", headers={"X-Tracking-Key": issue.tracking_key}).status_code == 404
    assert [m["id"] for m in client.get(f"/api/v1/issues/{issue.reference}").json()["media"]] == [public_id]
    assert client.get(f"/media/issues/{public_id}/file").status_code == 200
    client.force_login(outsider())
    assert client.get(f"/media/issues/{internal_id}/file").status_code == 404


@pytest.mark.django_db
def test_files_of_a_private_issue_are_for_the_reporter_and_staff(client, private_category, dispatcher):
    issue = new_issue(private_category)
    media_id = send(client, issue, jpeg(), key=issue.tracking_key).json()["id"]
    url = f"/media/issues/{media_id}/file"

    refused = client.get(url)
    assert refused.status_code == 403 and b"private" in refused.content
    assert refused["Cache-Control"] == "private, no-store"
    assert client.get(f"/media/issues/{media_id}/thumbnail").status_code == 403
    assert client.get(f"/api/v1/issues/{issue.reference}/media").json() == []
    assert client.get(f"/api/v1/issues/{issue.reference}").json()["media"] == []
    client.force_login(outsider())
    assert client.get(url).status_code == 403
    client.logout()

    served, data = fetch(client, url, **{"X-Tracking-Key": issue.tracking_key})
    assert served.status_code == 200 and Image.open(io.BytesIO(data)).format == "JPEG"
    assert served["Cache-Control"].startswith("private") and "X-Tracking-Key" in served["Vary"]
    own = client.get(f"/api/v1/issues/{issue.reference}", headers={"X-Tracking-Key": issue.tracking_key}).json()
    assert [m["id"] for m in own["media"]] == [media_id]
    client.force_login(dispatcher)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_issue_json_lists_files_but_never_where_a_photo_was_taken(client, pothole, dispatcher):
    issue = new_issue(pothole)
    media_id = send(client, issue, jpeg(), key=issue.tracking_key).json()["id"]
    lat_text, lon_text = f"{PHOTO_LAT:.4f}"[:7], f"{PHOTO_LON:.4f}"[:6]
    for headers, login in [({}, None), ({"X-Tracking-Key": issue.tracking_key}, None), ({}, dispatcher)]:
        if login:
            client.force_login(login)
        detail = client.get(f"/api/v1/issues/{issue.reference}", headers=headers)
        listing = client.get(f"/api/v1/issues/{issue.reference}/media", headers=headers)
        assert detail.json()["media"][0] | {"internal": False} == {
            "id": media_id, "kind": "image", "content_type": "image/jpeg", "url": f"/media/issues/{media_id}/file",
            "thumbnail_url": f"/media/issues/{media_id}/thumbnail", "internal": False}
        assert listing.json()[0]["id"] == media_id
        for text in (detail.content.decode(), listing.content.decode()):
            assert "gps" not in text and "photo_location" not in text
            assert lat_text not in text and lon_text not in text


# --- the photo's location, on its own ------------------------------------------------------------

@pytest.mark.django_db
def test_photo_location_answers_the_point_and_stores_nothing(client, media_root):
    response = client.post("/api/v1/photo-location", {"file": SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 200, response.content
    location = response.json()["location"]
    assert location["lat"] == pytest.approx(PHOTO_LAT, abs=1e-6) and location["lon"] == pytest.approx(PHOTO_LON, abs=1e-6)
    assert Media.objects.count() == 0 and stored_files(media_root) == []

    no_gps = client.post("/api/v1/photo-location", {"file": SimpleUploadedFile("p.jpg", jpeg(gps=None))})
    assert no_gps.json() == {"location": None}
    document = client.post("/api/v1/photo-location", {"file": SimpleUploadedFile("a.pdf", pdf())})
    assert document.json() == {"location": None}
    script = client.post("/api/v1/photo-location", {"file": SimpleUploadedFile("p.jpg", b"#!/bin/sh\necho hi\n")})
    assert script.status_code == 400 and "a script" in script.json()["file"][0]
    assert client.post("/api/v1/photo-location", {}).status_code == 400
    assert Media.objects.count() == 0 and stored_files(media_root) == []


def rational(numerator, denominator):
    return TiffImagePlugin.IFDRational(numerator, denominator)


@pytest.mark.parametrize(("gps", "expected"), [
    (PHOTO_GPS, (PHOTO_LAT, PHOTO_LON)),
    ({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 30.0)}, (51.5, -0.125)),
    ({1: "S", 2: (26.5, 0.0, 0.0), 3: "E", 4: (28.25, 0.0, 0.0)}, (-26.5, 28.25)),  # decimal degrees only
    ({2: (26.0, 33.0, 10.8), 3: "E", 4: (28.0, 19.0, 44.4)}, None),  # no N/S: the sign is unknown
    ({1: "X", 2: (26.0, 33.0, 10.8), 3: "E", 4: (28.0, 19.0, 44.4)}, None),
    ({1: "S", 2: (126.0, 0.0, 0.0), 3: "E", 4: (28.0, 0.0, 0.0)}, None),  # no such latitude
    ({1: "S", 2: (26.0, 75.0, 0.0), 3: "E", 4: (28.0, 0.0, 0.0)}, None),  # 75 minutes
    ({1: "S", 2: (rational(26, 0), 0.0, 0.0), 3: "E", 4: (28.0, 0.0, 0.0)}, None),  # zero denominator
    ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, None),  # no fix
    ({1: "S", 2: (26.0, 33.0, 10.8, 1.0), 3: "E", 4: (28.0, 0.0, 0.0)}, None),  # four numbers
    ({}, None),
])
def test_exif_gps_is_read_with_its_hemispheres_and_garbage_ignored(gps, expected):
    point = photo_location(upload=SimpleUploadedFile("p.jpg", jpeg(gps=gps)))
    if expected is None:
        assert point is None
    else:
        assert (point.y, point.x) == (pytest.approx(expected[0]), pytest.approx(expected[1]))
