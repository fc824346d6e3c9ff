"""Signed links in messages about an issue: the recipient acts from any device without logging in;
a forwarded link already used elsewhere, an expired or an altered one only shows the issue."""

import re

import pytest
from django.test import Client

from notices.models import OutboundMessage
from triage.intake.services import Report, issue_create
from triage.issues.models import Follower, Rating
from triage.issues.services import issue_follow, issue_transition
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.shared_data


@pytest.fixture
def resolved(pothole, dispatcher):
    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"},
                                       reporter_email="anon@example.org")).issue
    issue_follow(issue=issue, phone="+27821239999")
    for step in ("acknowledged", "in_progress", "resolved"):
        issue_transition(issue=issue, to_status=step, actor=dispatcher, public_note="Done")
    return issue


def link_in(address: str, issue) -> str:
    body = OutboundMessage.objects.filter(address=address, topic=f"issue:{issue.reference}").latest("id").body
    return re.search(r"https?://[^/\s]+(/act/\S+/)", body).group(1)


def test_the_resolved_email_lets_the_reporter_rate_from_another_device(resolved):
    link = link_in("anon@example.org", resolved)
    laptop = Client()
    page = laptop.get(link).content.decode()
    assert "Is it fixed?" in page and "Rate the service" in page  # opening only shows
    assert not Rating.objects.exists()
    assert laptop.post(link, {"action": "rate", "stars": "4", "comment": "Quick"}).status_code == 200
    assert Rating.objects.get(issue=resolved).stars == 4
    assert laptop.post(link, {"action": "close"}).status_code == 200
    resolved.refresh_from_db()
    assert resolved.status == "closed"


def test_a_forwarded_link_used_elsewhere_only_shows_the_issue(resolved):
    link = link_in("anon@example.org", resolved)
    mine = Client()
    mine.post(link, {"action": "comment", "body": "Thanks"})
    forwarded = Client()
    page = forwarded.get(link)
    assert "already used on another device" in page.content.decode() and "Rate the service" not in page.content.decode()
    refused = forwarded.post(link, {"action": "reopen"})
    assert refused.status_code == 403
    resolved.refresh_from_db()
    assert resolved.status == "resolved"
    assert mine.post(link, {"action": "reopen"}).status_code == 200  # the first device keeps it


def test_an_expired_or_altered_link_refuses_to_act(resolved, monkeypatch):
    link = link_in("anon@example.org", resolved)
    monkeypatch.setattr("triage.residents.links.LINK_DAYS", -1)
    page = Client().get(link).content.decode()
    assert "This link has expired" in page and "Is it fixed?" not in page
    assert Client().post(link, {"action": "close"}).status_code == 403
    assert Client().get(link.replace("/act/", "/act/x")).status_code == 404


def test_a_follower_stops_updates_but_cannot_close_or_rate(resolved):
    link = link_in("+27821239999", resolved)
    client = Client()
    page = client.get(link).content.decode()
    assert "Is it fixed?" not in page and "Stop updates" in page
    assert client.post(link, {"action": "close"}).status_code == 400
    client.post(link, {"action": "unsubscribe"})
    assert not Follower.objects.filter(issue=resolved, phone="+27821239999").exists()


def test_each_link_is_for_one_issue_and_one_recipient(resolved):
    assert link_in("anon@example.org", resolved) != link_in("+27821239999", resolved)


def updates_to(address: str, issue) -> list[str]:
    return list(OutboundMessage.objects.filter(address=address, topic=f"issue:{issue.reference}")
                .order_by("id").values_list("body", flat=True))


def test_the_reporter_stops_and_starts_again_their_updates_from_the_link(resolved, dispatcher, client):
    body = updates_to("anon@example.org", resolved)[-1]
    assert "rate the service or stop these updates" in body  # the resolved line offers both
    link = link_in("anon@example.org", resolved)
    phone = Client()
    page = phone.get(link).content.decode()
    assert "Is it fixed?" in page and "Stop updates about this issue" in page
    stopped = phone.post(link, {"action": "unsubscribe"})
    assert stopped.status_code == 200
    page = stopped.content.decode()
    assert "You will get no more updates about this issue." in page and "Start updates again" in page
    assert "Is it fixed?" in page  # the reporter can still confirm or rate

    before = len(updates_to("anon@example.org", resolved))
    add_comment(resolved, dispatcher, "The crew checked the patch.")
    assert len(updates_to("anon@example.org", resolved)) == before  # nothing more to the reporter
    assert "The crew checked the patch." in updates_to("+27821239999", resolved)[-1]  # the follower still hears
    client.force_login(dispatcher)  # staff see the issue as before
    detail = client.get(f"/api/v1/issues/{resolved.reference}").json()
    assert detail["status"] == "resolved" and detail["reporter"]["email"] == "anon@example.org"

    again = phone.post(link, {"action": "resubscribe"})
    assert "You will get updates about this issue again." in again.content.decode()
    assert "Stop updates about this issue" in again.content.decode()
    add_comment(resolved, dispatcher, "Paint dries tomorrow.")
    assert "Paint dries tomorrow." in updates_to("anon@example.org", resolved)[-1]


