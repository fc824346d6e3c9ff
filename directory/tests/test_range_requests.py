"""Files are served with HTTP Range, so video and audio seek: 206, Content-Range, Accept-Ranges, HEAD, 416."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directory.services.documents import document_create
from toolkit.fixtures import FIXTURES_DIR

pytestmark = pytest.mark.django_db
VIDEO = (FIXTURES_DIR / "directory" / "council_meeting.webm").read_bytes()


@pytest.fixture
def video_url(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = document_create(municipality=town, category="media_gallery", title="Council meeting",
                               upload=SimpleUploadedFile("meeting.webm", VIDEO))
    return f"/documents/{document.pk}/v1/file"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_file_says_it_accepts_ranges(client, video_url):
    response = client.get(video_url)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/webm"
    assert response["Content-Length"] == str(len(VIDEO)) and body(response) == VIDEO
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-99", 0, 99), ("bytes=1000-", 1000, len(VIDEO) - 1), ("bytes=-500", len(VIDEO) - 500, len(VIDEO) - 1),
    (f"bytes=100-{len(VIDEO) + 5000}", 100, len(VIDEO) - 1),
])
def test_a_range_is_206_with_exactly_those_bytes(client, video_url, header, first, last):
    response = client.get(video_url, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == VIDEO[first:last + 1]


def test_a_range_past_the_end_is_416_with_the_size(client, video_url):
    response = client.get(video_url, HTTP_RANGE=f"bytes={len(VIDEO)}-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{len(VIDEO)}"


def test_head_answers_the_headers_without_a_body(client, video_url):
    response = client.head(video_url, HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and response["Content-Length"] == "10" and response.content == b""
    assert client.head(video_url)["Content-Length"] == str(len(VIDEO))


def test_a_stale_if_range_gets_the_whole_file_and_several_ranges_too(client, video_url):
    assert client.get(video_url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"').status_code == 200
    assert client.get(video_url, HTTP_RANGE="bytes=0-9,20-29").status_code == 200
    etag = client.head(video_url)["ETag"]
    assert client.get(video_url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206
