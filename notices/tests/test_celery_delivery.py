"""Delivery on Celery against a real Redis and real worker processes (tests/background.py): a message
goes out once its transaction commits, a message whose task Redis lost goes out with the sweep, a
failed one is retried later, and no message is sent twice however many workers and tasks there are."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notices.delivery import RETRY_FIRST_S, deliver_message, outbox_sweep, queue_deliveries, retry_countdown, sweep_outbox
from notices.models import OutboundMessage
from notices.outbound import Recipient, notify
from tests.background import broker_away, wait_until
from toolkit.conf import imbizo_setting

pytestmark = pytest.mark.django_db(transaction=True)


def state_of(address: str) -> str | None:
    return OutboundMessage.objects.filter(address=address).values_list("state", flat=True).first()


def test_a_worker_sends_a_message_once_its_transaction_commits(celery_workers, redis_queues):
    celery_workers.start()
    with transaction.atomic():
        notify([Recipient(email="resident@example.org")], "Your issue", "Received.")
        assert redis_queues.llen("messages") == 0  # nothing is queued before the commit
    assert wait_until(lambda: state_of("resident@example.org") == "sent"), celery_workers.output()
    assert [address for address, _ in celery_workers.sent()] == ["resident@example.org"]


def test_a_rolled_back_message_is_never_queued(celery_workers, redis_queues):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([Recipient(email="undone@example.org")], "Your issue", "Received.")
        raise RuntimeError("the change failed")
    assert redis_queues.llen("messages") == 0
    assert not OutboundMessage.objects.exists()


def test_a_message_whose_task_redis_lost_is_sent_by_the_sweep(celery_workers, redis_queues):
    deadline = imbizo_setting("OUTBOX_DEADLINE")  # the workers' too
    notify([Recipient(email="lost@example.org")], "Your issue", "Received.")
    notify([Recipient(email="recent@example.org")], "Your issue", "Received.")
    assert redis_queues.llen("messages") == 2  # queued on commit; no worker runs yet
    redis_queues.flushdb()  # Redis lost them (a restart without its append-only file, a failover)
    OutboundMessage.objects.filter(address="lost@example.org").update(
        dispatched_at=timezone.now() - timedelta(seconds=deadline + 1))
    celery_workers.start()
    sweep_outbox.delay()  # as beat queues it every 5 minutes
    assert wait_until(lambda: state_of("lost@example.org") == "sent"), celery_workers.output()
    # One still inside its deadline may yet be on its way (a long queue): the sweep leaves it for later.
    assert state_of("recent@example.org") == "queued"
    assert [address for address, _ in celery_workers.sent()] == ["lost@example.org"]


def test_the_sweep_queues_what_was_written_while_redis_was_away(celery_workers, redis_queues, imbizo_settings):
    imbizo_settings(OUTBOX_DEADLINE=0)
    with broker_away():
        notify([Recipient(email="meanwhile@example.org")], "Your issue", "Received.")  # the request goes on
    assert state_of("meanwhile@example.org") == "queued" and redis_queues.llen("messages") == 0
    assert outbox_sweep() == 1
    celery_workers.start()
    assert wait_until(lambda: state_of("meanwhile@example.org") == "sent"), celery_workers.output()


def test_two_workers_never_send_one_message_twice(celery_workers):
    addresses = [f"resident{index}@example.org" for index in range(300)]
    messages = notify([Recipient(email=address) for address in addresses], "Notice", "Text.")
    # Queued again, in chunks as a fan-out's and each alone, as a sweep and a redelivery after a lost worker would.
    queue_deliveries([(message.pk, message.channel) for message in messages], quiet=False)
    for message in messages:
        deliver_message.delay(message.pk)
    celery_workers.start(2, concurrency=2)
    assert wait_until(lambda: not OutboundMessage.objects.exclude(state="sent").exists(), 120), celery_workers.output()
    sent = celery_workers.sent()
    assert sorted(address for address, _ in sent) == sorted(addresses)  # each once, none twice
    assert len({pid for _, pid in sent}) > 1  # and more than one worker process took a share


def test_a_failed_delivery_is_retried_later_with_back_off(celery_workers):
    celery_workers.start()
    before = timezone.now()
    notify([Recipient(email="down@example.org")], "Your issue", "Received.")
    assert wait_until(lambda: state_of("down@example.org") == "failed"), celery_workers.output()
    message = OutboundMessage.objects.get()
    assert message.attempts == 1 and message.last_error == "ConnectionError: the gateway refused it"
    # Its retry waits: the sweep leaves it to the retry until then.
    assert message.dispatched_at >= before + timedelta(seconds=RETRY_FIRST_S * 0.8)


def test_the_back_off_doubles_up_to_ten_minutes():
    assert 24 <= retry_countdown(1) <= 36
    assert 48 <= retry_countdown(2) <= 72
    assert 480 <= retry_countdown(12) <= 720
