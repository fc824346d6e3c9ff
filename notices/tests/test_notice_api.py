"""The notices API end to end through URLs: staff compose and publish within their powers, bad
input is a 400 naming the field with nothing sent, and the public reads GeoJSON, feeds and pages."""

import io
import json
import math
from datetime import UTC, timedelta

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Department, User
from notices.models import OutboundMessage
from notices.notice import Notice, NoticeAttachment
from residents.models import Place
from wards.models import Municipality, Suburb, Ward

pytestmark = pytest.mark.shared_data


def staff(municipality, email: str, role: str, department=None) -> User:
    user = User.objects.create_user(email, "x", municipality=municipality, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if department:
        user.departments.add(department)
    return user


@pytest.fixture
def officer(lesedi):
    return staff(lesedi, "comms@lesedi.example", "communications officer")


@pytest.fixture
def ratanda(lesedi):
    ward = Ward.objects.get(municipality=lesedi, number=5)
    return Suburb.objects.create(municipality=lesedi, name="Ratanda", code="ratanda", geom=MultiPolygon(ward.geom[0]))


def centre_of(ward_number: int) -> Point:
    return Ward.objects.get(number=ward_number).geom.point_on_surface


def square_around(point: Point, half: float = 0.002) -> dict:
    x, y = point.x, point.y
    return {"type": "Polygon", "coordinates": [[[x - half, y - half], [x + half, y - half], [x + half, y + half],
                                                 [x - half, y + half], [x - half, y - half]]]}


def create(client, **data):
    data = {"title": "Water off", "body": "Pipe repairs on Main Road.", "kind": "water", **data}
    return client.post("/api/v1/staff/notices", data, content_type="application/json")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


def small_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(buffer, "PDF")
    return buffer.getvalue()


def test_an_officer_composes_a_drawn_notice_with_a_pdf_and_publishes_it(client, lesedi, officer):
    inside = User.objects.create_user("home@example.org", "x")
    Place.objects.create(user=inside, is_home=True, point=centre_of(3))
    client.force_login(officer)

    created = create(client, target="polygon", drawn=square_around(centre_of(3)), severity="warning")
    assert created.status_code == 201, created.content
    notice_id = created.json()["id"]
    upload = client.post(f"/api/v1/staff/notices/{notice_id}/attachments",
                         {"file": SimpleUploadedFile("schedule.pdf", small_pdf(), "application/pdf")})
    assert upload.status_code == 201, upload.content
    preview = client.get(upload.json()["preview"])
    assert preview["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(preview.streaming_content))).size[0] > 0

    audience = client.get(f"/api/v1/staff/notices/{notice_id}/audience").json()
    assert audience["people"] == 1 and audience["channels"]["email"] == 1
    assert not OutboundMessage.objects.exists()  # a preview sends nothing
    published = client.post(f"/api/v1/staff/notices/{notice_id}/publish")
    assert published.json()["state"] == "published"
    assert list(OutboundMessage.objects.values_list("address", flat=True)) == ["home@example.org"]

    client.logout()
    x, y = centre_of(3).coords
    collection = client.get(f"/api/v1/notices?municipality=GT423&lat={y}&lon={x}").json()
    assert [feature["id"] for feature in collection["features"]] == [notice_id]
    assert collection["features"][0]["geometry"]["type"] == "MultiPolygon"
    far_x, far_y = centre_of(11).coords
    assert client.get(f"/api/v1/notices?municipality=GT423&lat={far_y}&lon={far_x}").json()["features"] == []
    detail = client.get(f"/api/v1/notices/{notice_id}").json()
    assert detail["attachments"][0]["kind"] == "pdf"
    assert "home@example.org" not in json.dumps(detail)


def test_a_public_pdf_is_served_as_a_pdf(client, lesedi, officer):
    client.force_login(officer)
    notice_id = create(client, target="municipality").json()["id"]
    attachment = client.post(f"/api/v1/staff/notices/{notice_id}/attachments",
                             {"file": SimpleUploadedFile("a.pdf", small_pdf(), "application/pdf")}).json()
    client.logout()
    assert client.get(attachment["url"]).status_code == 404  # a draft's files are not public
    client.force_login(officer)
    client.post(f"/api/v1/staff/notices/{notice_id}/publish")
    client.logout()
    served = client.get(attachment["url"])
    assert served["Content-Type"] == "application/pdf" and served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("data", "field"), [
    ({"target": "polygon", "drawn": {"type": "Polygon", "coordinates": [[[28.3, -26.5], [28.4, -26.4], [28.4, -26.5],
                                                                           [28.3, -26.4], [28.3, -26.5]]]}}, "drawn"),
    ({"target": "polygon", "drawn": {"type": "Polygon", "coordinates": "nonsense"}}, "drawn"),
    ({"target": "polygon", "drawn": square_around(Point(18.42, -33.92))}, "drawn"),  # Cape Town: not Lesedi
    ({"target": "radius", "drawn": {"type": "Point", "coordinates": [28.35, -26.5]}}, "radius_m"),
    ({"target": "municipality", "starts_at": "2026-05-02T10:00:00+02:00", "ends_at": "2026-05-02T09:00:00+02:00"},
     "ends_at"),
    ({}, "target"),
    ({"target": "wards", "wards": [99]}, "wards"),
    ({"target": "wards", "wards": []}, "wards"),
    ({"target": "municipality", "kind": "gossip"}, "kind"),
    ({"target": "municipality", "title": ""}, "title"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_kept(client, lesedi, officer, data, field):
    client.force_login(officer)
    response = create(client, **data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Notice.objects.exists()


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    ("notice.pdf", b"MZ\x90\x00 an executable", "application/pdf"),
    ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, "video/mp4"),
])
def test_a_disguised_attachment_is_refused_by_content(client, lesedi, officer, name, content, kind):
    client.force_login(officer)
    notice_id = create(client, target="municipality").json()["id"]
    response = client.post(f"/api/v1/staff/notices/{notice_id}/attachments", {"file": SimpleUploadedFile(name, content, kind)})
    assert response.status_code == 400 and "file" in response.json()
    assert not NoticeAttachment.objects.exists()


def test_an_oversized_attachment_is_refused(client, lesedi, officer, imbizo_settings):
    imbizo_settings(MEDIA_LIMITS={"image": 100, "video": 100, "audio": 100, "pdf": 100})
    client.force_login(officer)
    notice_id = create(client, target="municipality").json()["id"]
    response = client.post(f"/api/v1/staff/notices/{notice_id}/attachments",
                           {"file": SimpleUploadedFile("big.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 400 and "at most 100 bytes" in response.json()["file"][0]


def test_department_staff_draft_for_their_department_and_never_publish(client, lesedi, officer):
    water = Department.objects.create(municipality=lesedi, name="Water", code="water")
    roads = Department.objects.create(municipality=lesedi, name="Roads", code="roads")
    clerk = staff(lesedi, "clerk@lesedi.example", "department staff", water)
    client.force_login(clerk)
    assert create(client, target="municipality", department=roads.pk).status_code == 403
    assert create(client, target="municipality").status_code == 403  # no department: a municipal notice
    notice_id = create(client, target="municipality", department=water.pk).json()["id"]
    assert client.post(f"/api/v1/staff/notices/{notice_id}/publish").status_code == 403
    assert client.post(f"/api/v1/staff/notices/{notice_id}/submit").json()["state"] == "pending"
    client.force_login(officer)
    assert client.post(f"/api/v1/staff/notices/{notice_id}/publish").json()["state"] == "published"


def test_staff_of_another_municipality_cannot_touch_a_notice(client, lesedi, officer):
    other = Municipality.objects.create(code="WC023", name="Drakenstein")
    outsider = staff(other, "comms@drakenstein.example", "communications officer")
    client.force_login(officer)
    notice_id = create(client, target="municipality").json()["id"]
    client.force_login(outsider)
    assert create(client, target="municipality", municipality="GT423").status_code == 403
    assert client.get(f"/api/v1/staff/notices/{notice_id}/audience").status_code == 403
    assert client.post(f"/api/v1/staff/notices/{notice_id}/publish").status_code == 403


def test_feeds_calendar_and_pages_show_public_notices_only(client, lesedi, officer):
    client.force_login(officer)
    starts = (timezone.now() + timedelta(days=7)).replace(microsecond=0, second=0)
    public_id = create(client, target="wards", wards=[3], kind="event", title="Ward 3 meeting",
                       starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=2)).isoformat()).json()["id"]
    client.post(f"/api/v1/staff/notices/{public_id}/publish")
    create(client, target="municipality", title="Secret draft")
    client.logout()

    atom = client.get("/m/GT423/notices/feed.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert b"Ward 3 meeting" in atom.content and b"Secret draft" not in atom.content
    assert b"Ward 3 meeting" in client.get("/m/GT423/wards/3/notices/feed.atom").content
    apart = Ward.objects.exclude(geom__intersects=Ward.objects.get(number=3).geom).order_by("number").first()
    assert b"Ward 3 meeting" not in client.get(f"/m/GT423/wards/{apart.number}/notices/feed.atom").content
    calendar = client.get("/m/GT423/notices/events.ics")
    assert calendar["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:Event or meeting: Ward 3 meeting" in calendar.content
    assert f"DTSTART:{starts.astimezone(UTC):%Y%m%dT%H%M%S}Z".encode() in calendar.content
    page = client.get("/m/GT423/notices/").content.decode()
    assert "Ward 3 meeting" in page and "Secret draft" not in page
    assert "Ward 3 meeting" in client.get(f"/m/GT423/notices/{public_id}/").content.decode()


def test_the_notices_layer_publishes_active_public_notices_only(client, lesedi, officer):
    client.force_login(officer)
    published = create(client, target="wards", wards=[3], title="Road closed").json()["id"]
    client.post(f"/api/v1/staff/notices/{published}/publish")
    create(client, target="municipality", title="Draft only")
    client.logout()
    items = client.get("/ogc/collections/notices/items?f=json").json()
    assert [feature["properties"]["title"] for feature in items["features"]] == ["Road closed"]
    assert items["features"][0]["geometry"]["type"] == "MultiPolygon"
    x, y, zoom = *centre_of(3).coords, 12
    column = int((x + 180) / 360 * 2**zoom)
    row = int((1 - math.asinh(math.tan(math.radians(y))) / math.pi) / 2 * 2**zoom)
    tile = mapbox_vector_tile.decode(client.get(f"/tiles/notices/{zoom}/{column}/{row}.mvt").content)
    assert [feature["properties"]["title"] for feature in tile["notices"]["features"]] == ["Road closed"]
