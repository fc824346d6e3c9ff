"""The "near me" page in headless Chromium with a fixed geolocation and no network."""

import pytest
from django.contrib.gis.geos import Point

from assets.models import Facility, FacilityType
from assets.services import facility_set_opening_hours
from tests.support import save_screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEIDELBERG = {"latitude": -26.5040, "longitude": 28.3580}


def test_near_me_lists_nearest_facilities_with_distance_and_open_state(health_facilities, live_server, browser):
    library = Facility.objects.create(
        facility_type=FacilityType.objects.get(code="library"), external_id="test:library",
        name="Heidelberg Library", location=Point(28.3590, -26.5045, srid=4326),
        municipality=Facility.objects.filter(municipality__code="GT423").first().municipality)
    facility_set_opening_hours(facility=library, opening_hours="24/7")

    context = browser.new_context(viewport={"width": 1280, "height": 800}, geolocation=HEIDELBERG,
                                  permissions=["geolocation"])
    outside = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
                  else (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    page.goto(f"{live_server.url}/m/GT423/near/")
    page.click("#locate")
    page.wait_for_selector("#facility-list[data-loaded='10']")
    first = page.locator(".facility").first
    assert "Heidelberg Library" in first.inner_text()
    assert "open" in first.locator(".state").inner_text()
    distances = page.locator(".distance").all_inner_texts()
    assert distances[0].endswith(" m") and int(distances[0].split()[0]) < 150
    assert page.locator(".leaflet-interactive").count() == 11  # ten facilities and "you are here"
    save_screenshot(page, "near-me")

    page.select_option("#facility-type", "hospital")
    wait_until(page, "document.querySelectorAll('.facility').length > 0 && "
                     "[...document.querySelectorAll('.facility')].every(li => li.innerText.includes('Hospital'))")

    # Clinic + Open now: the clinics' hours are unknown, so they stay, flagged, and the page says so.
    page.select_option("#facility-type", "clinic")
    page.check("#open-now")
    wait_until(page, "!document.getElementById('hours-note').hidden")
    note = page.inner_text("#hours-note")
    count = page.locator(".facility").count()
    assert count > 0 and note.startswith(f"{count} of these have unknown opening hours")
    assert all(state == "hours unknown" for state in page.locator(".facility .state").all_inner_texts())
    save_screenshot(page, "near-me-clinics-open-now")
    assert outside == []
    context.close()
