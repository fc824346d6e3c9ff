"""A resident's report through the API: the acknowledgement its request queued is sent by a real
Celery worker after the request's commit (tests/background.py), not by the request."""

import pytest

from notices.models import OutboundMessage
from tests.background import wait_until
from triage.issues.models import Issue
from triage.tests.test_issue_api import post_report


@pytest.mark.django_db(transaction=True)
def test_the_acknowledgement_a_report_queued_is_sent_by_the_worker(client, pothole, celery_workers, redis_queues):
    response = post_report(client, pothole, reporter_email="sipho@example.org")
    assert response.status_code == 201, response.content
    message = OutboundMessage.objects.get(address="sipho@example.org")
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"queued"}  # the request only queued them
    addresses = sorted(OutboundMessage.objects.values_list("address", flat=True))  # the department's notice too
    assert redis_queues.llen("messages") == len(addresses)
    celery_workers.start()
    assert wait_until(lambda: not OutboundMessage.objects.exclude(state="sent").exists()), celery_workers.output()
    assert sorted(address for address, _ in celery_workers.sent()) == addresses
    assert Issue.objects.get().reference in message.subject
