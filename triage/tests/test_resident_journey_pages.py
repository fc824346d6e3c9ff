"""A resident's journey in headless Chromium, network cut off: sign up by email and by phone (the
code read from the outbox), claim a report filed anonymously in this browser, see it in My issues,
rate it from the signed link opened in a fresh browser, pin a home, subscribe to a ward, and get the
alert for an issue filed inside it and none for one outside. Phone-sized too."""

import re

import pytest

from notices.models import OutboundMessage
from residents.models import AreaAlert, Place
from tests.support import save_screenshot
from triage.intake import services as intake
from triage.issues import services
from triage.issues.models import Rating
from triage.tests.conftest import HEIDELBERG
from triage.tests.test_report_pages import PHONE, assert_clean, click_map
from wards.models import Ward

pytestmark = [pytest.mark.browser, pytest.mark.shared_data, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline_context(browser, live_server):
    contexts = []

    def make(**options):
        context = browser.new_context(**options)

        def only_local(route):
            if route.request.url.startswith((live_server.url, "data:", "blob:")):
                route.continue_()
            else:
                context.outside_requests.append(route.request.url)
                route.abort()

        context.outside_requests = []
        context.route("**/*", only_local)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        assert context.outside_requests == []
        context.close()


def new_page(context):
    page = context.new_page()
    page.outside_requests, page.page_errors = [], []
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    return page


def test_sign_up_by_phone_with_the_code_from_the_outbox(live_server, offline_context, lesedi):
    page = new_page(offline_context(viewport=PHONE, is_mobile=True, has_touch=True))
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=phone]", "082 555 1234")
    page.check("input[name=consent]")
    save_screenshot(page, "resident-signup-phone")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/phone/verify/")
    sms = OutboundMessage.objects.get(address="+27825551234", channel="sms")
    page.fill("input[name=code]", re.search(r"\b(\d{6})\b", sms.body).group(1))
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")
    assert "+27825551234" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert_clean(page)


def test_the_whole_journey_by_email(live_server, offline_context, pothole, dispatcher):
    context = offline_context(viewport={"width": 1280, "height": 900})
    page = new_page(context)
    # A report filed anonymously in this browser earlier: the report page keeps its tracking key.
    earlier = intake.issue_create(report=intake.Report(category=pothole, location=HEIDELBERG,
                                                       answers={"size": "large"})).issue
    page.goto(f"{live_server.url}/accounts/signup/")
    page.evaluate("([ref, key]) => { localStorage.setItem('imbizo:tracking:' + ref, key);"
                  " localStorage.setItem('imbizo:reports', JSON.stringify([{reference: ref}])); }",
                  [earlier.reference, earlier.tracking_key])
    page.fill("input[name=email]", "naledi@example.org")
    page.fill("input[name=password1]", "a-long-passphrase-42")
    page.check("input[name=consent]")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")

    # Claim it, and see it in My issues.
    page.goto(f"{live_server.url}/me/issues/")
    page.click("#claim")
    page.wait_for_selector(f"#my-issues tr[data-reference='{earlier.reference}']")
    assert "Submitted" in page.inner_text(f"#my-issues tr[data-reference='{earlier.reference}'] .status")

    # Resolved: the email's signed link, opened in a fresh browser (no session, no cookies), rates it.
    for step in ("acknowledged", "in_progress", "resolved"):
        services.issue_transition(issue=earlier, to_status=step, actor=dispatcher, public_note="Filled")
    body = OutboundMessage.objects.filter(address="naledi@example.org", topic=f"issue:{earlier.reference}").latest("id").body
    link = re.search(r"https?://[^/\s]+(/act/\S+/)", body).group(1)
    laptop = new_page(offline_context(viewport={"width": 1024, "height": 768}))
    laptop.goto(live_server.url + link)
    laptop.check("input[name=stars][value='5']")
    laptop.click("#act-rate")
    laptop.wait_for_selector("#act-done")
    assert Rating.objects.get(issue=earlier).stars == 5
    assert_clean(laptop)

    # A home pinned on the map shows its ward.
    page.goto(f"{live_server.url}/me/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    click_map(page, HEIDELBERG.x, HEIDELBERG.y)
    page.fill("#place-address", "5 Private Road")
    page.click("#place-save")
    page.wait_for_selector("#places tr[data-place]")
    ward = Ward.objects.current().filter(geom__covers=HEIDELBERG).order_by("number").first()
    assert f"Ward {ward.number}" in page.inner_text("#places")
    assert Place.objects.get().is_home

    # Subscribe to that ward; an issue filed inside it alerts, one filed outside does not.
    page.goto(f"{live_server.url}/me/alerts/")
    page.select_option("#alert-ward", ward.code)
    page.click("#alert-save")
    page.wait_for_selector("#alerts li[data-alert]")
    assert AreaAlert.objects.get().ward == ward
    inside = intake.issue_create(report=intake.Report(category=pothole, location=HEIDELBERG, answers={"size": "small"})).issue
    far_ward = Ward.objects.current().exclude(pk=ward.pk).exclude(geom__touches=ward.geom).first()
    outside = intake.issue_create(report=intake.Report(category=pothole, location=far_ward.geom.point_on_surface,
                                                       answers={"size": "small"})).issue
    assert OutboundMessage.objects.filter(topic=f"alert:{inside.reference}", address="naledi@example.org").exists()
    assert not OutboundMessage.objects.filter(topic=f"alert:{outside.reference}").exists()
    assert_clean(page)


def test_the_resident_pages_on_a_phone(live_server, offline_context, lesedi, django_user_model):
    user = django_user_model.objects.create_user("phone.view@example.org", "a-long-passphrase-42")
    Place.objects.create(user=user, name="Home", is_home=True, point=HEIDELBERG)
    context = offline_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = new_page(context)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "phone.view@example.org")
    page.fill("input[name=password]", "a-long-passphrase-42")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    save_screenshot(page, "resident-profile-phone")
    page.goto(f"{live_server.url}/me/alerts/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    save_screenshot(page, "resident-alerts-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert_clean(page)
