"""The street base map: OpenStreetMap's tiles with their attribution by default, any tile server or an
MBTiles file served by the platform instead, and maps that keep their ward outlines and pins when no
tile can be fetched."""

import io
import sqlite3

import pytest
from django.test import Client
from PIL import Image

from gisplatform import basemap
from gisplatform.settings import OSM_ATTRIBUTION, OSM_TILE_URL, _csp_origin, basemap_from_environment
from tests.support import save_screenshot, wait_until
from triage.intake import services as intake
from triage.tests.conftest import HEIDELBERG, dispatcher, roads, streetlight_out, streetlights  # noqa: F401 (fixtures)


def test_openstreetmap_is_the_default_with_its_attribution_and_an_installation_may_choose():
    assert basemap_from_environment({}) == (OSM_TILE_URL, OSM_ATTRIBUTION, "")
    assert "OpenStreetMap</a> contributors" in OSM_ATTRIBUTION
    ours = {"IMBIZO_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png", "IMBIZO_TILE_ATTRIBUTION": "© Example"}
    assert basemap_from_environment(ours) == ("https://tiles.example.org/{z}/{x}/{y}.png", "© Example", "")
    assert basemap_from_environment({"IMBIZO_TILE_URL": ""})[0] == ""  # none: ward outlines only
    assert basemap_from_environment({"IMBIZO_BASEMAP_MBTILES": "/srv/za.mbtiles"}) == ("/basemap/{z}/{x}/{y}", "",
                                                                                        "/srv/za.mbtiles")
    assert _csp_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == ["https://*.tile.example.org"]


def png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def mbtiles(tmp_path, imbizo_settings):
    path = tmp_path / "streets.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
        db.execute("INSERT INTO metadata VALUES ('format', 'png')")
        # z1, x1, y0 in the URL (north-east) is TMS row 1 (rows count from the south).
        db.execute("INSERT INTO tiles VALUES (1, 1, 1, ?)", (png("red"),))
        db.execute("INSERT INTO tiles VALUES (1, 1, 0, ?)", (png("blue"),))
    basemap._tileset.cache_clear()
    imbizo_settings(BASEMAP_MBTILES=str(path), TILE_URL="/basemap/{z}/{x}/{y}")
    yield path
    basemap._tileset.cache_clear()


@pytest.mark.django_db
def test_an_mbtiles_file_is_served_tile_by_tile_with_rows_from_the_north(mbtiles):
    response = Client().get("/basemap/1/1/0")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).getpixel((5, 5)) == (255, 0, 0)
    assert Image.open(io.BytesIO(Client().get("/basemap/1/1/1").content)).getpixel((5, 5)) == (0, 0, 255)
    assert "max-age=86400" in response["Cache-Control"]
    assert Client().head("/basemap/1/1/0").status_code == 200
    assert Client().get("/basemap/1/0/0").status_code == 404  # not in the file
    assert Client().get("/basemap/1/2/0").status_code == 404  # not on the map at all


def test_without_an_mbtiles_file_there_is_no_basemap_endpoint(db):
    assert Client().get("/basemap/1/1/0").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_maps_keep_their_wards_and_pins_when_the_street_tiles_cannot_be_fetched(
        live_server, browser, imbizo_settings, settings, streetlight_out, dispatcher):  # noqa: F811
    imbizo_settings(TILE_URL=OSM_TILE_URL, TILE_ATTRIBUTION=OSM_ATTRIBUTION)
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]  # as the site's settings build it for this URL
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "img-src": ["'self'", "data:", *_csp_origin(OSM_TILE_URL)]}}
    issue = intake.issue_create(report=intake.Report(category=streetlight_out, location=HEIDELBERG)).issue
    from django.contrib.gis.geos import Point

    from triage.issues.services import issue_transition

    fixed = intake.issue_create(report=intake.Report(category=streetlight_out,
                                                     location=Point(HEIDELBERG.x + 0.005, HEIDELBERG.y, srid=4326))).issue
    for status in ("acknowledged", "resolved"):
        issue_transition(issue=fixed, to_status=status, actor=dispatcher)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    tile_requests, other_outside, errors = [], [], []

    def block_outside(route):
        url = route.request.url
        if url.startswith(live_server.url):
            route.continue_()
            return
        (tile_requests if url.startswith("https://tile.openstreetmap.org/") else other_outside).append(url)
        route.abort()  # no internet here

    context.route("**/*", block_outside)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/m/GT423/issues/")
    page.wait_for_selector("#map[data-wards-drawn='13']")
    page.wait_for_selector("#map[data-ready='true']")
    page.evaluate("([lat, lon]) => window.imbizoMap.setView([lat, lon + 0.0025], 16, {animate: false})",
                  [HEIDELBERG.y, HEIDELBERG.x])
    wait_until(page, "document.getElementById('map').dataset.singles === '2'")
    wait_until(page, "document.getElementById('map').dataset.tilesFailed === 'true'")
    assert page.locator("#map .issue-marker").count() == 2  # the pins are there, over no streets
    # Open and fixed differ in more than colour: a round "!" and a square tick, as the legend shows.
    open_pin, fixed_pin = page.locator("#map .status-submitted"), page.locator("#map .status-resolved")
    assert open_pin.inner_text() == "!" and fixed_pin.inner_text() == "✓"
    assert open_pin.evaluate("e => getComputedStyle(e).borderRadius") == "50%"
    assert fixed_pin.evaluate("e => getComputedStyle(e).borderRadius") == "3px"
    assert page.locator(".legend .status-resolved").inner_text() == "✓"
    assert "OpenStreetMap contributors" in page.inner_text(".leaflet-control-attribution")
    assert tile_requests and all(url.endswith(".png") for url in tile_requests)

    page.goto(f"{live_server.url}/track/{issue.reference}/")
    page.wait_for_selector("#issue-map[data-wards-drawn='13']")
    assert "OpenStreetMap" in page.inner_text("#issue-map .leaflet-control-attribution")
    save_screenshot(page, "track-tiles-blocked")
    assert other_outside == [] and errors == []
    context.close()
