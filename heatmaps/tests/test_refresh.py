"""The incremental refresh gives exactly what a full rebuild gives, and figures are never read from
a summary more than a minute old."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from heatmaps.models import (
    DailyAreaSummary,
    DailySummary,
    IssueFact,
    MonthlyAreaSummary,
    MonthlyHexSummary,
    MonthlySummary,
    SummaryState,
)
from heatmaps.refresh import summary_ensure_fresh, summary_refresh
from heatmaps.tests.conftest import file_issues
from triage.intake import services as intake
from triage.issues import services
from triage.issues.models import Issue

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def snapshot() -> dict:
    columns = ["municipality_id", "period_start", "ward_id", "suburb_id", "has_location", "category_id", "kind",
               "department_id", "channel", "status", "logged", "acknowledged", "acknowledge_seconds", "resolved",
               "resolve_seconds", "resolved_with_target", "resolved_within_target", "rating_count", "rating_sum",
               "ended"]
    area_columns = [c for c in columns if c not in ("category_id", "kind", "department_id", "channel", "status")]
    return {
        "daily": sorted(DailySummary.objects.values_list(*columns), key=repr),
        "monthly": sorted(MonthlySummary.objects.values_list(*columns), key=repr),
        "daily areas": sorted(DailyAreaSummary.objects.values_list(*area_columns), key=repr),
        "monthly areas": sorted(MonthlyAreaSummary.objects.values_list(*area_columns), key=repr),
        "hexagons": sorted(MonthlyHexSummary.objects.values_list("period_start", "size", "i", "j", "logged")),
        "facts": sorted(IssueFact.objects.values_list("issue_id", "ward_id", "status", "created_day", "resolved_day",
                                                      "ended_day", "rating_count", "x", "y"), key=repr),
    }


def test_incremental_refresh_equals_a_full_rebuild(categories, ward_frame):
    filed = file_issues(categories, ward_frame, count=60, seed=3)
    first = summary_refresh(full=True)
    assert first.full and first.changed == len(filed)
    # A day of work: one issue resolved and reopened, one re-resolved and rated, one rejected, a new report.
    issues = {issue.reference: issue for issue in Issue.objects.all()}
    resolved = [issues[f.reference] for f in filed if f.status == "resolved" and not f.stars]
    open_ones = [issues[f.reference] for f in filed if f.status in ("submitted", "acknowledged")]
    services.issue_transition(issue=resolved[0], to_status="reopened")
    services.issue_transition(issue=open_ones[0], to_status="rejected", public_note="Not municipal.")
    services.issue_rate(issue=resolved[1], stars=4, tracking_key=resolved[1].tracking_key)
    intake.issue_create(report=intake.Report(category=categories["pothole"], location=Point(28.3585, -26.5040, srid=4326)))
    SummaryState.objects.filter(id=1).update(watermark=timezone.now() - datetime.timedelta(seconds=61))

    incremental = summary_refresh()
    assert not incremental.full
    assert 4 <= incremental.changed < len(filed)  # only what changed (and the overlap) was read again
    after_incremental = snapshot()
    summary_refresh(full=True)
    assert after_incremental == snapshot()


def test_reading_a_summary_older_than_a_minute_refreshes_it_first(categories, ward_frame):
    summary_refresh(full=True)
    intake.issue_create(report=intake.Report(category=categories["pothole"], location=Point(28.3585, -26.5040, srid=4326)))
    summary_ensure_fresh()  # refreshed less than a minute ago: read as it is
    assert IssueFact.objects.count() == 0
    SummaryState.objects.filter(id=1).update(watermark=timezone.now() - datetime.timedelta(seconds=61))
    summary_ensure_fresh()
    assert IssueFact.objects.count() == 1


def test_the_command_refreshes_and_says_how_stale_figures_may_be(categories, capsys):
    from django.core.management import call_command

    intake.issue_create(report=intake.Report(category=categories["pothole"], location=Point(28.3585, -26.5040, srid=4326)))
    call_command("refresh_heatmap_summary")
    out = capsys.readouterr().out
    assert "full rebuild: 1 issues" in out and "at most 60 s" in out
    call_command("refresh_heatmap_summary")
    assert "incremental" in capsys.readouterr().out
