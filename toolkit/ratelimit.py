"""Rate limits on writes, counted in the cache every worker process shares (toolkit.cache).

Each write scope ("report", "comment", "upvote", ...) has rates in `IMBIZO["RATE_LIMITS"]`, one per
kind of key:

- "client": the sender's identity: the account, else the API key or the X-Client-Id a device sends;
- "ip": the client's IP address (an IPv6 address counts by its /64: one household's network);
- "ip_target": the IP address per thing acted on (e.g. per issue), so that rotating the
  X-Client-Id cannot inflate one issue's "me too" count.

A request over any of its limits is refused with 429, a Retry-After and a body naming the limit.
Counts are kept in fixed windows of each rate's period (an hourly rate counts from the top of the
hour), with the cache's atomic add and increment. Staff accounts are not limited: their writes
are the municipality's own work (a call centre logging reports shares one address).

DRF views use `toolkit.api.WriteThrottle` with a `throttle_scope`; plain Django views call
`check_request` or wrap themselves in `limit_writes`. Why not DRF's SimpleRateThrottle alone: it
reads a list of timestamps and writes it back (workers counting at once lose counts) and cannot
serve the plain views; why not django-ratelimit (last release 2023): the same add-and-increment
counter, but refusals are 403s without Retry-After, outside DRF's throttle hook.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse

from toolkit.conf import DEFAULTS, imbizo_setting

KINDS = {"client": "client", "ip": "IP address", "ip_target": "IP address and item"}
PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
           "d": 86400, "day": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Rate:
    """At most `count` requests in each period of `seconds`: '20/hour', '5/15min', '10/day'."""

    count: int
    seconds: int
    text: str

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = RATE.match(text.lower())
        if not match or match.group(3) not in PERIODS:
            raise ImproperlyConfigured(f"'{text}' is not a rate: write it as '20/hour', '5/15min' or '10/day'.")
        count, multiple, unit = match.groups()
        return cls(count=int(count), seconds=int(multiple or 1) * PERIODS[unit], text=text.strip())


class RateLimited(Exception):
    """A request over one of its limits; `retry_after` is in whole seconds."""

    def __init__(self, scope: str, kind: str, rate: Rate, retry_after: int):
        self.scope, self.kind, self.rate, self.retry_after = scope, kind, rate, retry_after
        super().__init__(self.sentence)

    @property
    def limit(self) -> str:
        return f"{self.scope} per {KINDS[self.kind]}"

    @property
    def sentence(self) -> str:
        return (f"Too many requests: the limit '{self.limit}' allows {self.rate.text}. "
                f"Try again in {self.retry_after} seconds.")

    def body(self) -> dict:
        return {"detail": self.sentence, "limit": self.limit, "rate": self.rate.text, "retry_after": self.retry_after}


def rates(scope: str) -> dict[str, Rate]:
    """The scope's rates: the deployment's `IMBIZO["RATE_LIMITS"][scope]` over the default; a
    kind set to None (or a scope set to {}) is not limited."""
    configured = imbizo_setting("RATE_LIMITS")
    if configured is None:
        return {}
    chosen = configured[scope] if scope in configured else DEFAULTS["RATE_LIMITS"].get(scope, {})
    unknown = set(chosen) - set(KINDS)
    if unknown:
        raise ImproperlyConfigured(f"RATE_LIMITS['{scope}']: {', '.join(sorted(unknown))} is not one of {', '.join(KINDS)}.")
    return {kind: Rate.parse(text) for kind, text in chosen.items() if text}


def client_ip(request) -> str:
    """The client's address. REMOTE_ADDR, unless `IMBIZO["TRUSTED_PROXIES"]` says how many proxies
    in front append to X-Forwarded-For: then the address the outermost of them saw (the n-th entry
    from the right; anything further left was written by the client and is not believed)."""
    proxies = imbizo_setting("TRUSTED_PROXIES")
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-min(proxies, len(forwarded))]
    return remote


def address_key(address: str) -> str:
    """The key an address is counted under: itself, or for IPv6 its /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def sender(request) -> str:
    """Who is writing: the account, else the device's X-Client-Id; "" for neither."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    client = request.META.get("HTTP_X_CLIENT_ID", "").strip()
    return f"client:{client[:64]}" if client else ""


def hit(scope: str, kind: str, key: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count one request against `key`; the seconds until its window ends when that was one too many."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    remaining = (window + 1) * rate.seconds - now
    # Keys come from headers and form fields: hashed, they suit every cache's key rules.
    digest = hashlib.sha256(f"{scope}|{kind}|{key}|{rate.seconds}|{window}".encode()).hexdigest()
    cache_key = f"ratelimit:{digest}"
    cache.add(cache_key, 0, timeout=math.ceil(remaining) + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between the add and the increment: a new window
        cache.add(cache_key, 1, timeout=math.ceil(remaining) + 1)
        count = 1
    return math.ceil(remaining) if count > rate.count else None


def check(scope: str, *, identity: str = "", address: str = "", target: str = "") -> None:
    """Count a write of `scope` against each of its limits; RateLimited (the longest wait) when
    any is exceeded. An empty identity, address or target leaves that limit out."""
    keys = {"client": identity, "ip": address_key(address) if address else "",
            "ip_target": f"{address_key(address)}|{target}" if address and target else ""}
    refused = None
    for kind, rate in rates(scope).items():
        if not keys[kind]:
            continue
        wait = hit(scope, kind, keys[kind], rate)
        if wait is not None and (refused is None or wait > refused.retry_after):
            refused = RateLimited(scope, kind, rate, wait)
    if refused is not None:
        raise refused


def check_request(request, scope: str, *, identity: str | None = None, target: str = "") -> None:
    """`check` for a request: its identity (unless given), its address, and `target`. Staff
    accounts and safe methods are not counted."""
    if request.method in SAFE_METHODS:
        return
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return
    check(scope, identity=sender(request) if identity is None else identity,
          address=client_ip(request), target=target)


def too_many_requests(refused: RateLimited) -> JsonResponse:
    response = JsonResponse(refused.body(), status=429)
    response["Retry-After"] = str(refused.retry_after)
    return response


def limit_writes(scope: str, *, identity: Callable | None = None):
    """Decorate a plain Django view: its writes count against `scope`'s limits, a refused one is
    the 429 of `too_many_requests`. `identity(request)` names the sender when the default
    (account, X-Client-Id) does not."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                check_request(request, scope, identity=identity(request) if identity else None)
            except RateLimited as refused:
                return too_many_requests(refused)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
