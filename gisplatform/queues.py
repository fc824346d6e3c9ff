"""What the web side reads of the background work, straight from Redis: queue lengths and the counters
the workers keep (task failures, messages sent per channel), for /readyz and /metrics."""

import contextlib
import os
from functools import lru_cache

from django.conf import settings

QUEUES = ("messages", "fanout", "reports", "maintenance")
TASK_FAILURES = "imbizo:task_failures"  # hash: task name -> failures
MESSAGES_SENT = "imbizo:messages_sent"  # hash: channel -> messages sent


@lru_cache(maxsize=4)
def _client(url: str, pid: int):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def broker():
    """A Redis client on the broker's database (one per process: never shared across a fork)."""
    return _client(settings.CELERY_BROKER_URL, os.getpid())


def queue_lengths() -> dict[str, int]:
    client = broker()
    with client.pipeline(transaction=False) as pipe:
        for name in QUEUES:
            pipe.llen(name)
        return dict(zip(QUEUES, pipe.execute(), strict=True))


def counters(key: str) -> dict[str, int]:
    return {name.decode(): int(value) for name, value in broker().hgetall(key).items()}


def count(key: str, field: str, amount: int = 1) -> None:
    """Add to a worker counter; a Redis that is away loses the count, never the task."""
    import redis

    with contextlib.suppress(redis.RedisError):
        broker().hincrby(key, field, amount)
