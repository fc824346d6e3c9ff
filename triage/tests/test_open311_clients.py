"""Open311 as FixMyStreet and other integrators use it: the updates feed (GET servicerequestupdates),
files sent with a POST (attached through the media checks, or refused), date-times that must carry a
time zone, and api_keys generated, shown once and kept hashed."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from triage.issues.models import Issue, IssueEvent
from triage.issues.services import issue_transition
from triage.issues.workflow import Status
from triage.media.models import Media
from triage.open311.models import ApiClient, key_digest
from triage.open311.services import api_client_create
from triage.tests.test_media import jpeg
from triage.tests.test_open311 import (
    errors_of,
    file_issue,
    parsed,
    post_request,
    post_update,
    url,
)

pytestmark = pytest.mark.django_db

FEED_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]


@pytest.fixture
def app_client(lesedi):
    """A client holding the key test_open311's post_request sends (an existing key, set as such)."""
    return ApiClient.objects.create(name="Lesedi app", key="app-key-5f2c", municipality=lesedi)


@pytest.fixture
def back_office(lesedi):
    return ApiClient.objects.create(name="Roads back office", key="back-office-key-91ab", municipality=lesedi,
                                    may_post_updates=True)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def feed(client, fmt: str, **params) -> list[dict]:
    response = client.get(url("servicerequestupdates", fmt), params)
    assert response.status_code == 200, response.content
    body = parsed(response, fmt)
    if fmt == "json":
        return body
    assert body.tag == "service_requests_updates" and all(child.tag == "request_update" for child in body)
    return [{child.tag: child.text for child in update} for update in body]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_updates_feed_lists_public_updates_in_the_window_without_internal_notes(client, pothole, back_office,
                                                                                  dispatcher, fmt):
    issue = file_issue(pothole)
    assert post_update(client, service_request_id=issue.reference, update_id="bo-1", status="IN_PROGRESS",
                       description="A crew is on site.", media_url="https://backoffice.example.org/p/1.jpg",
                       updated_datetime=timezone.now().isoformat()).status_code == 200
    issue_transition(issue=Issue.objects.get(pk=issue.pk), to_status=Status.RESOLVED, actor=dispatcher,
                     public_note="Filled.", internal_note="SECRET: billed to contractor 7.")
    IssueEvent.objects.create(issue=issue, action=IssueEvent.Action.PRIORITY, at=timezone.now(),
                              internal_note="SECRET priority reason")

    updates = feed(client, fmt, jurisdiction_id="GT423")
    assert [list(update) for update in updates] == [FEED_FIELDS] * len(updates)
    assert [update["status"] for update in updates] == ["INVESTIGATING", "IN_PROGRESS", "FIXED"]
    assert {update["service_request_id"] for update in updates} == {issue.reference}
    crew = updates[1]
    assert crew["description"] == "A crew is on site.\n\nhttps://backoffice.example.org/p/1.jpg"
    assert crew["media_url"] == "https://backoffice.example.org/p/1.jpg"
    assert updates[2]["description"] == "Filled." and updates[2]["media_url"] in (None, "")
    assert len({update["update_id"] for update in updates}) == 3
    moment = datetime.datetime.fromisoformat(crew["updated_datetime"])
    assert moment.utcoffset() == datetime.timedelta(hours=2)  # Lesedi's local time, with its offset
    text = str(updates)
    assert "SECRET" not in text

    # The window: nothing before the first update, and a window ending before it is empty.
    later = (timezone.now() + datetime.timedelta(minutes=10)).isoformat()
    assert feed(client, fmt, start_date=later) == []
    earlier = (timezone.now() - datetime.timedelta(days=2)).isoformat()
    assert feed(client, fmt, end_date=earlier) == []
    assert len(feed(client, fmt, start_date=earlier, page_size="2")) == 2
    assert len(feed(client, fmt, start_date=earlier, page_size="2", page="2")) == 1


def test_the_feed_refuses_times_without_a_zone_and_answers_head(client, pothole):
    (description,) = errors_of(client.get(url("servicerequestupdates", "json"), {"start_date": "2026-03-01T00:00:00"}),
                               "json", 400)
    assert description.startswith("start_date: ") and "time zone" in description
    head = client.head(url("servicerequestupdates", "xml"))
    assert head.status_code == 200 and head.content == b""


def test_an_update_time_without_a_zone_is_refused(client, pothole, back_office):
    issue = file_issue(pothole)
    response = post_update(client, service_request_id=issue.reference, update_id="u1", status="IN_PROGRESS",
                           updated_datetime="2026-03-01T10:00:00")
    (description,) = errors_of(response, "json", 400)
    assert description.startswith("updated_datetime: ") and "time zone" in description
    assert Issue.objects.get(pk=issue.pk).status == Status.SUBMITTED


