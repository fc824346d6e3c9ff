"""Time left and overdue on the Africa/Johannesburg clock (UTC+2 all year, no daylight saving),
including targets that fall on the next local calendar day."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from triage.dispatch import board
from triage.dispatch.sla import duration_short, local_day, sla_of
from triage.intake.services import Report, issue_create
from triage.issues.models import Issue
from triage.tests.conftest import HEIDELBERG

SAST = ZoneInfo("Africa/Johannesburg")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SAST)


def test_johannesburg_keeps_no_daylight_saving():
    offsets = {at(f"2026-{month:02d}-15T12:00").utcoffset() for month in range(1, 13)}
    assert offsets == {datetime.timedelta(hours=2)}


def test_time_left_before_the_target_on_the_same_day():
    sla = sla_of(expected_at=at("2026-03-10T16:30"), status="acknowledged", now=at("2026-03-10T14:00"))
    assert (sla.seconds_left, sla.overdue) == (2.5 * 3600, False)
    assert sla.label == "2 h 30 min left (due today 16:30)"


def test_a_report_late_in_the_evening_is_due_after_midnight_on_the_next_local_day():
    # Reported 23:00 SAST (21:00 UTC) with a 2-hour target: due 01:00 SAST the next day (23:00 UTC the same UTC day).
    reported = at("2026-03-10T23:00")
    expected = reported + datetime.timedelta(hours=2)
    assert expected.astimezone(datetime.UTC).date() == datetime.date(2026, 3, 10)
    before_midnight = sla_of(expected_at=expected, status="submitted", now=at("2026-03-10T23:30"))
    assert before_midnight.label == "1 h 30 min left (due tomorrow 01:00)"
    assert before_midnight.due_at.date() == datetime.date(2026, 3, 11)
    after_midnight = sla_of(expected_at=expected, status="submitted", now=at("2026-03-11T00:30"))
    assert after_midnight.label == "30 min left (due today 01:00)"
    overdue = sla_of(expected_at=expected, status="submitted", now=at("2026-03-11T01:45"))
    assert (overdue.overdue, overdue.seconds_left, overdue.label) == (True, -45 * 60, "overdue by 45 min")


def test_a_target_days_away_names_the_day():
    sla = sla_of(expected_at=at("2026-03-13T09:00"), status="assigned", now=at("2026-03-10T09:00"))
    assert sla.label == "3 d left (due Fri 13 Mar 09:00)"


@pytest.mark.parametrize("status", ["resolved", "closed", "rejected", "duplicate"])
def test_no_clock_runs_on_an_issue_that_is_no_longer_open(status):
    assert sla_of(expected_at=at("2026-03-10T09:00"), status=status, now=at("2026-03-11T09:00")) is None


def test_no_target_no_clock():
    assert sla_of(expected_at=None, status="submitted", now=at("2026-03-11T09:00")) is None


def test_the_local_day_runs_midnight_to_midnight_johannesburg_time():
    start, end = local_day(at("2026-03-11T00:30"))
    assert (start, end) == (at("2026-03-11T00:00"), at("2026-03-12T00:00"))
    assert start.astimezone(datetime.UTC) == datetime.datetime(2026, 3, 10, 22, 0, tzinfo=datetime.UTC)


def test_short_durations():
    assert [duration_short(s) for s in (30, 60, 3600 + 120, 86400 * 2 + 3600 * 5 + 60, -90)] == [
        "under a minute", "1 min", "1 h 2 min", "2 d 5 h", "1 min"]


@pytest.mark.django_db
def test_counts_per_department_on_the_local_calendar(pothole, roads):
    """At 23:30 SAST, an issue due 23:50 is due today, one due 00:10 is tomorrow's, one due 23:00
    is overdue; counted per department in one query."""
    now = at("2026-03-10T23:30")
    due = {"overdue": at("2026-03-10T23:00"), "today": at("2026-03-10T23:50"), "tomorrow": at("2026-03-11T00:10")}
    for expected_at in due.values():
        issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"})).issue
        Issue.objects.filter(pk=issue.pk).update(expected_at=expected_at)
    _, day_end = local_day(now)
    rows = board.sla_counts(Issue.objects.all(), now=now, day_end=day_end)
    assert rows == [{"department": "roads", "department_name": "Roads and Stormwater", "open": 3, "overdue": 1,
                     "due_today": 1}]
    # Half an hour later it is the 11th: the 00:10 target is due today, the 23:50 one overdue.
    later = at("2026-03-11T00:05")
    _, day_end = local_day(later)
    rows = board.sla_counts(Issue.objects.all(), now=later, day_end=day_end)
    assert (rows[0]["overdue"], rows[0]["due_today"]) == (2, 1)


@pytest.mark.django_db
def test_the_queue_carries_seconds_left_negative_when_overdue(pothole):
    now = at("2026-03-10T23:30")
    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"})).issue
    Issue.objects.filter(pk=issue.pk).update(expected_at=at("2026-03-11T00:10"))
    import json

    features, _ = board.queue_features(Issue.objects.all(), now=now)
    props = json.loads(features)[0]["properties"]
    assert props["seconds_left"] == 40 * 60
    features, _ = board.queue_features(Issue.objects.all(), now=at("2026-03-11T00:20"))
    props = json.loads(features)[0]["properties"]
    assert props["seconds_left"] == -10 * 60  # overdue: the board marks it
