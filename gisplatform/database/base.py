"""Django's PostGIS backend with two changes, each saving a round trip to PostgreSQL on the busiest
requests (benchmarks/intake.py):

- A connection that answered less than ALIVE_WINDOW_S seconds ago skips Django's start-of-request
  health check. Django checks a persistent connection (CONN_HEALTH_CHECKS) with a `SELECT 1` before
  the first query of every request; a connection that answered a moment ago is as good as checked,
  and one idle for longer is still checked, so a restarted database still costs no request an
  error. The same rule as HikariCP's aliveBypassWindowMs (500 ms).
- `write_with_commit(sql, params)`: a write nothing reads back before the commit (the outbox's
  messages) travels in the same message as the transaction's COMMIT instead of on its own.
"""

import time

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.db.backends.utils import debug_transaction

ALIVE_WINDOW_S = 0.5


class DatabaseWrapper(PostGISDatabaseWrapper):
    answered_at = float("-inf")  # time.monotonic() of the connection's last known answer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writes_with_commit: list[tuple[str, list]] = []

    def connect(self):
        super().connect()
        self.answered_at = time.monotonic()

    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if time.monotonic() - self.answered_at < ALIVE_WINDOW_S:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()  # SELECT 1; closes the connection if that fails
        if self.connection is not None:
            self.answered_at = time.monotonic()

    # --- writes sent with the COMMIT -------------------------------------------------------------

    def write_with_commit(self, sql: str, params: list) -> None:
        """Run this write (`%s` placeholders) as part of the current transaction, sent with its
        COMMIT in one message (simple query protocol: "INSERT ...; COMMIT"). If a statement goes
        through Django's cursors first (a read, a savepoint), the write is sent just before it, so
        the transaction sees its own writes in order. A rollback drops it. Outside a transaction
        it runs at once. Code that uses psycopg directly in the transaction bypasses the queue."""
        if not self.in_atomic_block:
            with self.cursor() as cursor:
                cursor.execute(sql, params)
            return
        self.writes_with_commit.append((sql, list(params)))

    def validate_no_broken_transaction(self):
        # Django calls this before every statement through its cursors: queued writes go first.
        super().validate_no_broken_transaction()
        if self.writes_with_commit:
            self._send_writes()

    def _send_writes(self, then: str = "") -> None:
        writes, self.writes_with_commit = self.writes_with_commit, []
        statements = [sql for sql, _ in writes] + ([then] if then else [])
        with self.wrap_database_errors, self.connection.cursor() as cursor:  # client-side binding
            cursor.execute("; ".join(statements), [value for _, params in writes for value in params])

    def _commit(self):
        if self.writes_with_commit and self.connection is not None:
            with debug_transaction(self, "COMMIT"):
                self._send_writes(then="COMMIT")
        else:
            super()._commit()
        self.answered_at = time.monotonic()

    def _rollback(self):
        self.writes_with_commit = []
        super()._rollback()

    def _close(self):
        self.writes_with_commit = []
        super()._close()
