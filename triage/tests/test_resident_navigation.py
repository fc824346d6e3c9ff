"""Every resident page carries the same menu and the "not for emergencies" banner; the home page says
what the site is for; /favicon.ico exists."""

import re

import pytest
from django.test import Client

from triage.intake import services as intake
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.django_db

MENU = ["Home", "Report an issue", "Issues map", "Near me", "Track an issue", "Ward map", "Notices", "Contacts",
        "Documents", "News", "Log in"]


def menu_of(html: str) -> list[str]:
    menu = re.search(r'<ul class="site-menu">(.*?)</ul>', html, re.S)
    assert menu, "the page has no resident menu"
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", menu.group(1), re.S)]


def resident_pages(issue_reference: str) -> dict[str, str]:
    return {
        "home": "/", "municipality home": "/m/GT423/home/", "report": "/m/GT423/report/",
        "issues map": "/m/GT423/issues/", "near me": "/m/GT423/near/", "ward map": "/m/GT423/",
        "track lookup": "/track/", "track form sent empty": "/track/?reference=",
        "track not found": "/track/NOPE-1/", "track": f"/track/{issue_reference}/",
    }


def test_every_resident_page_has_the_same_menu_and_the_emergency_banner(lesedi, streetlight_out):
    lesedi.emergency_number = "10177"
    lesedi.save()
    issue = intake.issue_create(report=intake.Report(category=streetlight_out, location=HEIDELBERG)).issue
    client = Client()
    for name, url in resident_pages(issue.reference).items():
        response = client.get(url)
        assert response.status_code in (200, 404), (name, response.status_code)
        html = response.content.decode()
        assert menu_of(html) == MENU, name
        assert "Not for emergencies." in html, name
        assert 'href="tel:10177"' in html, name


def test_the_menu_marks_the_page_you_are_on(lesedi):
    html = Client().get("/m/GT423/near/").content.decode()
    assert re.search(r'aria-current="page">Near me<', html)
    assert html.count('aria-current="page"') == 1


def test_without_an_emergency_number_the_banner_still_says_what_to_do(lesedi):
    lesedi.emergency_number = ""
    lesedi.save()
    html = Client().get("/m/GT423/report/").content.decode()
    assert "Not for emergencies." in html
    assert 'href="tel:"' not in html
    assert "your local emergency number" in html


def test_the_home_page_says_what_the_site_is_for_and_what_a_resident_can_do(lesedi):
    response = Client().get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "report problems in their area" in html
    for href in ("/m/GT423/report/", "/track/", "/m/GT423/issues/", "/m/GT423/near/"):
        assert f'class="home-action" href="{href}"' in html


def test_favicon_is_served_at_the_root(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
