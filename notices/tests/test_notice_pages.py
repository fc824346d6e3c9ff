"""The compose page and the public notices page in headless Chromium, offline: an officer draws a
polygon, attaches a PDF, previews the audience and publishes; the public map and the Atom feed
show the notice, and a resident whose home is inside gets the message."""


import pytest
from django.contrib.auth.models import Group
from PIL import Image

from accounts.models import User
from notices.models import OutboundMessage
from notices.notice import Notice
from residents.models import Place
from tests.support import save_screenshot, wait_until
from wards.models import Ward

pytestmark = [pytest.mark.browser, pytest.mark.shared_data, pytest.mark.django_db(transaction=True)]


def small_pdf(path) -> None:
    Image.new("RGB", (200, 280), "white").save(path, "PDF")


def map_point(page, lat: float, lon: float) -> tuple[float, float]:
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.imbizoMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [lat, lon])
    box = page.locator("#map").bounding_box()
    return box["x"] + x, box["y"] + y


def test_compose_a_drawn_notice_with_a_pdf_preview_publish_and_see_it_in_public(
        live_server, offline_page, lesedi, client, tmp_path):
    page = offline_page
    officer = User.objects.create_user("comms@lesedi.example", "x", municipality=lesedi, is_staff=True)
    officer.groups.add(Group.objects.get(name="communications officer"))
    centre = Ward.objects.get(municipality=lesedi, number=3).geom.point_on_surface
    resident = User.objects.create_user("resident@example.org", "x")
    Place.objects.create(user=resident, is_home=True, point=centre)
    client.force_login(officer)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])

    page.goto(f"{live_server.url}/m/GT423/notices/compose/")
    page.fill("#title", "Water off around the reservoir")
    page.fill("#body", "Repairs to the main pipe.\n\nWater tankers at the hall.")
    page.select_option("#kind", "water")
    page.evaluate("([lat, lon]) => window.imbizoMap.setView([lat, lon], 15, {animate: false})", [centre.y, centre.x])
    # Draw a square around the resident's home with Leaflet.draw's polygon tool.
    page.click(".leaflet-draw-draw-polygon")
    delta = 0.003
    corners = [(centre.y - delta, centre.x - delta), (centre.y - delta, centre.x + delta),
               (centre.y + delta, centre.x + delta), (centre.y + delta, centre.x - delta)]
    for lat, lon in [*corners, corners[0]]:  # the last click, on the first corner, closes the ring
        page.mouse.click(*map_point(page, lat, lon))
        page.wait_for_timeout(400)  # Leaflet.draw takes two quick clicks for a double-click
    assert page.input_value("#target") == "polygon"
    assert page.locator(".leaflet-overlay-pane path").count() >= 1
    pdf = tmp_path / "schedule.pdf"
    small_pdf(pdf)
    page.set_input_files("#files", str(pdf))

    page.click("#preview")
    page.wait_for_selector("#audience[data-people]")
    assert "1 residents: 1 email, 0 SMS, 0 push." in page.inner_text("#audience")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish")
    wait_until(page, "document.getElementById('compose').dataset.state === 'published'")
    save_screenshot(page, "notices-compose")

    notice = Notice.objects.get()
    assert len(notice.drawn.coords[0]) == 5  # the four corners drawn, and the first again
    assert notice.state == Notice.State.PUBLISHED and notice.attachments.get().kind == "pdf"
    assert list(OutboundMessage.objects.values_list("address", flat=True)) == ["resident@example.org"]

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/m/GT423/notices/")
    wait_until(page, "document.getElementById('map').dataset.noticesDrawn === '1'")
    assert page.locator(".leaflet-overlay-pane path").count() >= 1
    assert "Water off around the reservoir" in page.inner_text("#notice-list")
    page.click("#notice-list a")
    page.wait_for_selector("text=Repairs to the main pipe.")
    assert page.locator(".notice-files img").count() == 1  # the PDF's first page
    save_screenshot(page, "notices-page")
    atom = page.request.get(f"{live_server.url}/m/GT423/notices/feed.atom").text()
    assert "Water off around the reservoir" in atom
    assert page.outside_requests == [] and page.page_errors == []


def test_the_report_page_names_a_known_outage_at_the_pin(live_server, offline_page, lesedi):
    from datetime import timedelta

    from django.utils import timezone

    from notices.notice_services import notice_publish, notice_write

    page = offline_page
    ward = Ward.objects.get(municipality=lesedi, number=3)
    now = timezone.now()
    notice = notice_write(municipality=lesedi, actor=None, title="Water outage", body="Pipe repairs.", kind="water",
                          target=Notice.Target.WARDS, wards=[ward], starts_at=now - timedelta(hours=1),
                          ends_at=now + timedelta(hours=3))
    notice_publish(notice=notice, actor=None, now=now)
    inside = ward.geom.point_on_surface
    outside = Ward.objects.exclude(geom__intersects=ward.geom).first().geom.point_on_surface

    page.goto(f"{live_server.url}/m/GT423/report/")
    for point, expected in ((inside, True), (outside, False)):
        page.evaluate("([lat, lon]) => window.imbizoMap.setView([lat, lon], 15, {animate: false})", [point.y, point.x])
        page.click("#pin-centre")
        if expected:
            page.wait_for_selector("#known-notices:not([hidden])")
            assert page.inner_text("#known-notices").startswith("Known here: Water outage, until ")
        else:
            wait_until(page, "document.getElementById('known-notices').hidden")
    assert page.outside_requests == [] and page.page_errors == []
