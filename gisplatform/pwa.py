"""What makes the resident pages an installable app: the favicon at the site root, a web app manifest
per municipality and the service worker (served from the root so that its scope is the whole site)."""

from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICONS = Path(__file__).resolve().parent / "static" / "imbizo" / "icons"


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says."""
    return HttpResponse((ICONS / "favicon.ico").read_bytes(), content_type="image/vnd.microsoft.icon")
