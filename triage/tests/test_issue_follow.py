"""issue_follow and follower_confirm: an address typed into a follow form gets one confirmation
message with a signed, time-limited link, and no update until its owner confirms; accounts and the
reporters of merged duplicates follow at once."""

import re
import time

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notices.models import OutboundMessage
from triage.intake.services import Report, issue_create
from triage.issues.models import Follower
from triage.issues.services import issue_comment_add, issue_follow, issue_merge
from triage.tests.conftest import HEIDELBERG

NEIGHBOUR = "neighbour@example.org"
LINK = re.compile(r"http://\S+/track/(?P<reference>[^/]+)/follow/(?P<token>[^/\s]+)/")


def file(category, **fields):
    return issue_create(report=Report(category=category, location=HEIDELBERG, answers={"size": "small"}, **fields)).issue


def messages_to(address: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(address=address).order_by("id"))


def confirmation_link(address: str) -> str:
    [message] = [m for m in messages_to(address) if "confirm" in m.subject]
    return "/" + LINK.search(message.body).group(0).split("/", 3)[3]


@pytest.mark.django_db
def test_an_email_follower_hears_nothing_until_they_confirm_the_one_link_sent(client, pothole, dispatcher, resident):
    issue = file(pothole)
    issue_follow(issue=issue, user=resident)  # an account follows at once
    follow = f"/api/v1/issues/{issue.reference}/follow"
    for _ in range(3):  # asking again does not send again
        assert client.post(follow, {"email": NEIGHBOUR}).status_code == 202
    [confirmation] = messages_to(NEIGHBOUR)
    assert confirmation.subject == f"{issue.reference}: confirm you want its updates"
    assert "ignore this message" in confirmation.body

    issue_comment_add(issue=issue, body="Crew booked.", author=dispatcher)
    assert "Crew booked." in messages_to(resident.email)[-1].body
    assert len(messages_to(NEIGHBOUR)) == 1  # not confirmed: no update

    link = confirmation_link(NEIGHBOUR)
    page = client.get(link)  # opening the link (as a mail scanner would) only asks
    assert page.status_code == 200 and b"Yes, email me its updates" in page.content
    assert Follower.objects.get(email=NEIGHBOUR).confirmed_at is None
    confirmed = client.post(link)
    assert confirmed.status_code == 200 and b"Confirmed" in confirmed.content
    assert Follower.objects.get(email=NEIGHBOUR).confirmed_at is not None

    issue_comment_add(issue=issue, body="Crew is on site.", author=dispatcher)
    assert "Crew is on site." in messages_to(NEIGHBOUR)[-1].body


@pytest.mark.django_db
def test_an_altered_link_confirms_nothing(client, pothole):
    issue = file(pothole)
    issue_follow(issue=issue, email=NEIGHBOUR)
    link = confirmation_link(NEIGHBOUR)
    refused = client.post(link[:-3] + "x" + link[-2:])
    assert refused.status_code == 400 and b"not valid" in refused.content
    assert Follower.objects.get(email=NEIGHBOUR).confirmed_at is None


@pytest.mark.django_db
def test_a_link_expires_and_following_again_then_sends_a_new_one(client, pothole, imbizo_settings):
    imbizo_settings(FOLLOW_CONFIRMATION_DAYS=0)  # a link is valid for no time at all
    issue = file(pothole)
    issue_follow(issue=issue, email=NEIGHBOUR)
    link = confirmation_link(NEIGHBOUR)
    time.sleep(1.1)
    expired = client.post(link)
    assert expired.status_code == 400 and b"expired" in expired.content
    issue_follow(issue=issue, email=NEIGHBOUR)
    assert len(messages_to(NEIGHBOUR)) == 2


@pytest.mark.django_db
def test_reporters_of_merged_duplicates_follow_at_once_but_unconfirmed_followers_stay_unconfirmed(pothole, dispatcher):
    parent = file(pothole)
    child = file(pothole, reporter_email="reporter@example.org")
    issue_follow(issue=child, email=NEIGHBOUR)  # never confirmed
    issue_follow(issue=parent, email="other-reporter@example.org")  # waiting on the parent...
    second = file(pothole, reporter_email="other-reporter@example.org")  # ...and the address's owner reports
    issue_merge(parent=parent, children=[child, second], actor=dispatcher)
    OutboundMessage.objects.all().delete()
    issue_comment_add(issue=parent, body="Crew booked.", author=dispatcher)
    told = set(OutboundMessage.objects.values_list("address", flat=True))
    assert {"reporter@example.org", "other-reporter@example.org"} <= told
    assert NEIGHBOUR not in told


@pytest.mark.django_db(transaction=True)
def test_followers_from_before_confirmation_keep_their_updates(pothole):
    issue = file(pothole)
    executor = MigrationExecutor(connection)
    executor.migrate([("triage", "0006_board_pages_from_the_index_alone_recently_changed_and_all_municipalities")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO triage_follower (issue_id, email, phone, created_at) VALUES (%s, %s, '', %s)",
                           [issue.pk, "old@example.org", timezone.now()])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # every app back to its latest migration
    assert Follower.objects.get(email="old@example.org").confirmed_at is not None
