import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notices.models import OutboundMessage
from triage.intake.services import Report, issue_create
from triage.issues.models import Issue
from triage.tests.conftest import HEIDELBERG


def resolved_days_ago(category, days: float, **fields) -> Issue:
    issue = issue_create(report=Report(category=category, location=HEIDELBERG, answers={"size": "small"},
                                       **fields)).issue
    Issue.objects.filter(pk=issue.pk).update(status="resolved", resolved_at=timezone.now() - datetime.timedelta(days=days))
    return issue


@pytest.mark.django_db
def test_resolved_issues_close_after_the_quiet_period_and_the_reporter_is_told(pothole):
    old = resolved_days_ago(pothole, 15, reporter_email="old@example.org")
    recent = resolved_days_ago(pothole, 13, reporter_email="recent@example.org")
    call_command("close_resolved_issues", after_days=14, verbosity=0)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == ("closed", "resolved")
    assert old.events.last().public_note == "Closed automatically: resolved 14 days ago and not reopened."
    assert OutboundMessage.objects.filter(address="old@example.org", subject__endswith="closed").exists()
    assert not OutboundMessage.objects.filter(address="recent@example.org", subject__endswith="closed").exists()


@pytest.mark.django_db
def test_a_bad_period_is_named():
    with pytest.raises(CommandError, match="--after-days must be at least 1, not 0"):
        call_command("close_resolved_issues", after_days=0, verbosity=0)
