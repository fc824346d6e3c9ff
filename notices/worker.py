"""The delivery worker: sends messages as they are queued (`send_queued_messages --follow`).

It LISTENs on the channel the outbound table's trigger notifies (notices/migrations/0004), so a
message goes out moments after the transaction that queued it commits; every `interval` seconds
it also retries the messages that failed. If the database goes away it waits and reconnects,
then sends whatever was queued meanwhile. A sweep (`send_queued_messages`, from cron) does the
same once. Claims are row locks (notices.outbound.deliver_waiting), so any number of workers and
sweeps may run at once.
"""

import threading
import time
from collections.abc import Callable

import psycopg
from django.db import DatabaseError, close_old_connections, connection
from tqdm import tqdm

from notices.outbound import deliver_waiting

CHANNEL = "imbizo_outbound"
RECONNECT_AFTER_S = 5.0
GATHER_S = 0.1  # how long a wake-up waits for more messages to send with the first


def sweep(*, total: int = 0, progress: bool = False) -> dict[str, int]:
    """Send every queued message and retry every failed one, once, showing progress."""
    with tqdm(total=total, disable=not progress or not total, unit="msg") as bar:
        return deliver_waiting(retry_failed=True, on_batch=bar.update)


def follow(*, interval: float, stop: threading.Event, report: Callable[[str], None] = print) -> None:
    """Deliver until `stop` is set: at once when woken, and retrying failed messages every `interval`."""
    listener = None
    next_retry = time.monotonic()
    while not stop.is_set():
        try:
            if listener is None:
                listener = _listen()
                woken = True  # whatever was queued while nobody listened
            else:
                woken = _woken(listener, timeout=min(1.0, max(0.0, next_retry - time.monotonic())))
            if woken:
                # Let the notices of a burst of reports gather: one claim and one commit for them all.
                stop.wait(GATHER_S)
                _woken(listener, timeout=0)
            retry = time.monotonic() >= next_retry
            if woken or retry:
                close_old_connections()  # as a request would: a broken or too old connection is replaced
                counts = deliver_waiting(retry_failed=retry)
                if retry:
                    next_retry = time.monotonic() + interval
                if counts["sent"] or counts["failed"]:
                    report(f"{counts['sent']} sent, {counts['failed']} failed")
        except Exception as exc:  # noqa: BLE001 - the worker outlives any one failure; nothing is lost
            what = "database unavailable" if isinstance(exc, psycopg.Error | DatabaseError) else "delivery failed"
            report(f"{what} ({type(exc).__name__}: {str(exc).strip()}); trying again in {RECONNECT_AFTER_S:.0f} s")
            if listener is not None:
                listener.close()
            listener = None
            connection.close()
            stop.wait(RECONNECT_AFTER_S)
    if listener is not None:
        listener.close()


def _listen() -> psycopg.Connection:
    params = connection.get_connection_params()
    listener = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    return listener


def _woken(listener: psycopg.Connection, timeout: float) -> bool:
    """Wait up to `timeout` seconds for a notice; take every notice already waiting with it."""
    woken = any(True for _ in listener.notifies(timeout=timeout, stop_after=1))
    if woken:
        for _ in listener.notifies(timeout=0):
            pass
    return woken
