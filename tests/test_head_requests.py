"""HEAD works wherever GET does (RFC 9110, 9.3.2): the same status and headers, no body. Every route of
the URL configuration is walked with its parameters filled in, so a view added later with GET only is
caught here; the layer endpoints are also asked with real layers."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

# What a route parameter is filled with: a whole number for <int:…>, a word for the others.
SAMPLE = {"int": "1", "path": "x/y"}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def routes(resolver: URLResolver = None, prefix: str = "") -> list[str]:
    """Every route of the URL configuration as a path, its parameters filled in; regular-expression routes
    (the admin's app index, Open311: tested in triage.open311's own tests) are left out."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = PARAMETER.sub(lambda match: SAMPLE.get(match["converter"] or "str", "x"), str(entry.pattern))
        if isinstance(entry, URLResolver):
            found += routes(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            found.append("/" + prefix + route)
    return sorted(set(found))


def test_the_walk_reaches_the_layer_endpoints():
    walked = routes()
    assert {"/ogc/collections/x/items", "/tiles/x/1/1/1.mvt", "/tiles/x.json", "/layers/x/download",
            "/layers/project.qgs"} <= set(walked)
    assert len(walked) > 40


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_head_like_get(client, url: str, **extra) -> None:
    got = client.get(url, **extra)
    if got.status_code == 405:
        return
    head = client.head(url, **extra)
    assert head.status_code == got.status_code, (url, got.status_code, head.status_code)
    assert head.get("Content-Type") == got.get("Content-Type"), url
    assert body(head) == b"", url


def test_every_route_answers_head_as_it_answers_get(lesedi, client):
    for url in routes():
        assert_head_like_get(client, url)


@pytest.mark.parametrize("url", [
    "/ogc", "/ogc/", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/wards",
    "/ogc/collections/wards/queryables", "/ogc/collections/wards/items?limit=2", "/tiles/wards.json",
    "/tiles/wards/12/2391/2369.mvt", "/layers/project.qgs", "/layers/project.qgz",
    "/layers/wards/download?format=geojson", "/layers/wards/download?format=csv",
])
def test_layer_endpoints_answer_head_with_their_get_headers(lesedi, client, url):
    got = client.get(url)
    assert got.status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and body(head) == b""
    for header in ("Content-Type", "Cache-Control", "Content-Disposition"):
        assert head.get(header) == got.get(header), header
    # A streamed GeoJSON download has no ETag until written: HEAD spools it and names that file (layers.downloads).
    if "ETag" in got:
        assert head["ETag"] == got["ETag"]
