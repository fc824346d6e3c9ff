"""The database backend's one change to Django's PostGIS backend: a connection that answered a
moment ago skips the start-of-request health check; one idle for longer is still checked, so a
database restart costs no request an error."""

import pytest
from django.db import close_old_connections, connection

from gisplatform.database.base import ALIVE_WINDOW_S

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
