"""Settings for benchmarks/fanout.py and benchmarks/faults.py: the site's, with an instant fake channel
for every channel and the queues in Redis database 14 (never the site's own queues)."""

import os

from gisplatform.settings import *  # noqa: F403
from gisplatform.settings import IMBIZO, REDIS_URL

IMBIZO = {**IMBIZO, "CHANNELS": dict.fromkeys(("email", "sms", "push"), "benchmarks.fanout_settings.InstantChannel"),
          "DELIVERY": os.environ.get("IMBIZO_DELIVERY", "celery")}
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL.rsplit("/", 1)[0] + "/14"
SENT_LOG = os.environ.get("IMBIZO_BENCH_SENT_LOG", "")


class InstantChannel:
    """A provider that accepts every message at once; with IMBIZO_BENCH_SENT_LOG, each send is one
    line (message id) appended to that file, so a run can count messages sent twice."""

    def deliver(self, message) -> None:
        if SENT_LOG:
            fd = os.open(SENT_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, f"{message.pk}\n".encode())
            finally:
                os.close(fd)
