"""Which requests get CORS headers (django-cors-headers' check_request_enabled signal): public reads only.

A web map on another origin may read the OGC API, tiles, TileJSON, downloads, Open311 and the public REST
API. Never staff endpoints (the board, figures, the admin), never a write, and never a request that
carries credentials (a session cookie or an Authorization header): those answers are for the person
whose credentials they are, and a page on another origin must not read them.
"""

import re
from functools import cache

from django.conf import settings

from toolkit.conf import imbizo_setting

READS = {"GET", "HEAD"}


@cache
def _public_paths(patterns: tuple[str, ...]) -> list[re.Pattern]:
    return [re.compile(pattern) for pattern in patterns]


def public_read(sender, request, **kwargs) -> bool:
    method = request.method
    if method == "OPTIONS":  # a preflight: what the request to come will be
        method = request.headers.get("Access-Control-Request-Method", "").upper()
    if method not in READS:
        return False
    if "Authorization" in request.headers or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    if not any(pattern.match(request.path_info) for pattern in _public_paths(tuple(imbizo_setting("CORS_PUBLIC_PATHS")))):
        return False
    origins = imbizo_setting("CORS_ORIGINS")
    return "*" in origins or request.headers.get("Origin", "") in origins
