"""Small pieces every API view shares: query-parameter parsing that names the parameter, and an
exception handler that keeps DRF's field-level 400s and never lets a bad input become a 500."""

from django.contrib.gis.geos import Point
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from gisplatform import params as params_module
from gisplatform.conf import storage_srid


def exception_handler(exc, context):
    return drf_exception_handler(exc, context)


def bad_parameter(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


def _as_400(parse, *args, **kwargs):
    try:
        return parse(*args, **kwargs)
    except params_module.BadParameter as exc:
        raise bad_parameter(exc.name, exc.message[:1].upper() + exc.message[1:]) from None


def parse_float(params, name: str, *, minimum: float, maximum: float, required: bool = True):
    return _as_400(params_module.parse_float, params, name, minimum=minimum, maximum=maximum, required=required)


def parse_int(params, name: str, *, default: int, minimum: int, maximum: int) -> int:
    return _as_400(params_module.parse_int, params, name, default=default, minimum=minimum, maximum=maximum)


def parse_point(params, *, lat: str = "lat", lon: str = "lon") -> Point:
    """A WGS 84 point from ?lat=&lon=, or a 400 naming the bad parameter."""
    latitude = parse_float(params, lat, minimum=-90, maximum=90)
    longitude = parse_float(params, lon, minimum=-180, maximum=180)
    return Point(longitude, latitude, srid=storage_srid())


def parse_bbox(params, name: str = "bbox"):
    """minLon,minLat,maxLon,maxLat in WGS 84, or None when absent (see gisplatform.params)."""
    return _as_400(params_module.parse_bbox, params.get(name), name)


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
