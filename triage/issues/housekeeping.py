"""Jobs a scheduler runs (cron or a worker), each a plain function its command calls."""

import datetime

from django.utils import timezone

from triage.issues.models import Issue
from triage.issues.services import issue_transition
from triage.issues.workflow import IllegalTransition, Status

AUTO_CLOSE_NOTE = "Closed automatically: resolved {days} days ago and not reopened."


def issues_close_resolved(*, after_days: int = 14, now: datetime.datetime | None = None, progress=None) -> int:
    """Close issues resolved more than `after_days` ago that nobody reopened (the reporter could
    have said "not fixed" meanwhile). Each is one workflow step with a public note, so the
    reporter is told. Returns how many were closed; an issue changed meanwhile is skipped."""
    now = now or timezone.now()
    due = Issue.objects.filter(status=Status.RESOLVED, resolved_at__lt=now - datetime.timedelta(days=after_days))
    closed = 0
    for issue in due.order_by("resolved_at").only("pk").iterator(chunk_size=500):
        try:
            issue_transition(issue=issue, to_status=Status.CLOSED, at=now, label="Municipality",
                             public_note=AUTO_CLOSE_NOTE.format(days=after_days))
            closed += 1
        except IllegalTransition:
            pass  # reopened or closed since the query: nothing to do
        if progress:
            progress()
    return closed
