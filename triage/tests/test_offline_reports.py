"""The report page as an installed app on a phone with no signal, in headless Chromium: the service
worker keeps the pages, a report filed offline (with a photo) waits in the outbox, survives a reload,
and is sent exactly once when the connection returns, even with the page open in two tabs."""

import io
import json
import time

import pytest
from PIL import Image

from tests.support import save_screenshot, wait_until
from triage.issues.models import Issue
from triage.media.models import Media
from triage.tests.conftest import HEIDELBERG
from triage.tests.test_report_pages import click_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized context that may reach only the test server; its pages note script errors."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.outside_requests, context.page_errors, context.report_posts = [], [], []

    def only_local(route):
        if route.request.url.startswith((live_server.url, "data:", "blob:")):
            route.continue_()
        else:
            context.outside_requests.append(route.request.url)
            route.abort()

    def note_post(request):
        if request.method == "POST" and request.url.endswith("/api/v1/issues"):
            context.report_posts.append(request.headers.get("idempotency-key"))

    context.route("**/*", only_local)
    context.on("request", note_post)

    def new_page():
        page = context.new_page()
        page.on("pageerror", lambda error: context.page_errors.append(str(error)))
        return page

    context.new_phone_page = new_page
    yield context
    context.close()


def poll(page, script: str, timeout: float = 30):
    """Waits until the async `script` (a function body's expression) is truthy in the page."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"async () => {script}"):
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        page.wait_for_timeout(100)


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_report_page_is_an_installable_app_with_its_worker(live_server, phone, pothole):
    page = phone.new_phone_page()
    page.goto(f"{live_server.url}/m/GT423/report/")
    poll(page, "!!(await navigator.serviceWorker.ready).active")
    manifest_url = page.get_attribute("link[rel=manifest]", "href")
    manifest = json.loads(page.evaluate("async (url) => await (await fetch(url)).text()", manifest_url))
    assert manifest["start_url"] == "/m/GT423/home/" and manifest["display"] == "standalone"
    assert any(icon["sizes"] == "512x512" for icon in manifest["icons"])
    assert page.evaluate("async () => (await navigator.serviceWorker.ready).scope") == f"{live_server.url}/"
    assert page.evaluate("async () => (await caches.keys()).some((name) => name.startsWith('imbizo-shell-'))")
    assert phone.outside_requests == [] and phone.page_errors == []


def test_a_report_filed_offline_waits_survives_a_reload_and_is_sent_once_with_its_photo(
        live_server, phone, pothole, media_root):
    page = phone.new_phone_page()
    page.goto(f"{live_server.url}/m/GT423/report/")
    poll(page, "!!navigator.serviceWorker.controller")  # the worker has taken over the page...
    poll(page, "!!(await caches.match('/m/GT423/report/')) && "  # ...and kept it and its categories
               "!!(await caches.match('/api/v1/categories?municipality=GT423'))")
    page.wait_for_selector("#category[data-loaded]")

    phone.set_offline(True)
    page.reload()  # no network: the worker answers with the kept page
    page.wait_for_selector("#category[data-loaded]")
    page.select_option("#category", str(pothole.id))
    page.wait_for_selector("#answer-size")
    page.select_option("#answer-size", "large")
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.fill("#description", "Deep hole, filed without signal")
    page.set_input_files("#photos", files=[{"name": "hole.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    page.click("#submit")
    page.wait_for_selector("#outbox[data-waiting='1']")
    assert page.inner_text("#outbox-title") == "Waiting to send (1)"
    assert page.get_attribute("#outbox li", "data-state") == "waiting"
    assert "Waiting to send" in page.inner_text("#outbox li")
    assert "Saved on this device" in page.inner_text("#sending")
    save_screenshot(page, "report-offline-queued")

    page.reload()  # still offline: the report is still there, with its photo
    page.wait_for_selector("#outbox[data-waiting='1']")
    assert page.evaluate("async () => (await ImbizoOutbox.all())[0].photos[0].blob.size") == len(photo_bytes())
    second_tab = phone.new_phone_page()  # the same app open twice
    second_tab.goto(f"{live_server.url}/m/GT423/report/")
    second_tab.wait_for_selector("#outbox[data-waiting='1']")
    assert Issue.objects.count() == 0

    phone.set_offline(False)  # both tabs (and the worker's Background Sync) try to send it
    for tab in (page, second_tab):
        tab.wait_for_selector("#outbox li[data-state='sent']", timeout=30000)
    issue = Issue.objects.get()
    assert issue.description == "Deep hole, filed without signal" and issue.answers == {"size": "large"}
    assert Media.objects.filter(issue=issue).count() == 1  # the photo once, not once per tab
    assert page.get_attribute("#outbox li", "data-reference") == issue.reference
    assert f"Sent: reference {issue.reference}" in page.inner_text("#outbox")
    assert page.inner_text("#outbox-title") == "Sent from this device"
    assert len(set(phone.report_posts)) <= 1  # every attempt carried the one key the device gave the report
    wait_until(page, f"!!localStorage.getItem('imbizo:tracking:{issue.reference}')")  # the track page knows it
    save_screenshot(page, "report-offline-sent")
    assert phone.outside_requests == [] and phone.page_errors == []


def test_a_tracking_page_opened_before_is_readable_offline(live_server, phone, pothole):
    from triage.intake import services as intake

    issue = intake.issue_create(report=intake.Report(category=pothole, location=HEIDELBERG,
                                                     answers={"size": "small"})).issue
    page = phone.new_phone_page()
    page.goto(f"{live_server.url}/m/GT423/report/")
    poll(page, "!!navigator.serviceWorker.controller")
    page.goto(f"{live_server.url}/track/{issue.reference}/")
    poll(page, f"!!(await caches.match('/track/{issue.reference}/'))")
    phone.set_offline(True)
    page.goto(f"{live_server.url}/m/GT423/near/")  # never opened: the worker says so
    assert "You are offline" in page.inner_text("body")
    page.goto(f"{live_server.url}/track/{issue.reference}/")
    assert issue.reference in page.inner_text("h1")
    assert "Not for emergencies" in page.inner_text(".emergency")
    assert phone.page_errors == []
