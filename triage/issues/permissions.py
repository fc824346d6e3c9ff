"""Who may do what to an issue. One function per question, read by the API, Open311, pages,
layers, media and the admin.

- Dispatchers (triage.triage_issue) act on every issue of their municipality.
- Department staff (triage.work_issue without triage_issue) see and act on their departments'
  issues only, and move them through in progress to resolved.
- Planners, GIS analysts and communications officers read their municipality's issues, never
  reporters' details, private answers or the exact place of a private issue.
- The reporter may close a resolved issue (confirming the fix) or reopen it ("not fixed").
- Superusers may do everything.
"""

import hmac

from triage.issues.workflow import Status

WORKER_STATUSES = frozenset({Status.IN_PROGRESS, Status.RESOLVED})
REPORTER_STATUSES = frozenset({Status.CLOSED, Status.REOPENED})


def is_municipal_staff_of(user, issue) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.municipality_id == issue.municipality_id))


def is_department_bound(user) -> bool:
    """Department staff: their powers reach only the issues routed to their departments."""
    return (not user.is_superuser and user.has_perm("triage.work_issue")
            and not user.has_perm("triage.triage_issue"))


def in_staff_scope(user, issue) -> bool:
    """The issue is within the user's staff reach: their municipality, and for department staff
    one of their departments."""
    if not is_municipal_staff_of(user, issue):
        return False
    if not is_department_bound(user):
        return True
    return issue.department_id is not None and user.departments.filter(pk=issue.department_id).exists()


def can_triage(user, issue) -> bool:
    return is_municipal_staff_of(user, issue) and user.has_perm("triage.triage_issue")


def works_on(user, issue) -> bool:
    return (
        is_municipal_staff_of(user, issue)
        and user.has_perm("triage.work_issue")
        and issue.department_id is not None
        and user.departments.filter(pk=issue.department_id).exists()
    )


def is_reporter(user, issue, tracking_key: str = "") -> bool:
    if user is not None and user.is_authenticated and user.pk == issue.reporter_id:
        return True
    return bool(tracking_key) and hmac.compare_digest(tracking_key.encode(), issue.tracking_key.encode())


def can_change_status(user, issue, to: str, *, tracking_key: str = "") -> bool:
    if can_triage(user, issue):
        return True
    if to in WORKER_STATUSES and works_on(user, issue):
        return True
    return (
        to in REPORTER_STATUSES
        and issue.status == Status.RESOLVED
        and is_reporter(user, issue, tracking_key)
    )


def can_see_internal(user, issue) -> bool:
    """Internal notes, reporter contact details, private answers and the exact location of private
    issues: staff who may read internal notes, within their scope."""
    return bool(user and user.is_authenticated and user.has_perm("triage.view_internal_notes")
                and in_staff_scope(user, issue))


def can_attach_media(user, issue, tracking_key: str = "") -> bool:
    """Files on an issue: its reporter, and staff who act on it (dispatchers, its department)."""
    return can_triage(user, issue) or works_on(user, issue) or is_reporter(user, issue, tracking_key)


def can_log_staff_issue(user, municipality) -> bool:
    return bool(
        user and user.is_authenticated and user.has_perm("triage.log_staff_issue")
        and (user.is_superuser or user.municipality_id == municipality.pk)
    )


# The dispatcher board's actions (triage/dispatch/board_api.py). Dispatchers may take every one on the
# issues of their municipality; department staff only move their departments' issues through in
# progress and resolved, and add internal notes to them.
BOARD_ACTIONS = ("acknowledge", "assign", "route", "priority", "status", "note", "merge", "unmerge", "reject")
WORKER_BOARD_ACTIONS = frozenset({"status", "note"})


def can_act_on_board(user, issue, action: str, *, to_status: str = "", department_ids: frozenset[int] | None = None) -> bool:
    """May `user` take `action` on `issue` from the board? `department_ids` (the user's
    departments) saves a query per issue when many are checked at once."""
    if can_triage(user, issue):
        return True
    if action not in WORKER_BOARD_ACTIONS:
        return False
    if action == "status" and to_status not in WORKER_STATUSES:
        return False
    if department_ids is None:
        return works_on(user, issue)
    return (is_municipal_staff_of(user, issue) and user.has_perm("triage.work_issue")
            and issue.department_id is not None and issue.department_id in department_ids)
