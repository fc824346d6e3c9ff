"""The Content-Security-Policy (gisplatform/settings.py, django-csp): strict on every response, and the
pages without page tests of their own (the admin with its map widgets, the API docs, the OGC API's
HTML) working under it in Chromium. Every browser test fails on a violation (conftest.py)."""

import re

import pytest
from django.conf import settings

from wards.models import Ward


def policy_of(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.django_db
def test_every_response_carries_a_strict_policy_and_inline_styles_its_nonce(client):
    page = client.get("/api/docs/")
    policy = policy_of(page)
    (nonce,) = re.findall(r'<style nonce="([^"]+)">', page.content.decode())
    assert policy["script-src"] == policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["default-src"] == ["'self'"] and policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    assert "<script>" not in page.content.decode()  # Swagger UI's start-up script is a file of its own
    assert client.get("/api/docs/?script=")["Content-Type"].startswith("application/javascript")

    # Answers that use no nonce name none.
    assert policy_of(client.get("/healthz"))["script-src"] == ["'self'"]


def log_in(page, client, live_server, user) -> None:
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


def assert_clean(page) -> None:
    assert page.outside_requests == [] and page.page_errors == []


def visit_under_the_policy(page, url: str) -> None:
    response = page.goto(url)
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_list_the_operations(live_server, offline_page):
    visit_under_the_policy(offline_page, f"{live_server.url}/api/docs/")
    offline_page.wait_for_selector(".opblock")
    assert offline_page.locator(".opblock").count() > 10
    assert_clean(offline_page)


@pytest.mark.browser
@pytest.mark.shared_data
@pytest.mark.django_db(transaction=True)
def test_the_admin_and_its_map_widget(live_server, offline_page, client, lesedi, django_user_model):
    page = offline_page
    page.goto(f"{live_server.url}/admin/login/")
    page.wait_for_selector("#login-form")
    log_in(page, client, live_server, django_user_model.objects.create_superuser("root@imbizo.example", "pw-root-1"))
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("#content-main")
    page.goto(f"{live_server.url}/admin/wards/ward/")
    page.wait_for_selector("#result_list")
    visit_under_the_policy(page, f"{live_server.url}/admin/wards/ward/{Ward.objects.order_by('number').first().pk}/change/")
    page.wait_for_selector(".leaflet-container .leaflet-overlay-pane path")  # the ward drawn in the widget
    assert_clean(page)


@pytest.mark.browser
@pytest.mark.shared_data
@pytest.mark.django_db(transaction=True)
def test_the_ogc_api_pages_draw_their_features(live_server, offline_page, lesedi):
    page = offline_page
    visit_under_the_policy(page, f"{live_server.url}/ogc/collections/wards/items?f=html&limit=5")
    page.wait_for_selector("#ogc-map .leaflet-overlay-pane path")
    assert page.locator("#ogc-map .leaflet-overlay-pane path").count() == 5
    assert page.locator("#ogc-map").bounding_box()["height"] == 360
    page.goto(f"{live_server.url}/ogc/collections/wards/items/{Ward.objects.order_by('number').first().pk}?f=html")
    page.wait_for_selector("#ogc-map .leaflet-overlay-pane path")
    assert_clean(page)
