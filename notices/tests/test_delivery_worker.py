"""Who sends, and when: in worker mode a request only records its messages; the delivery worker
sends each moments after its transaction commits, retries failures on its interval, comes back
after losing the database, and no message is ever sent twice, however many senders run."""

import threading
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from notices import worker
from notices.models import OutboundMessage
from notices.outbound import Recipient, deliver_waiting, notify

SENT_BY = []  # (address, thread name) for every message the recording channel sent
SENT_LOCK = threading.Lock()


class RecordingChannel:
    """Sends nothing; records who was sent what, slowly, as a mail server would be."""

    def deliver(self, message):
        if message.address.startswith("down@"):
            raise ConnectionError("the mail server refused it")
        time.sleep(0.002)
        with SENT_LOCK:
            SENT_BY.append((message.address, threading.current_thread().name))


@pytest.fixture
def recording(imbizo_settings):
    imbizo_settings(CHANNELS={"email": f"{__name__}.RecordingChannel"})
    SENT_BY.clear()
    return SENT_BY


def wait_until(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db
def test_in_worker_mode_the_request_only_records_its_messages(imbizo_settings, django_capture_on_commit_callbacks):
    imbizo_settings(DELIVERY="worker")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify([Recipient(email="resident@example.org")], "Your issue", "Received.")
    assert callbacks == []  # nothing runs after the commit: the worker sends it
    assert mail.outbox == []
    assert OutboundMessage.objects.get().state == "queued"


@pytest.mark.django_db
def test_a_sweep_sends_the_queued_and_tries_each_failed_message_once(imbizo_settings, recording):
    imbizo_settings(DELIVERY="worker")
    for address in ("a@example.org", "down@example.org", "b@example.org"):
        notify([Recipient(email=address)], "Notice", "Text.")
    assert deliver_waiting() == {"sent": 2, "failed": 1}
    assert sorted(address for address, _ in recording) == ["a@example.org", "b@example.org"]
    failed = OutboundMessage.objects.get(address="down@example.org")
    assert (failed.state, failed.attempts, failed.last_error) == (
        "failed", 1, "ConnectionError: the mail server refused it")
    assert deliver_waiting(retry_failed=False) == {"sent": 0, "failed": 0}  # a wake-up leaves failures alone
    assert deliver_waiting() == {"sent": 0, "failed": 1}  # the next retry tries it again, once
    assert OutboundMessage.objects.get(address="down@example.org").attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_never_send_a_message_twice(imbizo_settings, recording):
    imbizo_settings(DELIVERY="worker")
    addresses = [f"resident{index}@example.org" for index in range(40)]
    for address in addresses:
        notify([Recipient(email=address)], "Notice", "Text.")
    barrier = threading.Barrier(2)

    def sender():
        barrier.wait()
        try:
            deliver_waiting(batch=3)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, name=f"sender-{index}") for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [address for address, _ in recording]
    assert sorted(sent) == sorted(addresses)  # every message once, none twice
    assert {name for _, name in recording} == {"sender-0", "sender-1"}  # and both senders took a share
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}


@pytest.fixture
def running_worker(imbizo_settings, recording, monkeypatch):
    """The delivery worker in a thread, listening, with an hour between retries (so anything it
    sends while a test waits, a notice woke it for)."""
    imbizo_settings(DELIVERY="worker")
    monkeypatch.setattr(worker, "RECONNECT_AFTER_S", 0.1)
    stop, lines = threading.Event(), []

    def run():
        try:
            worker.follow(interval=3600, stop=stop, report=lines.append)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="delivery-worker")
    thread.start()
    assert wait_until(lambda: listener_pid() is not None), "the worker never started listening"
    yield lines
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def listener_pid() -> int | None:
    """The test worker's listening connection: only in the test database, never the listener of a site
    (`./imbizo run`) sharing the server, which a test that ends the listener would otherwise end."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity"
                       " WHERE query = %s AND datname = current_database() AND pid <> pg_backend_pid()",
                       [f"LISTEN {worker.CHANNEL}"])
        row = cursor.fetchone()
    return row[0] if row else None


def state_of(address: str) -> str | None:
    return OutboundMessage.objects.filter(address=address).values_list("state", flat=True).first()


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_message_as_soon_as_its_transaction_commits(running_worker, recording):
    with transaction.atomic():
        notify([Recipient(email="resident@example.org")], "Your issue", "Received.")
        time.sleep(0.3)
        assert recording == []  # not before the commit: the notice waits for it
    assert wait_until(lambda: state_of("resident@example.org") == "sent")
    assert recording == [("resident@example.org", "delivery-worker")]
    assert wait_until(lambda: running_worker == ["1 sent, 0 failed"])  # said once its commit is done


@pytest.mark.django_db(transaction=True)
def test_the_worker_never_sends_what_was_rolled_back(running_worker, recording):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([Recipient(email="undone@example.org")], "Your issue", "Received.")
        raise RuntimeError("the change failed")
    notify([Recipient(email="after@example.org")], "Your issue", "Received.")
    assert wait_until(lambda: state_of("after@example.org") == "sent")
    assert [address for address, _ in recording] == ["after@example.org"]
    assert not OutboundMessage.objects.filter(address="undone@example.org").exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_comes_back_after_losing_the_database(running_worker, recording, monkeypatch):
    monkeypatch.setattr(worker, "RECONNECT_AFTER_S", 1.0)
    first = listener_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    assert wait_until(lambda: any(line.startswith("database unavailable") for line in running_worker))
    notify([Recipient(email="meanwhile@example.org")], "Your issue", "Received.")  # nobody is listening
    assert wait_until(lambda: listener_pid() not in (None, first))
    assert wait_until(lambda: state_of("meanwhile@example.org") == "sent")
    notify([Recipient(email="after@example.org")], "Your issue", "Received.")
    assert wait_until(lambda: state_of("after@example.org") == "sent")
    assert [address for address, _ in recording] == ["meanwhile@example.org", "after@example.org"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_a_failure_that_is_not_the_database(running_worker, recording, monkeypatch):
    real, failures = worker.deliver_waiting, []

    def failing_once(**options):
        if not failures:
            failures.append(1)
            raise RuntimeError("a bug in a gateway's set-up")
        return real(**options)

    monkeypatch.setattr(worker, "deliver_waiting", failing_once)
    notify([Recipient(email="resident@example.org")], "Your issue", "Received.")
    assert wait_until(lambda: state_of("resident@example.org") == "sent")
    assert running_worker[0] == "delivery failed (RuntimeError: a bug in a gateway's set-up); trying again in 0 s"


def test_the_worker_refuses_an_interval_that_is_not_positive():
    with pytest.raises(CommandError, match="--interval must be more than 0 seconds"):
        call_command("send_queued_messages", "--follow", "--interval", "0")
