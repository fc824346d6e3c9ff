"""Files sent with an email (scheduled reports): kept with the message, attached by the email
channel on the first try and on every retry; an SMS recipient gets the message alone."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notices.models import OutboundAttachment, OutboundMessage
from notices.outbound import Recipient, notify

pytestmark = pytest.mark.django_db
REPORT = ("report.pdf", b"%PDF-1.4 a small report", "application/pdf")


def test_an_email_carries_its_attachments(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        messages = notify([Recipient(email="planner@lesedi.example"), Recipient(phone="+27821234567")],
                          "Monthly report", "Attached.", attachments=[REPORT])
    email, sms = sorted(messages, key=lambda m: m.channel)
    assert [(a.filename, bytes(a.content), a.content_type, a.size) for a in email.attachments.all()] == [
        ("report.pdf", REPORT[1], "application/pdf", len(REPORT[1]))]
    assert not sms.attachments.exists()
    assert mail.outbox[0].attachments == [REPORT]


def test_a_retried_email_reads_its_attachments_back(imbizo_settings, django_capture_on_commit_callbacks):
    imbizo_settings(CHANNELS={"email": "notices.tests.test_outbound_attachments.FailingOnce"})
    with django_capture_on_commit_callbacks(execute=True):
        notify([Recipient(email="planner@lesedi.example")], "Weekly report", "Attached.", attachments=[REPORT])
    assert OutboundMessage.objects.get().state == "failed" and mail.outbox == []
    imbizo_settings(CHANNELS={"email": "notices.channels.EmailChannel"})
    call_command("send_queued_messages", verbosity=0)
    assert OutboundMessage.objects.get().state == "sent"
    assert mail.outbox[0].attachments == [REPORT]
    assert OutboundAttachment.objects.count() == 1


def test_a_message_without_attachments_costs_no_query_to_find_that_out(django_assert_num_queries,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([Recipient(email="resident@example.org")], "Your issue", "Received.")
    with CaptureQueriesContext(connection) as queries:
        callbacks[0]()
    assert mail.outbox[0].attachments == []
    # Claimed (in a savepoint here, inside the test's transaction), sent, its state recorded.
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SAVEPOINT", "SELECT", "UPDATE", "RELEASE"]
    assert not any("outboundattachment" in query["sql"] for query in queries.captured_queries)


class FailingOnce:
    def deliver(self, message):
        raise ConnectionError("the mail server is down")
