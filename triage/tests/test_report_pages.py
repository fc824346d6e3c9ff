"""The resident pages for issues in headless Chromium, with the network cut off: report an issue
on the map, track it, and the public issues map."""

import io

import pytest
from django.contrib.gis.geos import Point
from PIL import Image

from tests.support import save_screenshot, wait_until
from triage.intake import services as intake
from triage.issues import services
from triage.issues.models import Comment, Issue, Rating
from triage.issues.workflow import Status
from triage.tests.conftest import HEIDELBERG, streetlight_at
from wards.models import Ward

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def offline_phone(browser, live_server):
    """Like the shared offline_page, on a phone-sized touch screen."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.outside_requests, page.page_errors = [], []

    def only_local(route):
        if route.request.url.startswith((live_server.url, "data:", "blob:")):
            route.continue_()
        else:
            page.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    yield page
    context.close()


def click_map(page, lon: float, lat: float, zoom: int = 17) -> None:
    """Centre the map on a place at street level, then click exactly there, as a person would."""
    page.evaluate("([lat, lon, zoom]) => window.imbizoMap.setView([lat, lon], zoom, {animate: false})", [lat, lon, zoom])
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [lat, lon])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def open_report_page(page, live_server, category):
    page.goto(f"{live_server.url}/m/GT423/report/")
    page.wait_for_selector("#category[data-loaded]")
    page.select_option("#category", str(category.id))


def file_issue(category, point: Point = HEIDELBERG, **fields) -> Issue:
    return intake.issue_create(report=intake.Report(category=category, location=point, **fields)).issue


def ward_of(point: Point) -> str:
    return f"Ward {Ward.objects.filter(geom__covers=point).order_by('number').first().number}"


def assert_clean(page):
    assert page.outside_requests == []  # nothing tried to leave the machine
    assert page.page_errors == []


def assert_no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


# --- report an issue ------------------------------------------------------------------------------

def test_the_pin_shows_ward_and_nearest_streetlight_and_a_valid_report_is_filed(
        live_server, offline_page, streetlight_out, streetlights):
    page = offline_page
    light = streetlight_at(streetlights, Point(HEIDELBERG.x + 0.0001, HEIDELBERG.y, srid=4326), "SL-0042")  # ~10 m east
    streetlight_at(streetlights, Point(HEIDELBERG.x + 0.01, HEIDELBERG.y, srid=4326), "SL-FAR")
    open_report_page(page, live_server, streetlight_out)
    page.wait_for_selector("#map[data-wards-drawn='13']")
    assert "Never shown publicly" in page.inner_text("#privacy-note")

    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#place-asset")
    assert page.inner_text("#place-ward") == ward_of(HEIDELBERG)
    assert page.inner_text("#place-asset").startswith("SL-0042 · ")
    assert page.inner_text("#place-asset").endswith(" m away")
    page.fill("#description", "The light has been off for a week.")
    page.fill("#reporter_name", "Thandi Mokoena")
    page.fill("#reporter_email", "thandi@example.org")
    save_screenshot(page, "report-pinned")

    page.click("#submit")
    page.wait_for_selector("#confirmation:not([hidden])")
    reference = page.inner_text("#reference")
    issue = Issue.objects.select_related("ward", "asset").get(reference=reference)
    assert f"Ward {issue.ward.number}" == ward_of(HEIDELBERG) and issue.asset == light
    assert issue.reporter_name == "Thandi Mokoena" and issue.description == "The light has been off for a week."
    assert page.get_attribute("#track-link", "href") == f"/track/{reference}/"
    stored = page.evaluate("(ref) => localStorage.getItem('imbizo:tracking:' + ref)", reference)
    assert stored == issue.tracking_key
    page.wait_for_selector("#confirmation[data-uploads-done='true']")
    save_screenshot(page, "report-filed")
    assert_clean(page)


def test_open_reports_near_the_pin_are_offered_for_me_too_or_follow_before_sending(live_server, offline_page, pothole):
    page = offline_page
    nearby = file_issue(pothole, Point(HEIDELBERG.x + 0.0001, HEIDELBERG.y, srid=4326), answers={"size": "large"},
                        description="Deep hole in the left lane")  # ~10 m east
    file_issue(pothole, Point(HEIDELBERG.x + 0.01, HEIDELBERG.y, srid=4326), answers={"size": "small"})  # ~1 km: not offered
    open_report_page(page, live_server, pothole)
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#duplicates:not([hidden])")
    items = page.locator("#duplicates-list li")
    assert items.count() == 1
    text = items.first.inner_text()
    assert nearby.reference in text and "Deep hole in the left lane" in text and " m away" in text
    save_screenshot(page, "report-already-reported")
    items.first.locator("[data-metoo]").click()
    page.wait_for_selector("#duplicates-list [data-metoo]:has-text('Me too (1)')")
    nearby.refresh_from_db()
    assert nearby.upvotes == 1
    page.fill("#reporter_email", "neighbour@example.org")
    items.first.locator("[data-follow]").click()
    page.wait_for_selector("#duplicates-list .duplicate-note:has-text('You will get its updates')")
    assert nearby.followers.filter(email="neighbour@example.org").exists()
    assert Issue.objects.count() == 2  # nothing new was filed
    assert_clean(page)


def test_a_missing_required_answer_is_shown_beside_its_question_and_nothing_is_filed(live_server, offline_page, pothole):
    page = offline_page
    open_report_page(page, live_server, pothole)
    page.wait_for_selector("[data-question='size'] select")
    assert "required" in page.inner_text("label[for='answer-size']")
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#place-ward")

    page.click("#submit")
    error = page.locator("[data-error-for='answers.size']")
    error.wait_for()
    assert error.inner_text() == "An answer is required: How big is it?"
    assert page.get_attribute("#answer-size", "aria-invalid") == "true"
    assert page.locator("#error-summary").is_visible()
    save_screenshot(page, "report-missing-answer")
    assert Issue.objects.count() == 0

    page.select_option("#answer-size", "large")
    page.fill("#answer-depth", "12")
    page.click("#submit")
    page.wait_for_selector("#confirmation:not([hidden])")
    issue = Issue.objects.get()
    assert issue.answers == {"size": "large", "depth": 12}
    assert page.inner_text("#reference") == issue.reference
    assert_clean(page)


def test_the_page_asks_before_sending_without_a_category_or_a_pin(live_server, offline_page, pothole):
    page = offline_page
    page.goto(f"{live_server.url}/m/GT423/report/")
    page.wait_for_selector("#category[data-loaded]")
    page.click("#submit")
    page.wait_for_selector("#error-category:has-text('Choose a category.')")
    assert "Put the pin" in page.inner_text("#error-location")
    assert Issue.objects.count() == 0
    assert_clean(page)


def test_a_double_click_files_one_issue(live_server, offline_page, pothole):
    page = offline_page
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    open_report_page(page, live_server, pothole)
    page.wait_for_selector("#answer-size")
    page.select_option("#answer-size", "small")
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#place-ward")
    page.dblclick("#submit")
    page.wait_for_selector("#confirmation:not([hidden])")
    assert Issue.objects.count() == 1
    assert len({request.headers["idempotency-key"] for request in posts}) == 1
    # "Track an issue" lists what this browser reported.
    page.goto(f"{live_server.url}/track/")
    page.wait_for_selector("#my-reports:not([hidden])")
    assert page.inner_text("#my-reports-list").startswith(Issue.objects.get().reference)
    assert_clean(page)


def test_a_retry_after_a_lost_response_files_one_issue(live_server, offline_page, pothole):
    page = offline_page
    keys = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server files the report...
            route.abort("connectionreset")  # ...but the answer never reaches the phone
        else:
            route.continue_()

    page.route("**/api/v1/issues", lose_the_first_answer)
    open_report_page(page, live_server, pothole)
    page.wait_for_selector("#answer-size")
    page.select_option("#answer-size", "small")
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#place-ward")
    page.click("#submit")
    # The answer was lost: the report waits in this device's outbox, which sends it again with the same key.
    page.wait_for_selector("#outbox li[data-state='sent']")
    save_screenshot(page, "report-retry")
    assert Issue.objects.count() == 1
    assert page.get_attribute("#outbox li", "data-reference") == Issue.objects.get().reference
    assert Issue.objects.get().reference in page.inner_text("#outbox")
    # The resend goes out from the page or from its service worker (Background Sync), whose requests
    # page.route does not see: every request the page made carried the one key, and one issue exists.
    assert keys and set(keys) == {keys[0]}
    assert_clean(page)


def test_a_point_outside_the_municipality_says_so_and_is_not_filed(live_server, offline_page, lesedi, pothole):
    page = offline_page
    west, south, east, north = lesedi.boundary.extent
    outside = Point(west - 0.05, (south + north) / 2, srid=4326)
    assert not lesedi.boundary.covers(outside)
    open_report_page(page, live_server, pothole)
    page.wait_for_selector("#answer-size")
    page.select_option("#answer-size", "small")
    click_map(page, outside.x, outside.y, zoom=12)
    page.wait_for_selector("#place-outside")
    assert page.inner_text("#place-outside").startswith("Outside Lesedi.")
    page.click("#submit")
    page.wait_for_selector("#error-location:has-text('outside Lesedi')")
    assert Issue.objects.count() == 0
    save_screenshot(page, "report-outside")
    assert_clean(page)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg_taken_at(point: Point) -> bytes:
    """A real JPEG whose EXIF says where it was taken (degrees, minutes, seconds)."""
    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees, minutes = int(value), int(value * 60) % 60
        return float(degrees), float(minutes), round((value * 3600) % 60, 4)

    exif = Image.Exif()
    exif[0x8825] = {1: "S" if point.y < 0 else "N", 2: dms(point.y), 3: "E" if point.x > 0 else "W", 4: dms(point.x)}
    buffer = io.BytesIO()
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    image.paste((200, 40, 40), (0, 0, 640, 120))
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def test_a_photo_with_a_location_moves_the_pin_and_is_shown_once_filed(live_server, offline_page, pothole, media_root,
                                                                       tmp_path):
    page = offline_page
    taken_at = Ward.objects.get(number=1).geom.point_on_surface
    photo = tmp_path / "street.jpg"
    photo.write_bytes(jpeg_taken_at(taken_at))
    open_report_page(page, live_server, pothole)
    page.select_option("#answer-size", "large")
    page.set_input_files("#photos", str(photo))
    page.click("#use-photo-location")
    wait_until(page, "document.getElementById('place-ward')?.textContent === 'Ward 1'")
    page.click("#submit")
    page.wait_for_selector("#confirmation[data-uploads-done='true']")
    assert "street.jpg added." in page.inner_text(".upload-ok")
    issue = Issue.objects.get()
    assert issue.ward.number == 1 and issue.media.count() == 1
    assert issue.location.distance(taken_at) < 1e-5

    page.click("#track-link")
    page.wait_for_selector("#photos img")
    wait_until(page, "document.querySelector('#photos img').complete && "
                     "document.querySelector('#photos img').naturalWidth > 0")  # the thumbnail is served
    save_screenshot(page, "track-with-photo")
    assert_clean(page)


def test_a_photo_that_cannot_be_uploaded_keeps_the_issue(live_server, offline_page, pothole, media_root, tmp_path):
    """Photos go up after the issue is filed; a refused upload is reported and the issue stays."""
    page = offline_page
    photo = tmp_path / "pothole.jpg"
    photo.write_text("not really a jpeg")
    open_report_page(page, live_server, pothole)
    page.select_option("#answer-size", "large")
    page.set_input_files("#photos", str(photo))
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#place-ward")
    assert page.locator("#use-photo-location").is_hidden()
    page.click("#submit")
    page.wait_for_selector("#confirmation[data-uploads-done='true']")
    failed = page.inner_text(".upload-failed")
    assert failed.startswith("Photo pothole.jpg could not be added: ") and failed.endswith("Your report is filed all the same.")
    assert Issue.objects.count() == 1 and Issue.objects.get().media.count() == 0
    assert page.inner_text("#reference") == Issue.objects.get().reference
    save_screenshot(page, "report-upload-refused")
    assert_clean(page)


def test_report_page_on_a_phone(live_server, offline_phone, pothole):
    page = offline_phone
    open_report_page(page, live_server, pothole)
    page.wait_for_selector("#map[data-wards-drawn='13']")
    assert page.locator("#map").bounding_box()["width"] >= 380
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.wait_for_selector("#place-ward")
    assert_no_sideways_scroll(page)
    save_screenshot(page, "report-phone")
    page.locator("#questions").scroll_into_view_if_needed()
    page.click("#submit")
    page.wait_for_selector("[data-error-for='answers.size']:has-text('An answer is required')")
    page.locator("#answer-size").scroll_into_view_if_needed()
    assert_no_sideways_scroll(page)
    save_screenshot(page, "report-phone-form")
    page.select_option("#answer-size", "small")
    page.locator("#submit").scroll_into_view_if_needed()
    save_screenshot(page, "report-phone-submit")
    page.click("#submit")
    page.wait_for_selector("#confirmation:not([hidden])")
    page.locator("#confirmation").scroll_into_view_if_needed()
    save_screenshot(page, "report-phone-filed")
    assert_clean(page)


def test_the_report_form_works_from_the_keyboard(live_server, offline_page, pothole):
    page = offline_page
    open_report_page(page, live_server, pothole)
    page.wait_for_selector("#map[data-wards-drawn='13']")
    page.evaluate("([lat, lon]) => window.imbizoMap.setView([lat, lon], 16, {animate: false})", [HEIDELBERG.y, HEIDELBERG.x])
    page.focus("#pin-centre")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#place-ward:has-text('{ward_of(HEIDELBERG)}')")
    page.focus("#answer-size")
    page.keyboard.press("ArrowDown")  # a closed select takes arrows: the first choice
    page.focus("#submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirmation:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "confirmation"
    assert Issue.objects.get().answers == {"size": "small"}


# --- track an issue -------------------------------------------------------------------------------

@pytest.fixture
def resolved_issue(pothole, dispatcher):
    issue = file_issue(pothole, answers={"size": "large"}, description="Deep hole by the school gate.",
                       address="12 Voortrekker Street", reporter_name="Thandi Mokoena",
                       reporter_phone="+27821234567", reporter_email="thandi@example.org")
    services.issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=dispatcher,
                              public_note="Thank you: the roads team will look at it.")
    services.issue_comment_add(issue=issue, body="A crew is booked for Thursday.", author=dispatcher)
    services.issue_comment_add(issue=issue, body="Reporter sounded upset on the phone.", author=dispatcher, internal=True)
    services.issue_transition(issue=issue, to_status=Status.IN_PROGRESS, actor=dispatcher)
    services.issue_transition(issue=issue, to_status=Status.RESOLVED, actor=dispatcher,
                              public_note="Filled and compacted.", internal_note="Used 2 bags of cold mix.")
    return Issue.objects.get(pk=issue.pk)


def hold_tracking_key(page, live_server, issue):
    page.goto(f"{live_server.url}/track/")
    page.evaluate("([ref, key]) => localStorage.setItem('imbizo:tracking:' + ref, key)", [issue.reference, issue.tracking_key])


PERSONAL = ["Thandi", "Mokoena", "thandi@example.org", "821234567", "Dora", "dispatch@lesedi.example",
            "upset", "cold mix"]


def test_track_page_shows_progress_history_and_comments_without_personal_data(live_server, offline_page, resolved_issue):
    page = offline_page
    response = page.goto(f"{live_server.url}/track/{resolved_issue.reference}/")
    assert response.status == 200
    assert page.inner_text("#status") == "Resolved"
    assert page.locator("#progress [aria-current='step']").inner_text().startswith("Resolved")
    assert page.locator("#progress .step-done").count() == 3  # submitted, acknowledged, in progress
    assert page.locator("#progress .step-skipped").inner_text().startswith("Assigned")  # never stopped there
    history = page.inner_text("#history")
    for line in ["Reported", "Acknowledged", "In progress", "Resolved", "Thank you: the roads team will look at it.",
                 "Filled and compacted."]:
        assert line in history
    assert "by Reporter" in history and "by Dispatcher" in history  # staff are credited by role
    assert "A crew is booked for Thursday." in page.inner_text("#comments")
    assert page.inner_text("#time-taken")
    assert "Expected by" in page.inner_text("#facts")
    page.wait_for_selector("#issue-map[data-wards-drawn='13']")
    content = page.content()
    for secret in PERSONAL:
        assert secret not in content, secret
    # A stranger's browser holds no tracking key: no rating, no "is it fixed?".
    assert page.locator("#reporter-actions").is_hidden()
    assert page.locator("#upvote").count() == 0  # resolved: nothing to say "me too" to

    page.fill("#comment-body", "Thanks, it looks good now.")
    page.click("#comment-send")
    page.wait_for_selector("#comments li:has-text('Thanks, it looks good now.')")
    assert Comment.objects.filter(issue=resolved_issue, body="Thanks, it looks good now.", author_label="Resident").exists()
    save_screenshot(page, "track-resolved-public")
    assert_clean(page)


def test_the_reporter_rates_a_resolved_issue_once(live_server, offline_page, resolved_issue):
    page = offline_page
    hold_tracking_key(page, live_server, resolved_issue)
    page.goto(f"{live_server.url}/track/{resolved_issue.reference}/")
    page.wait_for_selector("#rating-form:not([hidden])")
    assert page.locator("#reporter-badge").is_visible()
    assert page.locator("#confirm-fix").is_visible()
    page.click("label[for='stars-4']")
    page.fill("#rating-comment", "Quick work.")
    save_screenshot(page, "track-rating")
    page.click("#rating-send")
    page.wait_for_selector("#rating-done:has-text('4 out of 5')")
    rating = Rating.objects.get(issue=resolved_issue)
    assert (rating.stars, rating.comment) == (4, "Quick work.")

    page.reload()
    page.wait_for_selector("#rating-done:has-text('You have rated')")
    assert page.locator("#rating-form").is_hidden()
    # The server holds the line too: a second rating with the key is refused.
    again = page.evaluate("""async ([ref, key]) => {
        const r = await fetch(`/api/v1/issues/${ref}/rating`, {method: 'POST', headers: {'Content-Type': 'application/json'},
                              body: JSON.stringify({stars: 1, tracking_key: key})});
        return [r.status, await r.json()]; }""", [resolved_issue.reference, resolved_issue.tracking_key])
    assert again[0] == 400 and "already rated" in again[1]["stars"][0]
    assert Rating.objects.filter(issue=resolved_issue).count() == 1
    assert_clean(page)


def test_the_reporter_says_it_is_not_fixed_and_the_issue_reopens(live_server, offline_page, resolved_issue):
    page = offline_page
    hold_tracking_key(page, live_server, resolved_issue)
    page.goto(f"{live_server.url}/track/{resolved_issue.reference}/")
    page.click("#not-fixed")
    page.fill("#reopen-note", "The hole is back after the rain.")
    page.click("#reopen-send")
    page.wait_for_selector("#status:has-text('Reopened')")
    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Status.REOPENED
    assert "The hole is back after the rain." in page.inner_text("#history")
    assert page.locator("#reporter-actions").is_hidden()
    assert_clean(page)


def test_confirm_fixed_closes_the_issue(live_server, offline_page, resolved_issue):
    page = offline_page
    hold_tracking_key(page, live_server, resolved_issue)
    page.goto(f"{live_server.url}/track/{resolved_issue.reference}/")
    page.click("#confirm-fixed")
    page.wait_for_selector("#status:has-text('Closed')")
    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Status.CLOSED
    page.wait_for_selector("#rating-form", state="visible")  # a closed issue can still be rated
    assert_clean(page)


def test_me_too_and_follow_on_an_open_issue(live_server, offline_page, pothole):
    page = offline_page
    issue = file_issue(pothole, answers={"size": "small"})
    page.goto(f"{live_server.url}/track/{issue.reference}/")
    assert page.locator("#progress [aria-current='step']").inner_text().startswith("Submitted")
    page.click("#upvote")
    page.wait_for_selector("#upvote-note:has-text('1 person is affected')")
    page.click("#upvote")
    page.wait_for_selector("#upvote-note:has-text('You already said so')")
    issue.refresh_from_db()
    assert issue.upvotes == 1
    page.fill("#follow-email", "neighbour@example.org")
    page.click("#follow-send")
    page.wait_for_selector("#follow-note:has-text('open the link we emailed to neighbour@example.org')")
    assert issue.followers.filter(email="neighbour@example.org").exists()
    page.fill("#follow-email", "not an address")
    page.click("#follow-send")
    page.wait_for_selector("#follow-email[aria-invalid='true']")
    assert_clean(page)


def test_rejected_and_duplicate_issues_say_why(live_server, offline_page, pothole, dispatcher):
    page = offline_page
    first = file_issue(pothole, answers={"size": "small"})
    again = file_issue(pothole, answers={"size": "small"})
    services.issue_transition(issue=again, to_status=Status.DUPLICATE, actor=dispatcher, duplicate_of=first)
    services.issue_transition(issue=first, to_status=Status.REJECTED, actor=dispatcher,
                              public_note="This road belongs to the province: report it to Gauteng Roads.")
    page.goto(f"{live_server.url}/track/{again.reference}/")
    assert page.inner_text("#status") == "Duplicate"
    assert page.locator("#progress").count() == 0
    page.click(f"#ended a:has-text('{first.reference}')")
    page.wait_for_url(f"**/track/{first.reference}/")
    assert page.inner_text("#status") == "Rejected"
    assert "report it to Gauteng Roads" in page.inner_text("#ended")
    save_screenshot(page, "track-rejected")
    assert_clean(page)


def test_a_private_issue_hides_its_place(live_server, offline_page, private_category):
    page = offline_page
    issue = file_issue(private_category, address="3 Church Street")
    page.goto(f"{live_server.url}/track/{issue.reference}/")
    assert page.locator("#location-hidden").is_visible()
    assert page.locator("#issue-map").count() == 0 and page.locator("#upvote").count() == 0
    content = page.content()
    assert "3 Church Street" not in content and f"{HEIDELBERG.y:.4f}" not in content
    assert_clean(page)


def test_an_unknown_reference_is_a_friendly_404_and_the_form_finds_issues(live_server, offline_page, pothole):
    page = offline_page
    response = page.goto(f"{live_server.url}/track/GT423-2026-999999/")
    assert response.status == 404
    assert "We could not find that issue" in page.inner_text("h1")
    assert "GT423-2026-999999" in page.inner_text(".not-found")

    issue = file_issue(pothole, answers={"size": "small"})
    page.fill("#reference-input", issue.reference.lower() + " ")
    page.click(".lookup-form button")
    page.wait_for_url(f"**/track/{issue.reference}/")
    assert page.inner_text(".reference") == issue.reference
    assert_clean(page)


def test_track_page_on_a_phone(live_server, offline_phone, resolved_issue):
    page = offline_phone
    hold_tracking_key(page, live_server, resolved_issue)
    page.goto(f"{live_server.url}/track/{resolved_issue.reference}/")
    page.wait_for_selector("#issue-map[data-wards-drawn='13']")
    page.wait_for_selector("#rating-form:not([hidden])")
    assert_no_sideways_scroll(page)
    save_screenshot(page, "track-phone")
    page.locator("#reporter-actions").scroll_into_view_if_needed()
    save_screenshot(page, "track-phone-rating")
    assert_clean(page)


# --- the public issues map ------------------------------------------------------------------------

def test_public_map_draws_clusters_and_single_issues_and_filters_by_category(
        live_server, offline_page, pothole, streetlight_out, private_category):
    page = offline_page
    for metres in (0, 30, 60, 90):  # four potholes along one Heidelberg street
        file_issue(pothole, Point(HEIDELBERG.x + metres / 99_600, HEIDELBERG.y, srid=4326), answers={"size": "small"})
    far = Ward.objects.get(number=1).geom.point_on_surface
    light = file_issue(streetlight_out, far)
    file_issue(private_category, Point(HEIDELBERG.x, HEIDELBERG.y + 0.01, srid=4326))

    page.goto(f"{live_server.url}/m/GT423/issues/")
    page.wait_for_selector("#map[data-ready='true']")
    assert page.get_attribute("#map", "data-matched") == "5"  # the private report is not drawn
    assert page.locator(".cluster-marker:not(.legend-cluster)").count() == 1
    assert page.inner_text(".leaflet-marker-pane .cluster-marker") == "4"
    assert page.locator(".leaflet-marker-pane .issue-marker").count() == 1
    assert page.get_attribute(".leaflet-marker-pane .issue-marker", "title").startswith(light.reference)
    assert f"/track/{light.reference}/" in page.inner_html("#issue-list")
    save_screenshot(page, "issues-map")

    page.select_option("#filter-category", "streetlight-out")
    page.wait_for_selector("#map[data-ready='true'][data-matched='1']")
    assert page.locator(".leaflet-marker-pane .cluster-marker").count() == 0
    assert page.locator(".leaflet-marker-pane .issue-marker").count() == 1

    page.select_option("#filter-category", "")
    page.wait_for_selector("#map[data-ready='true'][data-matched='5']")
    zoom = page.evaluate("window.imbizoMap.getZoom()")
    page.click(".leaflet-marker-pane .cluster-marker")
    wait_until(page, f"window.imbizoMap.getZoom() > {zoom}")
    # Zoomed in until the four separate (a cell is 60 pixels; they are 30 m apart).
    for _ in range(6):
        page.wait_for_selector("#map[data-ready='true']")
        if page.locator(".leaflet-marker-pane .cluster-marker").count() == 0:
            break
        zoom = page.evaluate("window.imbizoMap.getZoom()")
        page.click(".leaflet-marker-pane .cluster-marker")
        wait_until(page, f"window.imbizoMap.getZoom() > {zoom}")
    page.wait_for_selector("#map[data-ready='true']")
    assert page.locator(".leaflet-marker-pane .issue-marker").count() == 4
    page.locator(".leaflet-marker-pane .issue-marker").first.click()
    page.wait_for_selector(".leaflet-popup a[href^='/track/GT423-']")
    page.wait_for_timeout(400)  # the popup fades in
    save_screenshot(page, "issues-map-zoomed")
    assert_clean(page)


def test_public_map_on_a_phone(live_server, offline_phone, pothole):
    page = offline_phone
    file_issue(pothole, answers={"size": "small"})
    page.goto(f"{live_server.url}/m/GT423/issues/")
    page.wait_for_selector("#map[data-ready='true'][data-matched='1']")
    assert_no_sideways_scroll(page)
    save_screenshot(page, "issues-map-phone")
    assert_clean(page)


def test_the_ward_map_links_to_the_issue_pages(live_server, offline_page, lesedi):
    page = offline_page
    page.goto(f"{live_server.url}/m/GT423/")
    page.click("text=Report an issue")
    page.wait_for_url("**/m/GT423/report/")
    page.click("text=Issues map")
    page.wait_for_url("**/m/GT423/issues/")
    page.click("text=Track an issue")
    page.wait_for_url("**/track/")
    assert_clean(page)
