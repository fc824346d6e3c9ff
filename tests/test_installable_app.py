"""The installable app: a manifest per municipality, the service worker at the site root with a
version that follows the files it caches, and the icons browsers ask for."""

import json
import re

import pytest
from django.test import Client
from PIL import Image

from gisplatform import pwa

pytestmark = pytest.mark.django_db


def test_each_municipality_has_a_manifest_with_its_name_colour_and_home(lesedi):
    lesedi.colour = "#7a1f5c"
    lesedi.display_name = "Lesedi Local Municipality"
    lesedi.save()
    response = Client().get("/m/GT423/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Lesedi Local Municipality"
    assert manifest["short_name"] and len(manifest["short_name"]) <= 12
    assert manifest["theme_color"] == "#7a1f5c"
    assert manifest["start_url"] == manifest["id"] == "/m/GT423/home/"
    assert manifest["display"] == "standalone" and manifest["scope"] == "/"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:  # each icon exists and has the size it claims
        served = Client().get(icon["src"])
        assert served.status_code == 200
        width = int(icon["sizes"].split("x")[0])
        with Image.open(pwa.finders.find(icon["src"].removeprefix("/static/"))) as image:
            assert image.size == (width, width)
    html = Client().get("/m/GT423/report/").content.decode()
    assert '<link rel="manifest" href="/m/GT423/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#7a1f5c">' in html
    assert Client().get("/m/NOPE/manifest.webmanifest").status_code == 404


def test_the_worker_is_served_from_the_root_with_its_version_and_app_shell(db):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    config = json.loads(re.match(r"self\.IMBIZO_WORKER = (\{.*\});\n", response.content.decode()).group(1))
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert "/static/triage/report.js" in config["shell"] and "/static/triage/outbox.js" in config["shell"]
    assert {"/jsi18n/?l=en", "/jsi18n/?l=zu", "/jsi18n/?l=st", "/jsi18n/?l=af"} <= set(config["shell"])
    for url in config["shell"]:  # a missing file would make the worker's install fail
        assert Client().get(url).status_code == 200, url


def test_the_version_changes_when_a_cached_file_changes(monkeypatch):
    pwa.shell_version.cache_clear()
    before = pwa.shell_version()
    real = pwa._read_static
    monkeypatch.setattr(pwa, "_read_static", lambda path: real(path) + (b"//" if path == "triage/report.js" else b""))
    pwa.shell_version.cache_clear()
    try:
        assert pwa.shell_version() != before
    finally:
        pwa.shell_version.cache_clear()
