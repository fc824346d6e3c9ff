"""Logging a walk-in or a phone call from the dispatcher board: the same intake as every report,
the staff channels only for staff of the category's municipality, reporter details optional."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from tests.support import save_screenshot, wait_until
from triage.issues.models import Category, Issue
from triage.tests.conftest import HEIDELBERG
from triage.tests.test_board_page import assert_clean, log_in, open_board, wait_loaded


@pytest.mark.django_db
def test_the_board_offers_the_form_to_staff_who_may_log_reports(client, dispatcher, department_staff, lesedi):
    client.force_login(dispatcher)
    html = client.get("/board/GT423/").content.decode()
    assert 'id="intake-open"' in html and 'id="intake-dialog"' in html and "dispatch/intake.js" in html
    assert '<option value="walk_in">Walk-in at an office</option>' in html
    assert "<script>" not in html  # strict CSP: the form's code is a served file
    client.force_login(department_staff)
    assert 'id="intake-open"' in client.get("/board/GT423/").content.decode()


@pytest.mark.django_db
def test_staff_channels_stop_at_the_staff_members_municipality(client, dispatcher, neighbour, pothole):
    other = User.objects.create_user("dispatch@xx999.example", "pw-other-1", municipality=neighbour, is_staff=True)
    other.groups.add(Group.objects.get(name="dispatcher"))
    report = {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x, "channel": "walk_in",
              "answers": {"size": "small"}, "description": "Came to the counter"}
    client.force_login(other)
    refused = client.post("/api/v1/issues", report, content_type="application/json")
    assert refused.status_code == 400 and "channel" in refused.json()
    client.force_login(dispatcher)
    logged = client.post("/api/v1/issues", report, content_type="application/json")
    assert logged.status_code == 201
    issue = Issue.objects.get(reference=logged.json()["reference"])
    assert issue.channel == "walk_in" and issue.municipality == pothole.municipality
    assert not issue.reporter_email and not issue.reporter_phone and not issue.reporter_id


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_logs_a_walk_in_from_the_board(live_server, offline_page, dispatcher, pothole):
    Category.objects.create(municipality=pothole.municipality, code="graffiti", name="Graffiti", group="Cleaning")
    page = offline_page
    log_in(page, live_server, dispatcher)
    open_board(page, live_server)
    wait_loaded(page, 0)
    page.click("#intake-open")
    page.wait_for_selector("#i-category[data-loaded='2']")
    page.select_option("#i-channel", "walk_in")
    page.select_option("#i-category", str(pothole.pk))
    page.click("#intake-submit")  # no size, no place: both named, nothing logged
    wait_until(page, "document.getElementById('intake-error').textContent !== ''")
    assert "Click the map" in page.inner_text("#intake-dialog")
    page.select_option("#i-answer-size", "large")
    page.evaluate("([lat, lon]) => window.imbizoMap.setView([lat, lon], 16, {animate: false})", [HEIDELBERG.y, HEIDELBERG.x])
    x, y = page.evaluate("([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); "
                         "return [p.x, p.y]; }", [HEIDELBERG.y, HEIDELBERG.x])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)  # the panel is not modal: the map takes the click
    wait_until(page, "document.getElementById('i-lat').value !== ''")
    page.fill("#i-description", "Resident at the counter: deep pothole outside the library")
    page.fill("#i-name", "Thandi Mokoena")
    page.fill("#i-phone", "016 341 2000")
    page.click("#intake-submit")
    page.wait_for_selector("#intake-reference")
    issue = Issue.objects.get()
    assert page.inner_text("#intake-reference") == issue.reference
    assert issue.channel == "walk_in" and issue.answers == {"size": "large"}
    assert issue.reporter_name == "Thandi Mokoena" and issue.reporter_phone == "+27163412000"
    assert issue.location.distance(HEIDELBERG) < 1e-4
    save_screenshot(page, "board-intake-logged")
    # The board's own refresh brings it into the queue.
    wait_until(page, "document.getElementById('queue-count').textContent === '1'")
    assert_clean(page)
