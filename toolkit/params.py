"""Request parameters parsed without a framework: each edge (DRF views, OGC API, downloads, CLI)
turns BadParameter into its own 400 or CommandError, with the parameter named."""

import datetime as dt
import re

from django.utils.dateparse import parse_datetime as django_parse_datetime

# PostgreSQL takes a time zone offset of at most 15:59:59 either way; Python's datetime takes up to 23:59,
# so a larger one would pass here and fail in the database.
MAX_UTC_OFFSET = dt.timedelta(hours=16)
# "2026-01-31T08:00:00 02:00": a '+' sent unencoded in a query string arrives as a space.
# How deep a JSON body may nest. A report is three levels deep; Python's parser, and every recursive
# walk after it, fails at about 1,000.
MAX_JSON_DEPTH = 32
_LOST_PLUS = re.compile(r"^(.*T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$")


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(f"Invalid parameter '{name}': {message}")
        self.name = name
        self.message = message

    @property
    def sentence(self) -> str:
        """The message as a sentence of its own, for a 400 body that names the parameter beside it."""
        return self.message[:1].upper() + self.message[1:]


def parse_bbox(raw: str | None, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """minLon,minLat,maxLon,maxLat in WGS 84 (OGC's CRS84 order); a 3D box's heights are ignored."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise BadParameter(name, "expected four numbers: minLon,minLat,maxLon,maxLat.")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise BadParameter(name, f"'{raw}' has a part that is not a number.") from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise BadParameter(name, "coordinates must be longitude/latitude in WGS 84.")
    if west > east or south > north:
        raise BadParameter(name, "the minimum corner must come before the maximum corner.")
    return (west, south, east, north)


def parse_float(params, name: str, *, minimum: float, maximum: float, required: bool = True) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise BadParameter(name, "This parameter is required.")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(name, f"'{raw[:40]}' is not a number.") from None
    if not (minimum <= value <= maximum):  # also refuses NaN
        raise BadParameter(name, f"{value} is outside the range {minimum} to {maximum}.")
    return value


def parse_int(params, name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, f"'{raw[:40]}' is not a whole number.") from None
    if not (minimum <= value <= maximum):
        raise BadParameter(name, f"{value} is outside the range {minimum} to {maximum}.")
    return value


def shown(raw: str, limit: int = 40) -> str:
    """A value as an error message quotes it: cut to `limit` characters, so a huge input never comes back whole."""
    return raw if len(raw) <= limit else raw[:limit] + "…"


def parse_datetime(raw: str | None, name: str, *, zone: dt.tzinfo | None = None,
                   zone_required: bool = False) -> dt.datetime | None:
    """An ISO 8601 date and time (2026-01-31T08:00:00+02:00, …Z), or None when absent. One without an
    offset is read in `zone` if given, refused if `zone_required`, else returned naive. Every endpoint
    that takes a date and time parses it here, so an offset PostgreSQL cannot store is a 400, never a 500."""
    if raw is None or raw.strip() == "":
        return None
    text = _LOST_PLUS.sub(r"\1+\2", raw.strip()).upper()
    try:
        moment = django_parse_datetime(text)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise BadParameter(name, f"'{shown(raw)}' is not a date and time in ISO 8601 "
                                 "(e.g. 2026-01-31T08:00:00+02:00 or 2026-01-31T06:00:00Z).")
    offset = moment.utcoffset()
    if offset is None:
        if zone is not None:
            return moment.replace(tzinfo=zone)
        if zone_required:
            raise BadParameter(name, f"'{shown(raw)}' has no time zone (add Z or an offset such as +02:00).")
        return moment
    if abs(offset) >= MAX_UTC_OFFSET:
        raise BadParameter(name, f"'{shown(raw)}' has a time zone offset outside -15:59 to +15:59.")
    return moment


def check_json(value, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a parsed JSON body nested deeper than `max_depth`, or holding a NUL character in a key or a
    string (PostgreSQL cannot store one in text or jsonb). The one offending place is named by its path
    (`answers.size`, `references.3`); depth is named `body`. Iterative, so no depth breaks the check itself."""
    pending = [(value, "", 1)]
    while pending:
        item, path, depth = pending.pop()
        if depth > max_depth:
            raise BadParameter("body", f"the JSON is nested deeper than {max_depth} levels.")
        if isinstance(item, str):
            if "\x00" in item:
                raise BadParameter(path or "body", "contains a NUL character (\\u0000), which is never valid here.")
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else key
                if "\x00" in key:
                    raise BadParameter(shown(name.replace("\x00", "\\u0000")),
                                       "this name contains a NUL character (\\u0000), which is never valid.")
                pending.append((child, shown(name, 200), depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{path}.{index}" if path else str(index), depth + 1)
                           for index, child in enumerate(item))
