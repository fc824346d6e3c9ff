"""Video and audio on an issue are played, not shown as broken pictures: the track page and the
board give them <video>/<audio> players, which Chromium feeds with byte ranges."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support import save_screenshot, wait_until
from triage.media.services import media_attach
from triage.tests.test_board_page import assert_clean, click_marker, log_in, open_board, wait_loaded
from triage.tests.test_media import jpeg, mp4, new_issue, wav


@pytest.fixture
def issue_with_recordings(pothole, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    issue = new_issue(pothole, description="A deep hole; I recorded the noise cars make")
    for name, content, content_type in (("hole.jpg", jpeg(gps=None), "image/jpeg"),
                                        ("noise.wav", wav(), "audio/wav"), ("clip.mp4", mp4(), "video/mp4")):
        media_attach(issue=issue, upload=SimpleUploadedFile(name, content, content_type))
    return issue


@pytest.mark.django_db
def test_the_track_page_gives_recordings_players(client, issue_with_recordings):
    html = client.get(f"/track/{issue_with_recordings.reference}/").content.decode()
    media = {m.kind: m for m in issue_with_recordings.media.all()}
    assert "<h2>Photos and recordings</h2>" in html
    audio_url = f"/media/issues/{media['audio'].pk}/file"
    assert f'<audio controls preload="metadata" aria-label="Recording 2 of this issue"><source src="{audio_url}"' in html
    assert 'type="audio/wav"' in html
    assert '<video controls preload="metadata"' in html and 'type="video/mp4"' in html
    assert html.count("<img") == 1  # the photo only: no recording shown as a picture
    ranged = client.get(f"/media/issues/{media['audio'].pk}/file", headers={"Range": "bytes=0-11"})
    body = b"".join(ranged.streaming_content) if ranged.streaming else ranged.content
    assert ranged.status_code == 206 and body[:4] == b"RIFF" and len(body) == 12


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_recording_plays_on_the_track_page_and_the_board(live_server, offline_page, issue_with_recordings,
                                                              dispatcher):
    page = offline_page
    page.goto(f"{live_server.url}/track/{issue_with_recordings.reference}/")
    page.wait_for_selector("#photos audio")
    # The player read the WAV's header through the media view: its duration is known (0.1 s).
    wait_until(page, "document.querySelector('#photos audio').readyState >= 1 && "
                     "Math.abs(document.querySelector('#photos audio').duration - 0.1) < 0.01")
    assert page.locator("#photos video source[type='video/mp4']").count() == 1
    assert page.locator("#photos img").count() == 1
    save_screenshot(page, "track-with-recordings")
    assert_clean(page)

    log_in(page, live_server, dispatcher)
    open_board(page, live_server)
    wait_loaded(page, 1)
    click_marker(page, issue_with_recordings)
    page.wait_for_selector(".detail-photos audio")
    wait_until(page, "document.querySelector('.detail-photos audio').readyState >= 1")
    assert page.locator(".detail-photos video").count() == 1 and page.locator(".detail-photos img").count() == 1
    save_screenshot(page, "board-with-recordings")
    assert_clean(page)
