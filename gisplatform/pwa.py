"""What makes the resident pages an installable app: the favicon at the site root, a web app manifest
per municipality and the service worker, served from the root so that its scope is the whole site.

The worker is hand-written (gisplatform/static/imbizo/sw.js, about 150 lines) rather than Workbox:
its one job beyond a cache is the report outbox, which it shares with the page as a plain script,
and the project builds from pip and Debian alone, with no Node step to vendor and bundle Workbox.
Its version is a hash of every file it caches, so a deploy that changes any of them installs a new
worker, which drops the old version's caches (pages included) when it takes over."""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from wards.models import Municipality

# The app shell: every script, style and image the resident pages load, cached when the worker installs.
SHELL_STATIC = [
    "leaflet/leaflet.css", "leaflet/leaflet.js", "leaflet/images/marker-icon.png", "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png", "leaflet/images/layers.png", "leaflet/images/layers-2x.png",
    "imbizo/imbizo.css", "imbizo/imbizo.js", "imbizo/site.js", "imbizo/icons/favicon.svg", "imbizo/icons/icon-192.png",
    "triage/report.js", "triage/outbox.js", "triage/report_outbox.js", "triage/track.js", "triage/track_lookup.js",
    "triage/issues_map.js", "triage/duplicates.css", "assets/near_me.js", "wards/ward_map.js",
]
WORKER = "imbizo/sw.js"


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} is missing")
    with open(found, "rb") as file:
        return file.read()


@lru_cache(maxsize=1)
def shell_version() -> str:
    """A hash of the worker, the app shell's files and the translation catalogues: changes on every deploy
    that changes what the worker would serve."""
    digest = hashlib.sha256()
    for path in [WORKER, *SHELL_STATIC]:
        digest.update(path.encode() + b"\0" + _read_static(path))
    for locale_dir in settings.LOCALE_PATHS:
        for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
            digest.update(po.read_bytes())
    return digest.hexdigest()[:16]


def shell_urls() -> list[str]:
    from gisplatform.languages import offered_codes

    catalogue = reverse("javascript-catalog")
    return [static(path) for path in SHELL_STATIC] + [f"{catalogue}?l={code}" for code in offered_codes()]


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says."""
    return HttpResponse(_read_static("imbizo/icons/favicon.ico"), content_type="image/vnd.microsoft.icon")


@require_safe
@cache_control(no_cache=True)
def service_worker(request):
    """The worker, with its version and app shell written in front of it. Served from the root with
    no-cache, so browsers check it on every visit (they would anyway after 24 hours)."""
    config = {"version": shell_version(), "shell": shell_urls(), "outbox": static("triage/outbox.js")}
    body = f"self.IMBIZO_WORKER = {json.dumps(config)};\n".encode() + _read_static(WORKER)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
@cache_control(max_age=3600, public=True)
def manifest(request, code: str):
    """The web app manifest of one municipality: its name, colour and home page."""
    municipality = get_object_or_404(Municipality.objects.defer("boundary"), code=code)
    home = reverse("municipality-home", args=[code])
    icons = [{"src": static(f"imbizo/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in (192, 512)]
    icons += [{"src": static(f"imbizo/icons/maskable-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
               "purpose": "maskable"} for size in (192, 512)]
    body = {
        "id": home, "name": municipality.title, "short_name": (municipality.name or municipality.code)[:12],
        "description": translation.gettext("Report problems to the municipality and follow what happens to them."),
        "lang": translation.get_language(), "start_url": home, "scope": "/", "display": "standalone",
        "theme_color": municipality.colour, "background_color": "#ffffff", "icons": icons,
    }
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
