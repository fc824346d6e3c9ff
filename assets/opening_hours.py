"""Opening hours in OpenStreetMap's `opening_hours` syntax, read by `opening-hours-py` (the Rust
implementation of the specification, with public holidays per country and sun times per point):

    "Mo-Fr 08:00-16:30; Sa 08:00-12:00; PH off"   weekdays, Saturday morning, closed on holidays
    "Mo,We 08:00-12:00,13:00-16:00"               several days, several periods
    "Fr 18:00-02:00"                              past midnight into Saturday
    "sunrise-sunset"                              needs the place's coordinates
    "Mo-Fr 08:00-16:00; Dec 25 off"               a date off
    "Mo-Fr 08:00-16:00 \"by appointment\""         a comment
    "24/7"                                        always open

"Open now" is answered in SQL from materialised open intervals (`OpeningInterval`, absolute
instants computed on the facility's municipality's clock), so it composes with the nearest-k
search; `opening_intervals` computes them.
"""

import datetime
from zoneinfo import ZoneInfo

import opening_hours as osm

DEFAULT_TIMEZONE = "Africa/Johannesburg"
UTC = ZoneInfo("UTC")


class OpeningHoursError(ValueError):
    pass


def parse_opening_hours(text: str, *, timezone: str = DEFAULT_TIMEZONE, country: str | None = None,
                        coordinates: tuple[float, float] | None = None) -> "osm.OpeningHours | None":
    """The parsed hours (None for an empty value), on the clock of `timezone`, with `country`'s
    public holidays and, for sun times, the place's (latitude, longitude). Raises
    OpeningHoursError quoting the value and where it stops making sense."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return osm.OpeningHours(text, timezone=ZoneInfo(timezone), country=country or None,
                                coords=coordinates, auto_country=False, auto_timezone=False)
    except (osm.ParserError, SyntaxError, osm.UnknownCountryError, osm.InvalidCoordinatesError, ValueError) as exc:
        detail = " ".join(line.strip(" |") for line in str(exc).splitlines()
                          if line.strip(" |") and not line.strip().startswith("-->"))
        raise OpeningHoursError(f"'{text}' is not valid OpenStreetMap opening_hours ({detail})") from None


def opening_intervals(hours: "osm.OpeningHours | None", start: datetime.datetime,
                      end: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The open stretches between two aware instants, merged where they touch (a comment change
    splits the library's intervals)."""
    if hours is None:
        return []
    merged: list[list[datetime.datetime]] = []
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # the library wants a named zone
    for opens, closes, state, _comment in hours.intervals(start, end):
        if state != osm.State.OPEN:
            continue
        closes = closes or end
        if merged and merged[-1][1] >= opens:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return [(opens, closes) for opens, closes in merged]
