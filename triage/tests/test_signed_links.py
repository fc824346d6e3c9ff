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
