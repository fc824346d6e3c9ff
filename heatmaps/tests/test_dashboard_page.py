"""The planners' dashboard in headless Chromium with the network cut off: the choropleth, the hex
grid, the density layer, the chart with its forecast, the table; and who may open it."""

import pytest
from django.conf import settings

from heatmaps.refresh import summary_refresh
from heatmaps.tests.conftest import file_issues
from tests.support import save_screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.shared_data, pytest.mark.django_db(transaction=True)]


def session_cookie(client, user, live_server) -> dict:
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}


@pytest.fixture
def logged_in_planner(offline_page, live_server, planner, client):
    offline_page.context.add_cookies([session_cookie(client, planner, live_server)])
    return offline_page


@pytest.fixture
def history(categories, ward_frame):
    filed = file_issues(categories, ward_frame, count=150, days=700, seed=5)
    summary_refresh(full=True)
    return filed


def assert_clean(page):
    assert page.outside_requests == []
    assert page.page_errors == []


def test_the_dashboard_draws_choropleth_hex_grid_density_chart_and_table(logged_in_planner, live_server, history):
    page = logged_in_planner
    page.goto(f"{live_server.url}/m/GT423/planning/")
    page.wait_for_selector('#map[data-drawn^="choropleth:"]')
    page.wait_for_selector('#figures-table[data-rows="13"]')
    page.wait_for_selector("#chart[data-drawn]")
    assert page.get_attribute("#map", "data-drawn") == "choropleth:13"
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 13
    assert "Issues logged" in page.inner_text(".map-legend")
    assert page.locator("#figures-body tr").count() == 13
    assert page.locator("#chart rect").count() >= 12  # a bar per month of the year
    assert page.locator("#chart polygon").count() == 1  # the forecast band
    assert "Forecast:" in page.inner_text("#forecast-note")
    save_screenshot(page, "planning-choropleth")

    page.select_option("#map-figure", "median_hours_to_resolve")
    page.wait_for_selector('#map[data-drawn^="choropleth:"]')
    wait_until(page, "document.querySelector('.map-legend').innerText.includes('Median time to resolve')")

    page.select_option("#map-layer", "hexgrid")
    page.wait_for_selector('#map[data-drawn^="hexgrid:"]')
    cells = int(page.get_attribute("#map", "data-drawn").split(":")[1])
    assert cells > 50
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == cells
    assert "500 m hexagon" in page.inner_text(".map-legend")
    save_screenshot(page, "planning-hexgrid")

    page.select_option("#hex-size", "1000")
    wait_until(page, "document.querySelector('.map-legend').innerText.includes('1 km hexagon')")
    page.select_option("#map-layer", "density")
    page.wait_for_selector('#map[data-drawn^="density:"]')
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    save_screenshot(page, "planning-density")

    total_cell = "#figures-foot tr:last-child td:nth-child(2)"
    total_before = page.inner_text(total_cell)
    page.select_option("#filter-category", "pothole")
    wait_until(page, f"document.querySelector('{total_cell}').innerText !== '{total_before}'")
    potholes = sum(f.category == "pothole" for f in history)
    assert int("".join(ch for ch in page.inner_text(total_cell) if ch.isdigit())) <= potholes
    assert "category=pothole" in page.get_attribute("#downloads a[data-export='report.pdf']", "href")
    assert_clean(page)


def test_the_dashboard_on_a_narrow_screen(browser, live_server, planner, client, history):
    context = browser.new_context(viewport={"width": 800, "height": 1000})
    context.add_cookies([session_cookie(client, planner, live_server)])
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort())
    page = context.new_page()
    page.goto(f"{live_server.url}/m/GT423/planning/")
    page.wait_for_selector('#map[data-drawn^="choropleth:"]')
    page.wait_for_selector("#chart[data-drawn]")
    save_screenshot(page, "planning-narrow")
    context.close()


def test_only_planners_of_the_municipality_open_the_dashboard(client, lesedi, planner):
    from accounts.models import User

    response = client.get("/m/GT423/planning/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(User.objects.create_user("resident@example.org", "pw-resident-9"))
    assert client.get("/m/GT423/planning/").status_code == 403
    client.force_login(planner)
    assert client.get("/m/GT423/planning/").status_code == 200
    assert client.get("/heatmaps/leaflet-heat.js").status_code == 200
