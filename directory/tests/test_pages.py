"""The directory's pages in headless Chromium, offline (only the live test server is reachable), under the
site's Content-Security-Policy: search a misspelt councillor, click the map for a ward's councillor, find the
water tariff PDF by a word inside it and download it, play a video and seek, read the feed timeline."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import shape

from directory.models import Feed
from directory.pdfs import text_pdf
from directory.services.contacts import contact_create
from directory.services.documents import document_create
from directory.services.feeds import feed_ingest, feed_poll
from tests.support import save_screenshot, wait_until
from toolkit.fixtures import FIXTURES_DIR
from wards.models import Ward

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def councillors(lesedi):
    for ward in Ward.objects.current().filter(municipality=lesedi):
        contact_create(municipality=lesedi, kind="councillor", name=f"Councillor Ward{ward.number}", ward=ward,
                       role=f"Ward {ward.number} councillor", phone="016 492 3000")
    return lesedi


def page_for(browser, live_server, **options):
    context = browser.new_context(viewport=options.pop("viewport", {"width": 1280, "height": 800}), **options)
    outside = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
                  else (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    page.outside = outside
    return context, page


def test_search_a_misspelt_councillor_and_find_them(lesedi, live_server, browser):
    ward = Ward.objects.current().get(municipality=lesedi, number=3)
    contact_create(municipality=lesedi, kind="councillor", name="Ntombifuthi Mahlangu", ward=ward, phone="082 555 0101")
    contact_create(municipality=lesedi, kind="department", name="Financial Services", phone="016 492 0011")
    context, page = page_for(browser, live_server)
    page.goto(f"{live_server.url}/m/GT423/contacts/")
    page.fill("#contact-q", "Ntombifuti Mahlango")
    page.press("#contact-q", "Enter")
    first = page.locator("#contact-list .contact").first
    assert "Ntombifuthi Mahlangu" in first.inner_text()
    assert "Ward 3" in first.inner_text() and "082 555 0101" in first.inner_text()
    assert page.locator("nav a[aria-current=page]").inner_text() == "Contacts"
    assert page.outside == []
    context.close()


def test_click_the_map_and_get_that_wards_councillor(councillors, lesedi_wards_file, live_server, browser):
    feature = next(f for f in json.loads(lesedi_wards_file.read_text())["features"] if int(f["properties"]["WardNumber"]) == 7)
    inside = shape(feature["geometry"]).representative_point()
    context, page = page_for(browser, live_server)
    page.goto(f"{live_server.url}/m/GT423/contacts/")
    wait_until(page, "document.getElementById('map').dataset.wardsDrawn === '13'")
    point = page.evaluate("([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                          [inside.y, inside.x])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_selector("#who-serves-result[data-loaded]")
    assert page.locator("#here-ward").inner_text().startswith("Ward 7")
    assert "Councillor Ward7" in page.locator("#here-councillor").inner_text()
    assert page.outside == []
    context.close()


def test_find_the_water_tariff_pdf_by_a_word_inside_it_and_download_it(lesedi, live_server, browser):
    pdf = text_pdf("Water and sanitation tariffs 2026/27", ["Domestic water tariff per kilolitre: R 24,50."])
    document_create(municipality=lesedi, category="tariffs", title="Water and sanitation tariffs 2026/27",
                    upload=SimpleUploadedFile("water.pdf", pdf))
    document_create(municipality=lesedi, category="by_laws", title="Noise control by-law",
                    upload=SimpleUploadedFile("noise.pdf", text_pdf("Noise", ["No music after 22:00."])))
    context, page = page_for(browser, live_server)
    page.goto(f"{live_server.url}/m/GT423/documents/")
    page.fill("#document-q", "kilolitre")
    page.press("#document-q", "Enter")
    assert page.locator(".document-title").all_inner_texts() == ["Water and sanitation tariffs 2026/27"]
    page.click(".document-title")
    with page.expect_download() as download:
        page.click("#download")
    path = download.value.path()
    assert Path(path).read_bytes() == pdf
    assert download.value.suggested_filename.endswith(".pdf")
    page.reload()
    assert page.locator(".versions tbody td").nth(3).inner_text() == "1"  # the download was counted
    context.close()


def test_play_a_video_and_seek(lesedi, live_server, browser):
    video = (FIXTURES_DIR / "directory" / "council_meeting.webm").read_bytes()
    document = document_create(municipality=lesedi, category="media_gallery", title="Council meeting",
                               upload=SimpleUploadedFile("meeting.webm", video))
    context, page = page_for(browser, live_server)
    ranges = []
    page.on("request", lambda request: ranges.append(request.headers.get("range")) if "/file" in request.url else None)
    page.goto(f"{live_server.url}/m/GT423/documents/{document.pk}/")
    page.locator("#media-player").evaluate("(v) => { v.muted = true; return v.play(); }")
    wait_until(page, "document.getElementById('media-player').currentTime > 0.3")
    page.locator("#media-player").evaluate(
        "(v) => { v.dataset.seeked = ''; v.addEventListener('seeked', () => { v.dataset.seeked = 'yes'; }); v.currentTime = 6; }")
    wait_until(page, "document.getElementById('media-player').dataset.seeked === 'yes'")
    assert 5.9 <= page.locator("#media-player").evaluate("(v) => v.currentTime") <= 8
    assert any(value and value.startswith("bytes=") for value in ranges)
    assert page.locator("#media-player").evaluate("(v) => v.error") is None
    context.close()


def test_the_feed_timeline_and_a_phone_screenshot(councillors, live_server, browser):
    feed = Feed.objects.create(municipality=councillors, title="Lesedi news", url="https://example.org/news.rss")
    feed_ingest(feed=feed, content=(FIXTURES_DIR / "directory" / "lesedi_news_rss2.xml").read_bytes())
    broken = Feed.objects.create(municipality=councillors, title="Broken", url="http://127.0.0.1:9/nothing")
    feed_poll(feed=broken)  # refused connection: recorded, the page carries on
    context, page = page_for(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True,
                             device_scale_factor=2, has_touch=True)
    page.goto(f"{live_server.url}/m/GT423/feeds/")
    titles = page.locator(".timeline-title").all_inner_texts()
    assert titles[0] == "Planned water interruption in Ratanda, Ward 4" and len(titles) == 3
    assert page.locator(".timeline-title").first.get_attribute("href").startswith("https://www.lesedilm.gov.za/")
    save_screenshot(page, "directory-feeds-phone")
    page.goto(f"{live_server.url}/m/GT423/contacts/")
    wait_until(page, "document.getElementById('map').dataset.wardsDrawn === '13'")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#who-serves-result[data-loaded]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    save_screenshot(page, "directory-contacts-phone")
    context.close()