def test_a_request_with_a_photo_file_gets_the_photo(client, pothole, app_client, media_root):
    photo = SimpleUploadedFile("pothole.jpg", jpeg(), content_type="image/jpeg")
    response = post_request(client, description="Deep hole", media=photo)
    assert response.status_code == 200, response.content
    (filed,) = parsed(response, "json")
    issue = Issue.objects.get(reference=filed["service_request_id"])
    (media,) = Media.objects.filter(issue=issue)
    assert media.kind == Media.Kind.IMAGE and not media.is_internal
    assert b"SECRET-COMMENT" not in media.file.read()  # through the same cleaning as any upload
    (listed,) = parsed(client.get(url(f"requests/{issue.reference}", "json")), "json")
    assert listed["media_url"].endswith(f"/media/issues/{media.pk}/file")


@pytest.mark.parametrize(("files", "field", "message"), [
    ({"media": SimpleUploadedFile("notes.jpg", b"just some text, not a photo", content_type="image/jpeg")},
     "media", "content is"),
    ({"photo": SimpleUploadedFile("pothole.jpg", b"\xff\xd8\xff", content_type="image/jpeg")},
     "photo", "only the file field 'media'"),
])
def test_a_file_that_cannot_be_attached_refuses_the_request(client, pothole, app_client, media_root, files, field,
                                                            message):
    response = post_request(client, description="Deep hole", **files)
    (description,) = errors_of(response, "json", 400)
    assert description.startswith(f"{field}: ") and message in description
    assert not Issue.objects.exists()


def test_a_back_office_update_may_carry_a_photo_file(client, pothole, back_office, media_root):
    issue = file_issue(pothole)
    photo = SimpleUploadedFile("after.jpg", jpeg(), content_type="image/jpeg")
    response = post_update(client, service_request_id=issue.reference, update_id="done-1", status="FIXED",
                           description="Repaired.", media=photo)
    assert response.status_code == 200, response.content
    (media,) = Media.objects.filter(issue=issue)
    (update,) = [entry for entry in feed(client, "json") if entry["status"] == "FIXED"]
    assert update["media_url"].endswith(f"/media/issues/{media.pk}/file")
    refused = post_update(client, service_request_id=issue.reference, update_id="done-2", status="CLOSED",
                          media=SimpleUploadedFile("x.exe", b"MZ\x90\x00 not media", content_type="image/jpeg"))
    assert errors_of(refused, "json", 400)[0].startswith("media: ")
    assert Issue.objects.get(pk=issue.pk).status == Status.RESOLVED


def test_api_keys_are_generated_shown_once_and_kept_hashed(client, pothole, lesedi):
    created, key = api_client_create(name="Ward app", municipality=lesedi)
    assert key.startswith("o311_") and len(key) > 40
    stored = ApiClient.objects.filter(pk=created.pk).values().get()
    assert key not in str(stored)
    assert stored["key_digest"] == key_digest(key) and stored["key_start"] == key[:9] and str(created).endswith("…)")
    assert post_request(client, key=key, description="Deep hole").status_code == 200
    (refused,) = errors_of(post_request(client, key=key_digest(key), description="x"), "json", 403)
    assert "api_key" in refused


def test_the_migration_hashes_existing_keys_so_their_clients_keep_working():
    from importlib import import_module

    migration = import_module("triage.migrations.0008_open311_api_keys_stored_hashed")
    saved = []
    rows = [SimpleNamespace(key="back-office-key-91ab", save=lambda **kwargs: saved.append(kwargs))]
    apps = SimpleNamespace(get_model=lambda app, name: SimpleNamespace(objects=SimpleNamespace(all=lambda: rows)))
    migration.hash_existing_keys(apps, None)
    assert rows[0].key_digest == key_digest("back-office-key-91ab") and rows[0].key_start == "back"
    assert saved == [{"update_fields": ["key_digest", "key_start"]}]


def test_the_admin_shows_a_new_key_once_and_then_only_its_start(admin_client, lesedi):
    response = admin_client.post("/admin/triage/apiclient/add/", {"name": "Roads back office", "municipality": lesedi.pk,
                                                                   "may_post_updates": "on", "is_active": "on"},
                                 follow=True)
    assert response.status_code == 200
    client = ApiClient.objects.get(name="Roads back office")
    shown = [str(message) for message in response.context["messages"]]
    (key,) = [word for message in shown for word in message.split() if word.startswith("o311_")]
    assert key_digest(key) == client.key_digest and client.may_post_updates
    listing = admin_client.get("/admin/triage/apiclient/").content.decode()
    assert client.key_start in listing and key not in listing
    change = admin_client.get(f"/admin/triage/apiclient/{client.pk}/change/").content.decode()
    assert key not in change and client.key_digest not in change
