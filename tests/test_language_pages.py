"""Choosing a language in the browser: the switcher on a phone, the pages' scripts speaking the same
language (Django's JavaScript catalogue), and the choice kept from page to page."""

import pytest

from tests.support import save_screenshot
from triage.tests.conftest import roads, streetlight_out, streetlights  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_switcher_changes_the_language_of_pages_and_scripts_and_keeps_it(live_server, browser, streetlight_out):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="af-ZA")  # the phone's own language: Afrikaans
    outside, errors = [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
                  else (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/m/GT423/report/")
    assert page.get_attribute("html", "lang") == "af"
    assert page.inner_text("h1") == "Meld 'n probleem aan"
    page.wait_for_selector("#category[data-loaded]")
    assert page.inner_text("#category option >> nth=0") == "Kies 'n kategorie…"  # written by the script

    assert page.is_hidden("#language-change")  # the script submits the choice itself
    page.select_option("#language-select", "st")
    page.wait_for_load_state("load")
    page.wait_for_selector("html[lang='st']")
    assert page.url == f"{live_server.url}/m/GT423/report/"  # back where the resident was
    assert page.inner_text("h1") == "Tlaleha bothata"
    page.wait_for_selector("#category[data-loaded]")
    assert page.inner_text("#category option >> nth=0") == "Kgetha sehlopha…"
    page.click("#submit")  # nothing chosen: the script's messages are in Sesotho too
    page.wait_for_selector("#error-summary:not([hidden])")
    assert "Kgetha sehlopha." in page.inner_text("#error-summary")
    save_screenshot(page, "report-sesotho-phone")

    page.click("text=Latela bothata")  # the menu, in Sesotho: the choice follows the resident
    page.wait_for_selector("html[lang='st']")
    assert page.inner_text("h1") == "Latela bothata"
    page.goto(f"{live_server.url}/m/GT423/issues/")
    page.wait_for_selector("#map[data-ready='true']")
    assert page.inner_text("#in-view") in ("Ha ho mathata a bonahalang.",)  # no issues yet, in Sesotho
    assert outside == [] and errors == []
    context.close()


def test_the_home_page_on_a_phone_in_isizulu(live_server, browser, lesedi):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zu-ZA")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort())
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == "zu"
    assert page.title().startswith("Lesedi")
    assert page.inner_text("h1") == "Tshela i-Lesedi okudinga ukulungiswa"
    assert page.locator(".home-action").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    save_screenshot(page, "home-isizulu-phone")
    context.close()
