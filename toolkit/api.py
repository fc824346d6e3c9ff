"""Small pieces every API view shares: query-parameter parsing that names the parameter, and an
exception handler that keeps DRF's field-level 400s and never lets a bad input become a 500."""

from django.contrib.gis.geos import Point
from rest_framework import exceptions, parsers
from rest_framework.views import exception_handler as drf_exception_handler

from toolkit import params as params_module
from toolkit.conf import storage_srid
from toolkit.errors import listed_fields
from toolkit.params import parse_float, parse_int  # noqa: F401 - the API views' parsers too


def exception_handler(exc, context):
    # The framework-free parsers (toolkit.params) raise BadParameter: the same 400 as DRF's own.
    if isinstance(exc, params_module.BadParameter):
        exc = bad_parameter(exc.name, exc.sentence)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = listed_fields(response.data)  # 150,000 bad keys once made an 8.8 MB answer
    return response


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the default one, REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), refusing with a
    400 what would fail later as a 500: deep nesting and NUL characters (toolkit.params.check_json)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise params_module.BadParameter(
                "body", f"the JSON is nested deeper than {params_module.MAX_JSON_DEPTH} levels.") from None
        params_module.check_json(data)
        return data


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
