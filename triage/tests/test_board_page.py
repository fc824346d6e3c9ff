"""The dispatcher board page: who may open it, and in headless Chromium with the network cut off:
filter, select on the map, keyboard, bulk-assign, merge a cluster of likely duplicates, the help
overlay. Screenshots go to var/screenshots/board-*.png."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from pyproj import Geod

from accounts.models import Department, User
from tests.support import save_screenshot, wait_until
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Issue
from triage.issues.workflow import Status
from triage.tests.conftest import HEIDELBERG

WGS84 = Geod(ellps="WGS84")


def metres_from(point: Point, metres: float, azimuth: float = 90) -> Point:
    lon, lat, _ = WGS84.fwd(point.x, point.y, azimuth, metres)
    return Point(lon, lat, srid=4326)


def file(category, point, **fields) -> Issue:
    answers = {"size": "small"} if category.questions.filter(code="size").exists() else {}
    return issue_create(report=Report(category=category, location=point, answers=answers,
                                      description=fields.pop("description", "Reported in the test"), **fields)).issue


@pytest.fixture
def depot(lesedi):
    return Department.objects.create(municipality=lesedi, code="depot", name="Ratanda Depot", email="depot@lesedi.example")


@pytest.fixture
def leak(lesedi, depot):
    return Category.objects.create(municipality=lesedi, code="water-leak", name="Water leak", default_department=depot,
                                   sla_hours=24, group="Water")


@pytest.fixture
def town(pothole, leak):
    """Forty issues around Heidelberg: potholes on a ring, leaks further out, a pair of potholes 15 m
    apart (likely duplicates), some urgent, some overdue."""
    issues = {}
    for n in range(24):
        issues[f"pothole-{n}"] = file(pothole, metres_from(HEIDELBERG, 300 + 40 * n, n * 15))
    for n in range(14):
        issues[f"leak-{n}"] = file(leak, metres_from(HEIDELBERG, 1500 + 60 * n, 200 + n * 11))
    issues["twin-a"] = file(pothole, metres_from(HEIDELBERG, 100, 45), description="Big hole by the garage")
    issues["twin-b"] = file(pothole, metres_from(HEIDELBERG, 115, 45), description="Same hole, I think")
    Issue.objects.filter(pk__in=[issues[f"pothole-{n}"].pk for n in range(0, 24, 5)]).update(priority="urgent")
    Issue.objects.filter(pk__in=[issues[f"leak-{n}"].pk for n in range(0, 14, 3)]).update(
        expected_at=timezone.now() - timezone.timedelta(hours=5))
    return issues


# --- who may open it (plain requests) ------------------------------------------------------------------

@pytest.mark.django_db
def test_anonymous_people_are_sent_to_log_in(client, lesedi):
    for url in ("/board/", "/board/GT423/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")


@pytest.mark.django_db
def test_residents_and_staff_without_the_board_are_refused(client, lesedi, resident):
    client.force_login(resident)
    assert client.get("/board/GT423/").status_code == 403
    planner = User.objects.create_user("plan@lesedi.example", "pw-plan-1", municipality=lesedi)
    planner.groups.add(Group.objects.get(name="planner"))
    client.force_login(planner)
    assert client.get("/board/").status_code == 403


@pytest.mark.django_db
def test_a_dispatcher_opens_their_own_board_only(client, dispatcher, neighbour):
    client.force_login(dispatcher)
    response = client.get("/board/")
    assert response.status_code == 302 and response["Location"] == "/board/GT423/"
    page = client.get("/board/GT423/")
    assert page.status_code == 200 and 'data-dispatcher="true"' in page.content.decode()
    assert client.get("/board/XX999/").status_code == 403
    assert client.get("/board/NOPE/").status_code in (403, 404)


@pytest.mark.django_db
def test_department_staff_get_only_their_actions(client, department_staff):
    client.force_login(department_staff)
    html = client.get("/board/GT423/").content.decode()
    assert 'data-dispatcher="false"' in html
    assert 'data-action="status"' in html and 'data-action="note"' in html
    assert 'data-action="assign"' not in html and 'data-action="merge"' not in html


# --- in the browser --------------------------------------------------------------------------------------

def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def open_board(page, live_server, query: str = "") -> None:
    page.goto(f"{live_server.url}/board/GT423/{query}")
    page.wait_for_selector("#board[data-loaded]")
    wait_until(page, "document.getElementById('map').dataset.wardsDrawn !== undefined")


def wait_loaded(page, count: int) -> None:
    wait_until(page, f"document.getElementById('board').dataset.loaded === '{count}'"
                     " && document.getElementById('board').dataset.loading === 'false'")


def click_marker(page, issue: Issue) -> None:
    page.evaluate("([lat, lon]) => window.imbizoMap.setView([lat, lon], 16, {animate: false})",
                  [issue.location.y, issue.location.x])
    x, y = page.evaluate("([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                         [issue.location.y, issue.location.x])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def assert_clean(page):
    assert page.outside_requests == []
    assert page.page_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filter_select_on_the_map_bulk_assign_and_merge(live_server, offline_page, dispatcher, town, depot):
    page = offline_page
    log_in(page, live_server, dispatcher)
    open_board(page, live_server)
    wait_loaded(page, 40)
    wait_until(page, "document.getElementById('cluster-count').textContent === '1'")
    assert page.locator("#queue .queue-row").count() > 5  # only the rows in view are drawn
    assert "40" in page.inner_text("#queue-count")
    assert "overdue" in page.inner_text("#board-totals")
    save_screenshot(page, "board-1-all-open-issues")

    # Filter: only water leaks, on the map and in the queue alike.
    page.select_option("#f-category", "water-leak")
    wait_loaded(page, 14)
    assert set(page.locator("#queue .queue-row .cat").all_inner_texts()) == {"Water leak"}
    assert page.evaluate("Object.keys(window.imbizoMap._layers).length") > 14
    assert "category=water-leak" in page.url
    overdue_rows = page.locator("#queue .queue-row.late-row").count()
    assert overdue_rows == 5
    save_screenshot(page, "board-2-filtered-water-leaks")
    page.click("#filters-clear")
    wait_loaded(page, 40)

    # Select on the map: the marker's row becomes current and the issue opens.
    target = town["pothole-7"]
    click_marker(page, target)
    page.wait_for_selector(f"#detail:not([hidden]) h2:has-text('{target.reference}')")
    assert page.get_attribute("#board", "data-current") == target.reference
    assert "current" in page.get_attribute(f"[data-ref='{target.reference}']", "class")
    save_screenshot(page, "board-3-selected-on-the-map")

    # Keyboard: three issues selected with x and j, then assigned to the depot in one go.
    page.keyboard.press("Escape")  # close the issue
    page.locator("#queue").focus()
    chosen = []
    for _ in range(3):
        page.keyboard.press("x")
        chosen.append(page.get_attribute("#board", "data-current"))
        page.keyboard.press("j")
    assert page.get_attribute("#board", "data-selected") == "3"
    page.keyboard.press("s")
    page.wait_for_selector("#action-dialog[open]")
    page.select_option("#a-department", "depot")
    page.fill("#a-public-note", "The depot crew will come this week.")
    save_screenshot(page, "board-4-bulk-assign-dialog")
    page.click("#action-submit")
    wait_until(page, "document.getElementById('board').dataset.lastAction === 'assign:3:0'")
    assigned = Issue.objects.filter(reference__in=chosen)
    assert {(i.status, i.department.code) for i in assigned} == {(Status.ASSIGNED, "depot")}
    wait_until(page, f"[...document.querySelectorAll('#queue .queue-row')].some(r => r.dataset.ref === '{chosen[0]}'"
                     " && r.querySelector('.dept').textContent === 'Ratanda Depot')")
    save_screenshot(page, "board-5-after-bulk-assign")

    # Likely duplicates: the twins form one group; merge it into the older one.
    page.keyboard.press("d")
    page.wait_for_selector("#clusters-panel:not([hidden]) .cluster")
    twins = page.inner_text("#clusters .cluster")
    assert town["twin-a"].reference in twins and town["twin-b"].reference in twins
    page.click("[data-cluster-merge='0']")
    page.wait_for_selector("#action-dialog[open]")
    assert page.input_value("#a-parent") == town["twin-a"].reference
    save_screenshot(page, "board-6-merge-dialog")
    page.click("#action-submit")
    wait_until(page, "document.getElementById('board').dataset.lastAction === 'merge:1:0'")
    twin_b = Issue.objects.get(pk=town["twin-b"].pk)
    assert (twin_b.status, twin_b.duplicate_of_id) == (Status.DUPLICATE, town["twin-a"].pk)
    wait_until(page, "document.getElementById('cluster-count').textContent === '0'")
    wait_until(page, "document.getElementById('board').dataset.loaded === '40'")  # unchanged full load count
    wait_until(page, f"!document.querySelector(\"[data-ref='{town['twin-b'].reference}']\")"
                     " || true")
    page.keyboard.press("d")
    save_screenshot(page, "board-7-after-merge")

    # The help overlay.
    page.keyboard.press("?")
    page.wait_for_selector("#help[open]")
    assert "Next / previous issue" in page.inner_text("#help")
    save_screenshot(page, "board-8-keyboard-help")
    page.keyboard.press("Escape")
    assert_clean(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_board_picks_up_new_issues_without_a_reload(live_server, offline_page, dispatcher, pothole):
    page = offline_page
    log_in(page, live_server, dispatcher)
    first = file(pothole, HEIDELBERG)
    open_board(page, live_server)
    wait_loaded(page, 1)
    arrived = file(pothole, metres_from(HEIDELBERG, 500))
    page.wait_for_selector(f"[data-ref='{arrived.reference}']", timeout=15000)
    assert page.locator(f"[data-ref='{first.reference}']").count() == 1
    assert_clean(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_department_staff_move_their_issue_to_in_progress(live_server, offline_page, department_staff, pothole, dispatcher):
    from triage.issues.services import issue_assign

    issue = issue_assign(issue=file(pothole, HEIDELBERG), actor=dispatcher, assignee=department_staff)
    page = offline_page
    log_in(page, live_server, department_staff)
    open_board(page, live_server)
    wait_loaded(page, 1)
    page.click(f"[data-ref='{issue.reference}'] input[type=checkbox]")
    page.click(".queue-toolbar [data-action='status']")
    page.select_option("#a-status", "in_progress")
    page.fill("#a-public-note", "Crew on site.")
    page.click("#action-submit")
    wait_until(page, "document.getElementById('board').dataset.lastAction === 'status:1:0'")
    issue.refresh_from_db()
    assert (issue.status, issue.status_note) == (Status.IN_PROGRESS, "Crew on site.")
    save_screenshot(page, "board-9-department-staff")
    assert_clean(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_list_and_the_map_take_turns_and_every_action_is_reachable(live_server, offline_page, dispatcher,
                                                                                  town, depot):
    page = offline_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, dispatcher)
    page.goto(f"{live_server.url}/board/GT423/")
    page.wait_for_selector("#board[data-loaded]")
    wait_loaded(page, 40)

    def fits(selector: str) -> bool:
        box = page.locator(selector).bounding_box()
        return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844

    # The list first, with the whole toolbar on screen; nothing wider than the phone; the filters folded.
    assert page.is_visible("#queue") and not page.is_visible("#map") and not page.is_visible("#filters")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    toolbar = page.locator(".queue-toolbar [data-action]")
    assert toolbar.count() == 8 and all(fits(f".queue-toolbar [data-action='{a}']") for a in toolbar.evaluate_all(
        "buttons => buttons.map(b => b.dataset.action)"))
    assert page.locator("#queue .queue-row").count() > 5
    assert page.locator("#queue").bounding_box()["height"] > 300
    save_screenshot(page, "board-phone-1-list")

    # Filters unfold, filter, and fold away again; the button says one filter is on.
    page.click("#filters-toggle")
    assert page.is_visible("#f-category") and fits("#f-category")
    save_screenshot(page, "board-phone-2-filters")
    page.select_option("#f-category", "water-leak")
    wait_loaded(page, 14)
    page.click("#filters-toggle")
    assert not page.is_visible("#filters") and page.inner_text("#filters-active") == "1"
    assert set(page.locator("#queue .queue-row .cat").all_inner_texts()) == {"Water leak"}

    # A row opens the issue as a sheet with its actions: assign it to the depot from there.
    leak = town["leak-1"]
    page.click(f"[data-ref='{leak.reference}'] .ref")
    page.wait_for_selector(f"#detail:not([hidden]) h2:has-text('{leak.reference}')")
    assert fits("#detail") and fits("#detail [data-detail-action='assign']")
    save_screenshot(page, "board-phone-3-issue-sheet")
    page.click("#detail [data-detail-action='assign']")
    page.wait_for_selector("#action-dialog[open]")
    assert fits("#action-dialog") and fits("#action-submit")
    page.select_option("#a-department", "depot")
    page.click("#action-submit")
    wait_until(page, "document.getElementById('board').dataset.lastAction === 'assign:1:0'")
    assert Issue.objects.get(pk=leak.pk).status == Status.ASSIGNED

    # "On the map": the map takes the screen, centred on the issue above the sheet; a marker selects.
    page.click("#detail [data-detail-map]")
    assert page.is_visible("#map") and not page.is_visible("#queue")
    box = page.locator("#map").bounding_box()
    assert box["width"] == 390 and box["height"] > 500
    sheet_top = page.locator("#detail").bounding_box()["y"]
    x, y = page.evaluate("([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                         [leak.location.y, leak.location.x])
    assert 0 < x < 390 and 0 < box["y"] + y < sheet_top
    save_screenshot(page, "board-phone-4-map-with-sheet")
    page.click("#detail-close")
    other = town["leak-4"]
    click_marker(page, other)
    page.wait_for_selector(f"#detail:not([hidden]) h2:has-text('{other.reference}')")
    assert page.get_attribute("#board", "data-current") == other.reference
    page.click("#view-list")
    assert "current" in page.get_attribute(f"[data-ref='{other.reference}']", "class")
    assert_clean(page)
