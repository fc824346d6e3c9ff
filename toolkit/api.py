"""Small pieces every API view shares: query-parameter parsing that names the parameter, and an
exception handler that keeps DRF's field-level 400s and never lets a bad input become a 500."""

from django.contrib.gis.geos import Point
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from toolkit import params as params_module
from toolkit import ratelimit
from toolkit.conf import storage_srid
from toolkit.params import parse_float, parse_int  # noqa: F401 - the API views' parsers too


def exception_handler(exc, context):
    # The framework-free parsers (toolkit.params) raise BadParameter: the same 400 as DRF's own.
    if isinstance(exc, params_module.BadParameter):
        exc = bad_parameter(exc.name, exc.sentence)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, TooManyRequests) and response is not None:
        response.data = exc.refused.body()  # names the limit; DRF has set Retry-After from exc.wait
    return response


class TooManyRequests(exceptions.Throttled):
    def __init__(self, refused: ratelimit.RateLimited):
        super().__init__(wait=refused.retry_after, detail=refused.sentence)
        self.refused = refused


class WriteThrottle(BaseThrottle):
    """DRF's throttling hook for toolkit.ratelimit: a view's writes count against the limits of its
    `throttle_scope`; `throttle_target`, when set, names the URL parameter whose value is the thing
    acted on (the "per IP address and item" limit). Reads are never counted."""

    def allow_request(self, request, view):
        target = view.kwargs.get(view.throttle_target, "") if getattr(view, "throttle_target", "") else ""
        try:
            ratelimit.check_request(request, view.throttle_scope, target=str(target).upper())
        except ratelimit.RateLimited as refused:
            raise TooManyRequests(refused) from None
        return True


def bad_parameter(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


def parse_point(params, *, lat: str = "lat", lon: str = "lon") -> Point:
    """A WGS 84 point from ?lat=&lon=, or a 400 naming the bad parameter."""
    latitude = parse_float(params, lat, minimum=-90, maximum=90)
    longitude = parse_float(params, lon, minimum=-180, maximum=180)
    return Point(longitude, latitude, srid=storage_srid())


def parse_bbox(params, name: str = "bbox"):
    """minLon,minLat,maxLon,maxLat in WGS 84, or None when absent (see toolkit.params)."""
    return params_module.parse_bbox(params.get(name), name)


def parse_bool(params, name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise bad_parameter(name, f"'{raw}' is not true or false.")
