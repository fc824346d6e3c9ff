"""CORS (django-cors-headers, gisplatform.cors): web maps on other origins may read the public APIs;
staff endpoints, writes and requests carrying credentials get no CORS headers."""

import base64

import pytest

pytestmark = pytest.mark.django_db

ORIGIN = "https://maps.example.org"
PUBLIC_READS = [
    "/ogc/", "/ogc/collections", "/ogc/collections/wards/items?limit=1", "/tiles/wards.json",
    "/tiles/wards/12/2391/2369.mvt", "/layers/project.qgs", "/layers/wards/download?format=geojson",
    "/open311/v2/services.json?jurisdiction_id=GT423", "/open311/v2/requests.json?jurisdiction_id=GT423",
    "/open311/v2/discovery.json", "/api/v1/issues", "/api/v1/categories?municipality=GT423", "/api/v1/wards/",
    "/api/v1/municipalities/",
]
# (A staff layer under /ogc/ or /tiles/ answers a request without credentials with a 401 and nothing to read;
# with credentials, no CORS headers: test_requests_with_credentials_send_no_cors_headers.)
STAFF_ENDPOINTS = ["/api/v1/board/issues", "/api/v1/board/summary", "/api/v1/heatmaps/figures", "/admin/"]


@pytest.mark.parametrize("url", PUBLIC_READS)
def test_public_reads_allow_any_origin(lesedi, client, url):
    for method in (client.get, client.head):
        response = method(url, HTTP_ORIGIN=ORIGIN)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
        assert "origin" in response["Vary"].lower()
    exposed = response["Access-Control-Expose-Headers"]
    assert "Content-Crs" in exposed and "ETag" in exposed and "Content-Range" in exposed


def test_a_preflight_for_a_public_read_is_answered_and_one_for_a_write_is_not(lesedi, client):
    read = client.options("/ogc/collections/wards/items", HTTP_ORIGIN=ORIGIN,
                          HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="range")
    assert read.status_code == 200 and read["Access-Control-Allow-Origin"] == "*"
    assert "GET" in read["Access-Control-Allow-Methods"] and "POST" not in read["Access-Control-Allow-Methods"]
    assert "range" in read["Access-Control-Allow-Headers"]
    assert "authorization" not in read["Access-Control-Allow-Headers"]
    write = client.options("/open311/v2/requests.json", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in write


@pytest.mark.parametrize("url", STAFF_ENDPOINTS)
def test_staff_endpoints_send_no_cors_headers(lesedi, client, url):
    response = client.get(url, HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response, url


def test_writes_send_no_cors_headers(lesedi, client):
    response = client.post("/open311/v2/requests.json", {"service_code": "x"}, HTTP_ORIGIN=ORIGIN)
    assert response.status_code >= 400 and "Access-Control-Allow-Origin" not in response


def test_requests_with_credentials_send_no_cors_headers(lesedi, client, django_user_model):
    from django.test import Client

    staff_client = Client()
    staff_client.force_login(django_user_model.objects.create_user("gis@lesedi.example", "a-long-passphrase",
                                                                    is_staff=True))
    logged_in = staff_client.get("/ogc/collections", HTTP_ORIGIN=ORIGIN)
    assert logged_in.status_code == 200 and "Access-Control-Allow-Origin" not in logged_in
    basic = "Basic " + base64.b64encode(b"someone@example.org:wrong").decode()
    with_header = client.get("/ogc/collections", HTTP_ORIGIN=ORIGIN, HTTP_AUTHORIZATION=basic)
    assert "Access-Control-Allow-Origin" not in with_header


def test_the_origins_are_configurable(lesedi, client, settings):
    settings.IMBIZO = {**settings.IMBIZO, "CORS_ORIGINS": [ORIGIN]}
    settings.CORS_ALLOW_ALL_ORIGINS = False
    listed = client.get("/ogc/collections", HTTP_ORIGIN=ORIGIN)
    assert listed["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get("/ogc/collections", HTTP_ORIGIN="https://elsewhere.example.com")
    assert "Access-Control-Allow-Origin" not in other
    settings.IMBIZO = {**settings.IMBIZO, "CORS_ORIGINS": []}
    assert "Access-Control-Allow-Origin" not in client.get("/ogc/collections", HTTP_ORIGIN=ORIGIN)
