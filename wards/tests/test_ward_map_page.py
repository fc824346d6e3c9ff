"""The public ward map in headless Chromium, with the network cut off."""

import pytest

from tests.support import save_screenshot
from wards.models import Ward

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_map_page_draws_wards_offline_and_a_click_shows_the_ward(lesedi, live_server, offline_page):
    page = offline_page
    page.goto(f"{live_server.url}/m/GT423/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    assert page.locator("path.leaflet-interactive").count() == 13
    assert "Not for emergencies" in page.inner_text(".emergency")
    assert "Lesedi" in page.inner_text(".brand-bar")

    inside = Ward.objects.get(code="74203009").geom.point_on_surface
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [inside.y, inside.x],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#lookup-ward")
    assert page.inner_text("#lookup-ward") == "Ward 9 (74203009)"
    save_screenshot(page, "ward-map-click")

    assert page.outside_requests == []  # nothing tried to leave the machine
    assert page.page_errors == []


def test_map_page_on_a_phone_sized_screen(lesedi, live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/m/GT423/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    map_box = page.locator("#map").bounding_box()
    assert map_box["width"] >= 380  # the map takes the width; the panel goes below it
    save_screenshot(page, "ward-map-phone")
    context.close()


def test_clicking_outside_the_municipality_says_so(lesedi, live_server, offline_page):
    page = offline_page
    page.goto(f"{live_server.url}/m/GT423/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + box["height"] - 5)  # the corner, off the boundary
    page.wait_for_selector(".outside")
    assert "outside every municipality" in page.inner_text("#lookup-result")
