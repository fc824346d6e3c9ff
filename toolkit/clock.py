"""Durations as true elapsed time. Python subtracts two datetimes that share one zone object by
their wall clocks, so across a daylight-saving change the answer is an hour off; in UTC it is not."""

import datetime


def elapsed(start: datetime.datetime, end: datetime.datetime | None) -> datetime.timedelta | None:
    """end - start in real time (None when there is no end)."""
    if end is None:
        return None
    return end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
