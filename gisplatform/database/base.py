"""Django's PostGIS backend with one change: a connection that answered less than
ALIVE_WINDOW_S seconds ago skips Django's start-of-request health check.

Django checks a persistent connection (CONN_HEALTH_CHECKS) with a `SELECT 1` before the first
query of every request: on a busy worker that is one more round trip per request, about 0.3 ms of
a 11 ms report (benchmarks/intake.py). A connection that answered a moment ago is as good as
checked; one that was idle longer is still checked, so a restarted database still costs no
request an error. The same rule as HikariCP's aliveBypassWindowMs (500 ms).
"""

import time

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

ALIVE_WINDOW_S = 0.5


class DatabaseWrapper(PostGISDatabaseWrapper):
    answered_at = float("-inf")  # time.monotonic() of the connection's last known answer

    def connect(self):
        super().connect()
        self.answered_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self.answered_at < ALIVE_WINDOW_S
        ):
            self.health_check_done = True
            return
        checking = self.connection is not None and self.health_check_enabled and not self.health_check_done
        super().close_if_health_check_failed()
        if checking and self.connection is not None:
            self.answered_at = time.monotonic()

    def _commit(self):
        committed = super()._commit()
        self.answered_at = time.monotonic()
        return committed
