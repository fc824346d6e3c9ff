"""Notice fan-out at city scale, through an instant fake provider: a notice to the whole municipality
reaching N residents (their homes on the real Lesedi wards, a fifth reached by SMS), published with
the app's own `notice_fan_out` (one INSERT … SELECT; with Celery, a delivery task per 50 messages
queued after its commit), then timed until every message is marked sent. Celery with 1, 2 and 4
worker processes (prefork, queue "messages"), beside the LISTEN/NOTIFY delivery worker
(`send_queued_messages --follow`, batches of 50 per claim) in the same run, on the same database.

    ./imbizo bench fanout [--residents 500000] [--processes 1,2,4] [--no-baseline]

It runs in the benchmark database (benchmarks/scale.py, the demo without its issues); the residents
are built once and kept there. The clock starts before the fan-out's transaction (targeting, the
INSERT and, for Celery, queueing the tasks after the commit are part of the cost) and stops when the
last message is marked sent. The queues are in Redis database 14 (benchmarks/fanout_settings.py).
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.fanout_settings"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import ensure_demo, use_bench_database  # noqa: E402
from benchmarks.support import ROOT, setup_django  # noqa: E402

use_bench_database()
setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.notices import build_city  # noqa: E402
from gisplatform.celery import app  # noqa: E402
from notices.models import OutboundMessage  # noqa: E402
from notices.notice import Notice  # noqa: E402
from notices.notice_services import notice_fan_out, notice_write  # noqa: E402
from notices.outbound import WAITING  # noqa: E402
from wards.models import Municipality  # noqa: E402

TITLE = "Benchmark fan-out"
BENCH_USERS = "SELECT id FROM accounts_user WHERE full_name = 'bench-notices'"


def worker_env(delivery: str) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.fanout_settings", "IMBIZO_DELIVERY": delivery,
            "PYTHONPATH": str(ROOT)}


def start_celery(processes: int) -> subprocess.Popen:
    name = f"bench-{os.getpid()}-{processes}@localhost"
    process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "gisplatform", "worker", "-Q", "messages",
                                "-c", str(processes), "-n", name, "-l", "error", "--without-gossip", "--without-mingle"],
                               cwd=ROOT, env=worker_env("celery"), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(name in reply for reply in app.control.ping(timeout=0.5)):
        if time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start")
    return process


def start_listener() -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "manage.py", "send_queued_messages", "--follow", "-v", "0"],
                               cwd=ROOT, env=worker_env("worker"), stdout=subprocess.DEVNULL)
    time.sleep(3)  # connected and listening
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ensure_residents(municipality: Municipality, count: int) -> None:
    """`count` residents with a home in the municipality (kept in the benchmark database), none in quiet hours."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({BENCH_USERS}) AS users")
        if cursor.fetchone()[0] != count:
            for table in ("residents_preferences", "residents_place"):
                cursor.execute(f"DELETE FROM {table} WHERE user_id IN ({BENCH_USERS})")
            cursor.execute(f"DELETE FROM notices_outboundmessage WHERE user_id IN ({BENCH_USERS})")
            cursor.execute(f"DELETE FROM accounts_user WHERE id IN ({BENCH_USERS})")
            build_city(cursor, municipality.pk, count, 0)
        # Every message is due now: the fan-out is timed until the last one is sent.
        cursor.execute(f"UPDATE residents_preferences SET quiet_start = NULL, quiet_end = NULL "
                       f"WHERE quiet_start IS NOT NULL AND user_id IN ({BENCH_USERS})")


def forget(notice: Notice) -> None:
    with connection.cursor() as cursor:  # not the ORM's delete, which would load every message to cascade
        cursor.execute("DELETE FROM notices_outboundmessage WHERE topic = %s", [notice.topic])
    Notice.objects.filter(pk=notice.pk).update(notified_versions=[])
    notice.notified_versions = []


def fan_out(notice: Notice, delivery: str) -> tuple[int, float, float]:
    """Returns (messages, seconds to target, insert and queue them, seconds until every one is sent)."""
    settings.IMBIZO["DELIVERY"] = delivery
    started = time.monotonic()
    count = notice_fan_out(notice=notice)
    queued = time.monotonic() - started
    waiting = OutboundMessage.objects.filter(topic=notice.topic, state__in=WAITING)
    while waiting.exists():
        time.sleep(0.5)
    return count, queued, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--processes", default="1,2,4", help="Celery worker process counts, comma-separated.")
    parser.add_argument("--no-baseline", action="store_true", help="Skip the LISTEN/NOTIFY worker.")
    options = parser.parse_args()
    ensure_demo()
    municipality = Municipality.objects.get(code="GT423")
    ensure_residents(municipality, options.residents)
    Notice.objects.filter(title=TITLE).delete()
    notice = notice_write(municipality=municipality, actor=None, title=TITLE, body="Water off on Monday.",
                          target=Notice.Target.MUNICIPALITY)
    runs = [] if options.no_baseline else [("LISTEN/NOTIFY worker (1 process)", "worker", None)]
    runs += [(f"Celery, {n} worker process{'es' if n > 1 else ''}", "celery", n)
             for n in (int(part) for part in options.processes.split(","))]
    print(f"notice fan-out to {options.residents:,} residents through an instant fake provider; "
          f"{os.cpu_count()} cores", flush=True)
    print(f"{'sender':36} {'messages':>9} {'queued in':>10} {'all sent in':>12} {'messages/s':>11}", flush=True)
    try:
        for label, delivery, processes in runs:
            forget(notice)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE notices_outboundmessage")
            app.connection_for_write().default_channel.client.flushdb()
            worker = start_listener() if processes is None else start_celery(processes)
            try:
                count, queued, total = fan_out(notice, delivery)
            finally:
                stop(worker)
            print(f"{label:36} {count:>9,} {queued:>9.1f}s {total:>11.1f}s {count / total:>11,.0f}", flush=True)
    finally:
        forget(notice)
        notice.delete()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS) of the process that targeted the notice and queued its tasks: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
