"""Service-level targets: how long an open issue has left, or how overdue it is.

An issue's target is `expected_at` (report time + the category's SLA hours, set at intake). Hours
are wall-clock hours: South Africa keeps no daylight saving (Africa/Johannesburg is UTC+2 all
year), so "72 hours" never gains or loses one, and "due today" means before midnight on the
municipality's local calendar. Only open issues have a clock running; a resolved, closed, rejected
or merged issue is neither due nor overdue.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from triage.issues.workflow import OPEN_STATUSES

DEFAULT_TIMEZONE = "Africa/Johannesburg"


@dataclass(frozen=True)
class Sla:
    due_at: datetime.datetime  # in the municipality's time zone
    seconds_left: int  # negative when overdue
    overdue: bool
    label: str

    def as_dict(self) -> dict:
        return {"due_at": self.due_at.isoformat(), "seconds_left": self.seconds_left, "overdue": self.overdue,
                "label": self.label}


def local_day(now: datetime.datetime, timezone: str = DEFAULT_TIMEZONE) -> tuple[datetime.datetime, datetime.datetime]:
    """The start and end (exclusive) of today on the local calendar, as aware datetimes."""
    zone = ZoneInfo(timezone)
    start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, (start + datetime.timedelta(days=1)).replace(tzinfo=zone)


def duration_short(seconds: int) -> str:
    """'2 d 5 h', '3 h 20 min', '45 min', 'under a minute': the two largest units."""
    seconds = abs(int(seconds))
    parts: list[str] = []
    for name, size in (("d", 86400), ("h", 3600), ("min", 60)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {name}")
        elif parts:
            break
        if len(parts) == 2:
            break
    return " ".join(parts) or "under a minute"


def sla_of(*, expected_at: datetime.datetime | None, status: str, now: datetime.datetime,
           timezone: str = DEFAULT_TIMEZONE) -> Sla | None:
    """Time left or overdue for an open issue with a target; None otherwise."""
    if expected_at is None or status not in OPEN_STATUSES:
        return None
    zone = ZoneInfo(timezone)
    due = expected_at.astimezone(zone)
    left = int((expected_at - now).total_seconds())
    if left < 0:
        return Sla(due_at=due, seconds_left=left, overdue=True, label=f"overdue by {duration_short(left)}")
    today = now.astimezone(zone).date()
    if due.date() == today:
        when = f"today {due:%H:%M}"
    elif due.date() == today + datetime.timedelta(days=1):
        when = f"tomorrow {due:%H:%M}"
    else:
        when = f"{due:%a %-d %b %H:%M}"
    return Sla(due_at=due, seconds_left=left, overdue=False, label=f"{duration_short(left)} left (due {when})")
