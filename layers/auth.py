"""Who is asking, for the layer endpoints (OGC API, tiles, downloads, QGIS project), which are plain
Django views: a browser's session, or credentials a GIS tool sends with every request.

- `Authorization: Bearer <layer token>` (or `Token <key>`): GDAL_HTTP_HEADERS, scripts.
- `Authorization: Basic` with a layer token as the password (any user name): QGIS's "Basic"
  authentication, fast, and revocable without changing the password.
- `Authorization: Basic` with the email (or phone) and password: works, but every request pays
  the password hash (about a third of a second with Django's PBKDF2), so QGIS paging through a layer
  is slow; a token is the better habit.

Wrong credentials are a 401 at once (never silently anonymous), so a typo is not mistaken for
"this layer is empty".
"""

from __future__ import annotations

import base64
import binascii
import datetime

from django.contrib.auth import authenticate
from django.utils import timezone

from layers.models import TOKEN_PREFIX, LayerToken, digest
from layers.registry import LayerRefused

REALM = 'Basic realm="Imbizo layers", charset="UTF-8"'
# last_used_at is written at most this often per token: not one UPDATE per tile.
TOUCH_EVERY = datetime.timedelta(minutes=5)


def _token_user(key: str):
    token = (LayerToken.objects.select_related("user").filter(key_digest=digest(key), is_active=True).first()
             if key.startswith(TOKEN_PREFIX) else None)
    if token is None or not token.user.is_active:
        raise LayerRefused(401, "NotAuthenticated", "The layer token is unknown or revoked.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        LayerToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def credentials_user(header: str, request=None):
    """The person an Authorization header names; None when there is no header; LayerRefused(401)
    when it names nobody. Passwords are checked with the request, so failures count towards the
    log-in lockout (accounts.lockout) like any other log-in."""
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if not scheme:
        return None
    if scheme in {"bearer", "token"}:
        return _token_user(value)
    if scheme == "basic":
        try:
            login, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise LayerRefused(401, "NotAuthenticated", "The Basic credentials are not valid base64.") from None
        if password.startswith(TOKEN_PREFIX):
            return _token_user(password)
        user = authenticate(request, username=login, password=password)
        if user is None:
            raise LayerRefused(401, "NotAuthenticated", "Wrong email, phone or password.")
        return user
    raise LayerRefused(401, "NotAuthenticated", f"Authorization scheme '{scheme}' is not accepted: use Basic or Bearer.")


def identify(request) -> None:
    """Set request.user from the Authorization header when no session is logged in; LayerRefused(401)
    for credentials that name nobody."""
    if request.user.is_authenticated or not request.headers.get("Authorization"):
        return
    user = credentials_user(request.headers["Authorization"], request)
    if user is not None:
        request.user = user
