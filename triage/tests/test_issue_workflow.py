"""The status workflow: every legal step is taken, every illegal one refused with a message that
says what is allowed; timestamps and durations; who hears about it."""

import datetime
import itertools

import pytest
from django.utils import timezone

from notices.models import OutboundMessage
from triage.intake.services import Report, issue_create
from triage.issues.models import Follower, Issue, IssueEvent
from triage.issues.services import (
    ActionRefused,
    issue_assign,
    issue_comment_add,
    issue_follow,
    issue_rate,
    issue_set_priority,
    issue_transition,
    issue_upvote,
)
from triage.issues.workflow import TRANSITIONS, IllegalTransition, Status
from triage.tests.conftest import HEIDELBERG


def new_issue(category, **fields) -> Issue:
    fields.setdefault("answers", {"size": "small"})
    return issue_create(report=Report(category=category, location=HEIDELBERG, **fields)).issue


def step_kwargs(to_status: str, parent: Issue) -> dict:
    if to_status == Status.REJECTED:
        return {"public_note": "Private property: not the municipality's to fix."}
    if to_status == Status.DUPLICATE:
        return {"duplicate_of": parent}
    return {}


LEGAL = [(source, target) for source, targets in TRANSITIONS.items() for target in sorted(targets)]
ILLEGAL = [(source, target) for source, target in itertools.product(Status.values, Status.values)
           if target not in TRANSITIONS[source]]


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_every_legal_transition_is_taken_and_recorded(pothole, dispatcher, source, target):
    parent = new_issue(pothole)
    issue = new_issue(pothole)
    Issue.objects.filter(pk=issue.pk).update(status=source)
    event = issue_transition(issue=issue, to_status=target, actor=dispatcher, **step_kwargs(target, parent))
    issue.refresh_from_db()
    assert issue.status == target
    assert (event.from_status, event.to_status, event.actor) == (source, target, dispatcher)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_with_what_is_allowed(pothole, dispatcher, source, target):
    parent = new_issue(pothole)
    issue = new_issue(pothole)
    Issue.objects.filter(pk=issue.pk).update(status=source)
    with pytest.raises(IllegalTransition) as refused:
        issue_transition(issue=issue, to_status=target, actor=dispatcher, **step_kwargs(target, parent))
    allowed = ", ".join(sorted(TRANSITIONS[source]))
    assert f"from {source} it may go to: {allowed}" in str(refused.value)
    issue.refresh_from_db()
    assert issue.status == source
    assert not IssueEvent.objects.filter(issue=issue, action="status").exists()


@pytest.mark.django_db
def test_an_unknown_status_is_named(pothole, dispatcher):
    with pytest.raises(IllegalTransition, match="'fixed' is not a status"):
        issue_transition(issue=new_issue(pothole), to_status="fixed", actor=dispatcher)


@pytest.mark.django_db
def test_times_to_acknowledge_and_resolve_are_stored(pothole, dispatcher):
    issue = new_issue(pothole)
    start = issue.created_at
    issue_transition(issue=issue, to_status="acknowledged", actor=dispatcher, at=start + datetime.timedelta(hours=2))
    issue_transition(issue=issue, to_status="in_progress", actor=dispatcher, at=start + datetime.timedelta(hours=5))
    issue_transition(issue=issue, to_status="resolved", actor=dispatcher, at=start + datetime.timedelta(days=2))
    issue.refresh_from_db()
    assert issue.time_to_acknowledge == datetime.timedelta(hours=2)
    assert issue.time_to_resolve == datetime.timedelta(days=2)
    assert issue.started_at == start + datetime.timedelta(hours=5)

    issue_transition(issue=issue, to_status="reopened", actor=dispatcher, at=start + datetime.timedelta(days=3))
    issue.refresh_from_db()
    assert issue.resolved_at is None and issue.time_to_resolve is None
    assert issue.time_to_acknowledge == datetime.timedelta(hours=2)  # the first response still counts
    issue_transition(issue=issue, to_status="resolved", actor=dispatcher, at=start + datetime.timedelta(days=4))
    issue.refresh_from_db()
    assert issue.time_to_resolve == datetime.timedelta(days=4)


@pytest.mark.django_db
def test_rejection_needs_a_reason_the_reporter_reads(pothole, dispatcher):
    issue = new_issue(pothole)
    with pytest.raises(ActionRefused) as refused:
        issue_transition(issue=issue, to_status="rejected", actor=dispatcher)
    assert refused.value.field == "public_note"
    issue_transition(issue=issue, to_status="rejected", actor=dispatcher, public_note="On private land.")
    issue.refresh_from_db()
    assert issue.rejection_reason == "On private land." and issue.closed_at is not None


@pytest.mark.django_db
def test_duplicate_rules(pothole, dispatcher, lesedi):
    parent, child = new_issue(pothole), new_issue(pothole)
    with pytest.raises(ActionRefused, match="Name the issue"):
        issue_transition(issue=child, to_status="duplicate", actor=dispatcher)
    with pytest.raises(ActionRefused, match="cannot duplicate itself"):
        issue_transition(issue=child, to_status="duplicate", actor=dispatcher, duplicate_of=child)
    issue_transition(issue=child, to_status="duplicate", actor=dispatcher, duplicate_of=parent)
    grandchild = new_issue(pothole)
    with pytest.raises(ActionRefused, match="merge into that one"):
        issue_transition(issue=grandchild, to_status="duplicate", actor=dispatcher, duplicate_of=child)
    issue_transition(issue=child, to_status="reopened", actor=dispatcher)
    child.refresh_from_db()
    assert child.duplicate_of is None


