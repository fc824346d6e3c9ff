"""Opening hours in the common subset of OpenStreetMap's `opening_hours` syntax:

    "Mo-Fr 08:00-16:30; Sa 08:00-12:00"     weekdays and Saturday morning
    "Mo-Th 07:30-16:00; Fr 07:30-13:00"
    "Mo,We 08:00-12:00,13:00-16:00"         several days, several periods
    "Fr 18:00-02:00"                        past midnight into Saturday
    "24/7"                                  always open
    "Su off"                                closed (the same as not listing the day)
"""

import datetime
import re
from dataclasses import dataclass

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
_TIME = r"(\d{1,2}):(\d{2})"
_PERIOD = re.compile(rf"^{_TIME}-{_TIME}$")


class OpeningHoursError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    weekday: int  # 0 = Monday
    opens: datetime.time
    closes: datetime.time  # not after `opens`: runs past midnight


def parse_opening_hours(text: str) -> list[Period]:
    text = (text or "").strip()
    if not text:
        return []
    if text == "24/7":
        return [Period(day, datetime.time(0), datetime.time(0)) for day in range(7)]
    periods: list[Period] = []
    for rule in filter(None, (part.strip() for part in text.split(";"))):
        days_part, _, times_part = rule.partition(" ")
        days = _days(days_part, rule)
        times_part = times_part.strip()
        if times_part == "off":
            periods = [p for p in periods if p.weekday not in days]
            continue
        if not times_part:
            raise OpeningHoursError(f"'{rule}' gives days but no hours (e.g. 'Mo-Fr 08:00-16:30')")
        for span in times_part.split(","):
            opens, closes = _span(span.strip(), rule)
            periods += [Period(day, opens, closes) for day in days]
    return periods


def _days(text: str, rule: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise OpeningHoursError(f"'{part}' in '{rule}' is not a day or a day range (Mo Tu We Th Fr Sa Su)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days += [(start + offset) % 7 for offset in range((end - start) % 7 + 1)]
    return days


def _span(text: str, rule: str) -> tuple[datetime.time, datetime.time]:
    match = _PERIOD.match(text)
    if not match:
        raise OpeningHoursError(f"'{text}' in '{rule}' is not a time span like 08:00-16:30")
    open_h, open_m, close_h, close_m = (int(group) for group in match.groups())
    if close_h == 24 and close_m == 0:
        close_h = 0
    if open_h > 23 or close_h > 23 or open_m > 59 or close_m > 59:
        raise OpeningHoursError(f"'{text}' in '{rule}' is not a valid time")
    return datetime.time(open_h, open_m), datetime.time(close_h, close_m)
