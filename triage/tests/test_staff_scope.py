"""Staff powers stop at the municipality and, for department staff, at their departments; an
Idempotency-Key belongs to whoever sent it."""

import json

import pytest
from django.contrib.gis.geos import Point

from accounts.models import Department
from triage.intake.services import Report, issue_create
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.django_db
CONTACT = {"reporter_name": "Lerato Private", "reporter_phone": "+27825550001", "reporter_email": "lerato@example.org"}


@pytest.fixture
def water(lesedi):
    return Department.objects.create(municipality=lesedi, code="water", name="Water and Sanitation",
                                     email="water@lesedi.example")


def file(category, department=None, **fields):
    fields.setdefault("answers", {"size": "small"} if category.code == "pothole" else {})
    issue = issue_create(report=Report(category=category, location=HEIDELBERG, **fields)).issue
    if department is not None:
        issue.department = department
        issue.save(update_fields=["department"])
    return issue


def test_department_staff_see_reporter_details_and_note_only_their_departments_issues(
        client, pothole, department_staff, roads, water):
    theirs, other = file(pothole, roads, **CONTACT), file(pothole, water, **CONTACT)
    client.force_login(department_staff)
    mine = client.get(f"/api/v1/issues/{theirs.reference}").json()
    assert mine["reporter"]["email"] == CONTACT["reporter_email"]
    not_mine = client.get(f"/api/v1/issues/{other.reference}")
    assert CONTACT["reporter_email"] not in not_mine.content.decode()
    assert "answers" not in not_mine.json()
    noted = client.post(f"/api/v1/issues/{other.reference}/comments", {"body": "Looked at it", "internal": True})
    assert noted.status_code == 403
    assert other.comments.count() == 0
    assert client.post(f"/api/v1/issues/{theirs.reference}/comments",
                       {"body": "On site tomorrow", "internal": True}).status_code == 201
    board = client.get("/api/v1/board/issues").json()
    assert {feature["id"] for feature in board["features"]} == {theirs.reference}


@pytest.mark.parametrize("role", ["planner", "GIS analyst", "communications officer"])
def test_planning_roles_cannot_attach_files_to_issues(client, pothole, private_category, lesedi, role):
    from django.contrib.auth.models import Group

    from accounts.models import User

    staff = User.objects.create_user(f"{role.replace(' ', '.')}@lesedi.example", "pw-staff-1", municipality=lesedi,
                                     is_staff=True)
    staff.groups.add(Group.objects.get(name=role))
    client.force_login(staff)
    for issue in (file(pothole), file(private_category)):
        photo = _png()
        response = client.post(f"/api/v1/issues/{issue.reference}/media", {"file": photo})
        assert response.status_code == 403, (role, issue.category.code)
        assert issue.media.count() == 0


def _png():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def post(client, pothole, key: str, **headers):
    body = {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x, "answers": {"size": "large"}}
    return client.post("/api/v1/issues", json.dumps(body), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key, **headers)


def test_a_replayed_key_from_another_device_never_gets_the_reporters_tracking_key(client, pothole):
    first = post(client, pothole, "k-7f3a", HTTP_X_CLIENT_ID="phone-of-the-reporter")
    retry = post(client, pothole, "k-7f3a", HTTP_X_CLIENT_ID="phone-of-the-reporter")
    replay = post(client, pothole, "k-7f3a", HTTP_X_CLIENT_ID="someone-else")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["tracking_key"] == first.json()["tracking_key"]
    assert replay.status_code == 201  # another sender's key: another report
    assert replay.json()["reference"] != first.json()["reference"]
    assert replay.json()["tracking_key"] != first.json()["tracking_key"]


def test_a_retry_from_an_unidentified_sender_gets_the_issue_but_not_its_secret(client, pothole):
    first = post(client, pothole, "k-anon")
    retry = post(client, pothole, "k-anon")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["reference"] == first.json()["reference"]
    assert "tracking_key" not in retry.json() and "token" not in retry.json()
    assert first.json()["tracking_key"] not in retry.content.decode()


def test_a_signed_in_resident_retry_gets_the_same_issue_with_its_key(client, pothole, resident):
    client.force_login(resident)
    first, retry = post(client, pothole, "k-me"), post(client, pothole, "k-me")
    assert retry.status_code == 200 and retry.json()["tracking_key"] == first.json()["tracking_key"]


def test_an_open311_key_and_a_rest_key_of_the_same_text_are_different_keys(client, pothole, lesedi):
    issue = issue_create(report=Report(category=pothole, location=Point(HEIDELBERG.x, HEIDELBERG.y, srid=4326),
                                       answers={"size": "large"}), idempotency_key="shared", key_scope="open311:1").issue
    response = post(client, pothole, "shared", HTTP_X_CLIENT_ID="device-1")
    assert response.status_code == 201 and response.json()["reference"] != issue.reference