def add_comment(issue, author, body: str) -> None:
    from triage.issues.services import issue_comment_add

    issue_comment_add(issue=issue, body=body, author=author)


def test_a_forwarded_or_expired_reporter_link_cannot_stop_the_updates(resolved, dispatcher, monkeypatch):
    link = link_in("anon@example.org", resolved)
    Client().post(link, {"action": "comment", "body": "Thanks"})  # the reporter's own device keeps the link
    forwarded = Client()
    assert "Stop updates" not in forwarded.get(link).content.decode()
    assert forwarded.post(link, {"action": "unsubscribe"}).status_code == 403
    monkeypatch.setattr("triage.residents.links.LINK_DAYS", -1)
    expired = Client()
    assert "Stop updates" not in expired.get(link).content.decode()
    assert expired.post(link, {"action": "unsubscribe"}).status_code == 403
    monkeypatch.undo()
    add_comment(resolved, dispatcher, "Still on it.")
    assert "Still on it." in updates_to("anon@example.org", resolved)[-1]


def test_a_follower_who_stopped_can_start_again(resolved, dispatcher):
    link = link_in("+27821239999", resolved)
    client = Client()
    client.post(link, {"action": "unsubscribe"})
    page = client.get(link).content.decode()
    assert "You get no updates about this issue." in page and "Start updates again" in page
    add_comment(resolved, dispatcher, "Quiet for the follower.")
    assert "Quiet for the follower." not in updates_to("+27821239999", resolved)[-1]
    client.post(link, {"action": "resubscribe"})
    assert Follower.objects.get(issue=resolved, phone="+27821239999").confirmed_at is not None
    add_comment(resolved, dispatcher, "Back for the follower.")
    assert "Back for the follower." in updates_to("+27821239999", resolved)[-1]


# --- An account's preferences: the progress of my issues --------------------------------------------

@pytest.fixture
def reported_by_account(pothole, resident):
    """An issue filed by a logged-in resident, followed by another account, a phone and an email."""
    from accounts.models import User

    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"},
                                       reporter=resident)).issue
    neighbour = User.objects.create_user("sipho@example.org", "pw-neighbour-1")
    issue_follow(issue=issue, user=neighbour)
    issue_follow(issue=issue, phone="+27821238888")
    follower, _created = issue_follow(issue=issue, email="anon-follower@example.org")
    Follower.objects.filter(pk=follower.pk).update(confirmed_at=follower.created_at)
    return issue


@pytest.mark.parametrize("my_issues, heard", [(False, 0), (True, 1)])
def test_a_reporter_hears_of_progress_only_with_my_issues_on(reported_by_account, resident, dispatcher,
                                                             my_issues, heard):
    from residents.services import preferences_update

    preferences_update(user=resident, my_issues=my_issues)
    issue_transition(issue=reported_by_account, to_status="acknowledged", actor=dispatcher, public_note="On our list")
    assert len(updates_to("thandi@example.org", reported_by_account)) == 1 + heard  # "received", then the update
    # Everyone else hears as before: the other account, and the followers with no account.
    for address in ("sipho@example.org", "+27821238888", "anon-follower@example.org"):
        assert "On our list" in updates_to(address, reported_by_account)[-1], address


def test_a_follower_account_with_my_issues_off_hears_nothing_and_on_again_hears_again(reported_by_account,
                                                                                     dispatcher):
    from accounts.models import User
    from residents.services import preferences_update

    neighbour = User.objects.get(email="sipho@example.org")
    preferences_update(user=neighbour, my_issues=False)
    # The same address typed into the follow form, without logging in: the account's owner still.
    follower, _created = issue_follow(issue=reported_by_account, email="sipho@example.org")
    Follower.objects.filter(pk=follower.pk).update(confirmed_at=follower.created_at)
    asked = len(updates_to("sipho@example.org", reported_by_account))  # the follow form's confirmation link
    add_comment(reported_by_account, dispatcher, "Crew booked for Tuesday.")
    assert len(updates_to("sipho@example.org", reported_by_account)) == asked
    assert "Crew booked for Tuesday." in updates_to("thandi@example.org", reported_by_account)[-1]
    preferences_update(user=neighbour, my_issues=True)
    add_comment(reported_by_account, dispatcher, "Crew on site.")
    told = updates_to("sipho@example.org", reported_by_account)[asked:]
    assert len(told) == 1 and "Crew on site." in told[0]  # once, though followed twice at that address
