"""The database backend's two changes to Django's PostGIS backend: a connection that answered a
moment ago skips the start-of-request health check (one idle for longer is still checked, so a
database restart costs no request an error); and writes queued with write_with_commit travel with
the COMMIT, yet keep a transaction's order, savepoints and rollbacks."""

import contextlib
import tempfile
from pathlib import Path

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from psycopg import pq

from gisplatform.database.base import ALIVE_WINDOW_S
from notices.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checks(monkeypatch):
    """Every health check the connection makes (Django's `SELECT 1`), still made for real."""
    made = []
    real = connection.is_usable

    def counted():
        made.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", counted)
    return made


def query_backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_request_right_after_one_that_committed_makes_no_health_check(checks):
    query_backend_pid()
    connection.commit()  # what the previous request's last transaction did
    close_old_connections()  # a new request starts
    query_backend_pid()
    assert checks == []


def test_a_connection_idle_for_longer_is_checked_before_the_first_query(checks):
    query_backend_pid()
    connection.answered_at -= ALIVE_WINDOW_S + 1  # its last answer was a while ago
    close_old_connections()
    query_backend_pid()
    query_backend_pid()
    assert checks == [1]  # once per request, before its first query


def test_a_connection_the_database_dropped_while_idle_is_replaced_without_an_error():
    dropped = query_backend_pid()
    other = connection.copy()  # another session ends ours, as a database restart would
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [dropped])
    finally:
        other.close()
    connection.answered_at -= ALIVE_WINDOW_S + 1
    close_old_connections()
    assert query_backend_pid() != dropped  # the check found it dead; the request got a new connection


# --- writes sent with the COMMIT -------------------------------------------------------------------

QUEUE_MESSAGE = ("INSERT INTO notices_outboundmessage (channel, address, subject, body, topic, state, attempts, "
                 "last_error, created_at) VALUES (%s, %s, '', 'text', '', 'queued', 0, '', now())")


def queue(address: str, channel: str | None = "email") -> None:
    connection.write_with_commit(QUEUE_MESSAGE, [channel, address])


def stored(address: str) -> bool:
    return OutboundMessage.objects.filter(address=address).exists()


@contextlib.contextmanager
def sent_messages():
    """The queries libpq sends on the connection, one per protocol message (from its trace)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.NamedTemporaryFile("r") as trace:
        sent: list[str] = []
        with open(trace.name, "w") as sink:
            pgconn.trace(sink.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield sent
            finally:
                pgconn.untrace()
        sent.extend(line for line in Path(trace.name).read_text().splitlines() if "\tQuery\t" in line)


def test_a_queued_write_travels_in_the_same_message_as_the_commit():
    with sent_messages() as sent, transaction.atomic():
        queue("resident@example.org")
    assert stored("resident@example.org")
    begin, write_and_commit = sent  # two messages, not three
    assert begin.endswith('"BEGIN"')
    assert "INSERT INTO notices_outboundmessage" in write_and_commit and write_and_commit.endswith('; COMMIT"')


def test_a_statement_in_the_transaction_sees_the_queued_write_before_it():
    with transaction.atomic():
        queue("first@example.org")
        assert stored("first@example.org")  # the read sent the write first
        queue("second@example.org")
    assert stored("second@example.org")


def test_a_rollback_drops_the_queued_write():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("undone@example.org")
        raise RuntimeError("the change failed")
    with transaction.atomic():
        queue("kept@example.org")
    assert not stored("undone@example.org") and stored("kept@example.org")


def test_a_savepoint_rolled_back_takes_the_writes_queued_in_it_and_keeps_those_before():
    with transaction.atomic():
        queue("before@example.org")
        with pytest.raises(RuntimeError), transaction.atomic():
            queue("inside@example.org")
            raise RuntimeError("the inner change failed")
    assert stored("before@example.org") and not stored("inside@example.org")


def test_a_queued_write_that_fails_fails_the_commit_and_keeps_nothing_of_the_transaction():
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundMessage.objects.create(channel="email", address="same@example.org", body="by the ORM")
        queue("broken@example.org", channel=None)  # NOT NULL: refused at the commit
    assert not stored("same@example.org")
    queue("afterwards@example.org")  # the connection is still usable; outside a transaction, at once
    assert stored("afterwards@example.org")
