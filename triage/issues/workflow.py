"""The status workflow of an issue: which status may follow which.

    submitted → acknowledged → assigned → in progress → resolved → closed
    rejected (with a reason) and duplicate (of another issue) end an issue early;
    a resolved, closed, rejected or duplicate issue may be reopened.

Kept apart from the models so the board, the API, Open311 updates and the docs all read the
same table.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    REOPENED = "reopened", _("Reopened")


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED})
CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE})
# Where the reporter may rate the outcome.
RATEABLE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})

_ENDINGS = {Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.ACKNOWLEDGED, Status.REJECTED, Status.DUPLICATE}),
    Status.ACKNOWLEDGED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, *_ENDINGS}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, *_ENDINGS}),
    Status.IN_PROGRESS: frozenset({Status.ASSIGNED, *_ENDINGS}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.REJECTED: frozenset({Status.REOPENED}),
    Status.DUPLICATE: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset({Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS, *_ENDINGS}),
}


class IllegalTransition(Exception):
    """A status change the workflow does not allow; the message says what is allowed instead."""


def check_transition(current: str, wanted: str) -> None:
    if wanted not in Status.values:
        raise IllegalTransition(f"'{wanted}' is not a status; use one of: {', '.join(Status.values)}.")
    allowed = TRANSITIONS[current]
    if wanted not in allowed:
        label = Status(current).label.lower()
        options = ", ".join(sorted(allowed)) or "none"
        raise IllegalTransition(
            f"An issue that is {label} cannot become {Status(wanted).label.lower()}; from {current} it may go to: {options}."
        )


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"