@pytest.mark.django_db
def test_assigning_a_submitted_issue_acknowledges_it_on_the_way(pothole, dispatcher, roads):
    issue = new_issue(pothole)
    issue = issue_assign(issue=issue, actor=dispatcher, department=roads, assignee=dispatcher)
    assert issue.status == "assigned"
    assert issue.acknowledged_at is not None and issue.assigned_at is not None
    assert list(issue.events.values_list("action", "to_status")) == [
        ("created", "submitted"), ("status", "acknowledged"), ("assigned", ""), ("status", "assigned")]


@pytest.mark.django_db
def test_priority_change_is_recorded(pothole, dispatcher):
    issue = issue_set_priority(issue=new_issue(pothole), priority="urgent", actor=dispatcher)
    assert issue.priority == "urgent"
    assert issue.events.get(action="priority").detail == {"from": "normal", "to": "urgent"}
    with pytest.raises(ActionRefused, match="'asap' is not a priority"):
        issue_set_priority(issue=issue, priority="asap", actor=dispatcher)


def messages_to(address: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(address=address).order_by("id"))


@pytest.mark.django_db
def test_reporter_and_followers_hear_of_public_changes_until_closed(pothole, dispatcher, resident):
    issue = new_issue(pothole, reporter_email="reporter@example.org")
    issue_follow(issue=issue, user=resident)
    assert [m.subject for m in messages_to("reporter@example.org")] == [f"{issue.reference}: we received your report"]

    issue_transition(issue=issue, to_status="acknowledged", actor=dispatcher, public_note="On the list for Monday.")
    issue_comment_add(issue=issue, body="Crew checks the size first.", author=dispatcher, internal=True)
    issue_comment_add(issue=issue, body="Crew is on the way.", author=dispatcher)
    issue_transition(issue=issue, to_status="resolved", actor=dispatcher, internal_note="Used 2 bags of tar")
    issue_transition(issue=issue, to_status="closed", actor=dispatcher)
    issue_comment_add(issue=issue, body="Archived.", author=dispatcher)  # after closing: nobody is told

    for address in ("reporter@example.org", resident.email):
        bodies = [m.body for m in messages_to(address)]
        assert any("On the list for Monday." in body for body in bodies)
        assert any("Crew is on the way." in body for body in bodies)
        assert any("resolved; please rate" in body for body in bodies)
        assert not any("Crew checks the size" in body or "bags of tar" in body for body in bodies)
        assert not any("Archived." in body for body in bodies)


@pytest.mark.django_db
def test_department_is_told_of_a_new_issue(pothole, roads):
    issue = new_issue(pothole)
    [message] = messages_to(roads.email)
    assert message.subject == f"New issue {issue.reference}: Pothole"


@pytest.mark.django_db
def test_anonymous_report_without_contact_sends_nothing(pothole):
    pothole.default_department = None
    pothole.save()
    new_issue(pothole)
    assert OutboundMessage.objects.count() == 0


def resolved(category, **fields) -> Issue:
    issue = new_issue(category, **fields)
    Issue.objects.filter(pk=issue.pk).update(status="resolved", resolved_at=timezone.now())
    issue.refresh_from_db()
    return issue


@pytest.mark.django_db
def test_rating_only_after_resolution_once_and_only_by_the_reporter(pothole, resident, dispatcher):
    open_issue = new_issue(pothole, reporter=resident)
    with pytest.raises(ActionRefused, match="can be rated once resolved"):
        issue_rate(issue=open_issue, stars=5, user=resident)

    issue = resolved(pothole, reporter=resident)
    with pytest.raises(ActionRefused, match="Only the person who reported"):
        issue_rate(issue=issue, stars=1, user=dispatcher)
    with pytest.raises(ActionRefused, match="from 1 to 5"):
        issue_rate(issue=issue, stars=6, user=resident)
    rating = issue_rate(issue=issue, stars=4, comment="Quick work", user=resident)
    assert rating.stars == 4
    with pytest.raises(ActionRefused, match="already rated"):
        issue_rate(issue=issue, stars=5, user=resident)


@pytest.mark.django_db
def test_anonymous_reporter_rates_with_the_tracking_key(pothole):
    issue = resolved(pothole)
    with pytest.raises(ActionRefused):
        issue_rate(issue=issue, stars=3, tracking_key="guess")
    issue_rate(issue=issue, stars=3, tracking_key=issue.tracking_key)
    with pytest.raises(ActionRefused, match="already rated"):
        issue_rate(issue=issue, stars=3, tracking_key=issue.tracking_key)


@pytest.mark.django_db
def test_me_too_counts_once_per_voter_and_only_while_open(pothole, dispatcher):
    issue = new_issue(pothole)
    assert issue_upvote(issue=issue, voter_key="client:a") == (1, True)
    assert issue_upvote(issue=issue, voter_key="client:a") == (1, False)
    assert issue_upvote(issue=issue, voter_key="client:b") == (2, True)
    issue_transition(issue=issue, to_status="rejected", actor=dispatcher, public_note="Not ours.")
    with pytest.raises(ActionRefused, match="no longer open"):
        issue_upvote(issue=issue, voter_key="client:c")


@pytest.mark.django_db
def test_private_issues_cannot_be_followed(private_category, resident):
    issue = issue_create(report=Report(category=private_category, location=HEIDELBERG)).issue
    with pytest.raises(ActionRefused, match="private"):
        issue_follow(issue=issue, user=resident)
    assert Follower.objects.count() == 0
