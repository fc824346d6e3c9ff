"""Failed log-ins lock out, progressively (django-axes calls these through its AXES_* settings).

A login name is locked on one address after `LOGIN_FAILURE_LIMIT` failures in a row, for
`LOGIN_COOL_OFF` seconds; each further lockout of that address within a day doubles the cool-off,
up to `LOGIN_COOL_OFF_MAX`. A successful log-in clears the streak. Locking the name and address
together keeps an attacker elsewhere from locking a resident out of their own account.
"""

import datetime

from axes.models import AccessFailureLog
from django.http import JsonResponse
from django.utils import timezone

from accounts.services import normalise_phone
from toolkit.conf import imbizo_setting

LIMIT_NAME = "login failures per login name and IP address"


def login_name(request, credentials) -> str | None:
    """The name a log-in tried, spelt one way: an email in lower case, a phone number in E.164
    (so 'Admin@X' and '082 123 4567' are counted with their other spellings)."""
    raw = (credentials or {}).get("username") or (credentials or {}).get("email") or (credentials or {}).get("phone")
    if raw is None and request is not None and request.method == "POST":
        raw = request.POST.get("username")
    if not raw:
        return None
    raw = str(raw).strip()
    if "@" in raw:
        return raw.lower()
    try:
        return normalise_phone(raw)
    except ValueError:
        return raw


def failure_limit(request, credentials) -> int:
    return imbizo_setting("LOGIN_FAILURE_LIMIT")


def cool_off(request) -> datetime.timedelta:
    """The base cool-off, doubled for each lockout of the request's address in the last day."""
    seconds = imbizo_setting("LOGIN_COOL_OFF")
    address = getattr(request, "axes_ip_address", None)
    if address:
        since = timezone.now() - datetime.timedelta(days=1)
        lockouts = AccessFailureLog.objects.filter(ip_address=address, locked_out=True, attempt_time__gte=since).count()
        seconds *= 2 ** min(max(lockouts - 1, 0), 16)
    return datetime.timedelta(seconds=min(seconds, imbizo_setting("LOGIN_COOL_OFF_MAX")))


def lockout_response(request, original_response=None, credentials=None) -> JsonResponse:
    """429 with Retry-After, the JSON every limit answers with (toolkit.ratelimit)."""
    wait = int(cool_off(request).total_seconds())
    response = JsonResponse({
        "detail": f"Too many failed log-ins for this name from this address: try again in {wait} seconds.",
        "limit": LIMIT_NAME, "retry_after": wait,
    }, status=429)
    response["Retry-After"] = str(wait)
    return response
