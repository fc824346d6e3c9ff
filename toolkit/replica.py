"""Reads off the primary: heavy public GET views read from the read replica (DATABASE_REPLICA_URL).

A view marked `@reads_from_replica` runs, for a GET or HEAD request, with a per-request state that the
database router (gisplatform.replica.ReplicaRouter) reads: its queries go to the replica while the
replica is healthy and the request has written nothing (after its first write, every read of the
request goes to the primary: it sees its own writes). Streaming responses (downloads) keep the state
while they stream.

Healthy means: a standby (in recovery) that answered this process's last check, at most
REPLICA_CHECK_INTERVAL_S seconds ago, with a lag of at most REPLICA_MAX_LAG_S seconds. The lag is 0
when the replica has replayed the primary's current WAL position, else the age of the last transaction
it replayed (so an idle primary never makes a caught-up replica look old). A replica that fails in the
middle of a request is marked down and the view runs again on the primary: never an error page.
"""

import contextlib
import contextvars
import functools
import logging
import threading
import time
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, connections

from toolkit.conf import imbizo_setting

REPLICA = "replica"
# Who is asking (sessions, accounts, log-in locks) and the shared cache's counters: always the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "accounts", "axes", "account", "django_cache"})

logger = logging.getLogger(__name__)


@dataclass
class Reads:
    """One request's reads: may they go to the replica, has the request written, did it use the replica."""

    replica: bool
    wrote: bool = False
    used: bool = False


_reads: contextvars.ContextVar[Reads | None] = contextvars.ContextVar("imbizo_replica_reads", default=None)


def current_reads() -> Reads | None:
    return _reads.get()


def note_write() -> None:
    """The request wrote (the router notes the ORM's writes; raw SQL writers call this): its later reads go
    to the primary."""
    reads = _reads.get()
    if reads is not None:
        reads.wrote = True


def replica_configured() -> bool:
    return REPLICA in connections.settings


def read_alias() -> str:
    """The database alias for this request's next read: "replica" inside a marked view's GET while the
    replica is healthy and the request has not written, else "default". Raw SQL reads take their cursor
    from `connections[read_alias()]`; the ORM's reads go through the router, which asks this too."""
    reads = _reads.get()
    if reads is None or not reads.replica or reads.wrote or not replica_configured():
        return "default"
    reads.used = True
    return REPLICA


# --- health: one check per process every REPLICA_CHECK_INTERVAL_S ---------------------------------
_status: dict = {"checked": None, "healthy": False, "lag": None, "reason": "not checked yet"}
_lock = threading.Lock()


def replica_status(*, force: bool = False) -> dict:
    """{"healthy", "lag" (seconds or None), "reason"}: the cached result of the last check, checked
    again when older than REPLICA_CHECK_INTERVAL_S (or `force`). One thread checks at a time; the others
    use the last result meanwhile."""
    checked = _status["checked"]
    fresh = checked is not None and time.monotonic() - checked < imbizo_setting("REPLICA_CHECK_INTERVAL_S")
    if fresh and not force:
        return dict(_status)
    if not _lock.acquire(blocking=force or checked is None):
        return dict(_status)
    try:
        _status.update(measure_replica(), checked=time.monotonic())
    finally:
        _lock.release()
    return dict(_status)


def measure_replica() -> dict:
    """Ask the primary for its WAL position and the replica how far it has replayed."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (primary_lsn,) = cursor.fetchone()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false),"
                " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8", [primary_lsn])
            in_recovery, caught_up, age = cursor.fetchone()
    except DatabaseError as exc:
        connections[REPLICA].close()
        return {"healthy": False, "lag": None, "reason": f"replica unreachable: {type(exc).__name__}"}
    if not in_recovery:
        # A promoted standby no longer follows the primary: reading it would show an old copy.
        return {"healthy": False, "lag": None, "reason": "the replica is not a standby (not in recovery)"}
    lag = 0.0 if caught_up else (max(age, 0.0) if age is not None else None)
    limit = imbizo_setting("REPLICA_MAX_LAG_S")
    if lag is None or lag > limit:
        return {"healthy": False, "lag": lag, "reason": f"replica lag {lag} s is over {limit} s"}
    return {"healthy": True, "lag": lag, "reason": ""}


def mark_replica_down(reason: str) -> None:
    """Send this process's reads to the primary until the next check is due."""
    _status.update(healthy=False, reason=reason, checked=time.monotonic())
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


def forget_replica_status() -> None:
    """The next request checks the replica again (tests, after starting or stopping it)."""
    _status.update(checked=None, healthy=False, lag=None, reason="not checked yet")


# --- the views' marker ---------------------------------------------------------------------------
def reads_from_replica(view):
    """Let a read-only view's GET and HEAD requests read from the replica (a no-op without one)."""

    @functools.wraps(view)
    def run(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not replica_configured():
            return view(request, *args, **kwargs)
        reads = Reads(replica=replica_status()["healthy"])
        token = _reads.set(reads)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response = response.render()  # a template's queries too
        except (OperationalError, InterfaceError) as exc:
            if not (reads.used and connections[REPLICA].errors_occurred):
                raise  # the primary's error, not the replica's
            _reads.reset(token)
            token = None
            logger.warning("read replica failed mid-request (%s): reading from the primary", exc)
            mark_replica_down(f"replica failed: {type(exc).__name__}")
            return view(request, *args, **kwargs)  # a safe method: running it again changes nothing
        finally:
            if token is not None:
                _reads.reset(token)
        if getattr(response, "streaming", False) and reads.replica and not reads.wrote:
            response.streaming_content = _streaming_with(reads, response.streaming_content)
        return response

    return run


def _streaming_with(reads: Reads, chunks):
    """The chunks of a streaming response, each produced with the request's reads state."""
    chunks = iter(chunks)
    while True:
        token = _reads.set(reads)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _reads.reset(token)
        yield chunk
