"""Notice-style fan-out: N messages queued in one transaction (as a notice to a whole municipality
would), then timed until every one is sent, through an instant fake provider. Celery with 1, 2 and 4
worker processes (prefork, queue "messages"), beside the LISTEN/NOTIFY delivery worker
(`send_queued_messages --follow`, batches of 50 per claim) in the same run, on the same database.

    ./imbizo bench fanout [--messages 50000] [--processes 1,2,4] [--no-baseline]

The clock starts before the fan-out's transaction (its INSERT and, for Celery, queueing the tasks
after the commit are part of the cost) and stops when the last message is marked sent. The queues
are in Redis database 14 (benchmarks/fanout_settings.py); the rows are deleted after each run.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.fanout_settings"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import ROOT, setup_django  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from gisplatform.celery import app  # noqa: E402
from notices.models import OutboundMessage  # noqa: E402
from notices.outbound import Recipient, notify  # noqa: E402

TOPIC = "bench:fanout"


def worker_env(delivery: str) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.fanout_settings", "IMBIZO_DELIVERY": delivery,
            "PYTHONPATH": str(ROOT)}


def start_celery(processes: int) -> subprocess.Popen:
    name = f"bench-{os.getpid()}-{processes}@localhost"
    process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "gisplatform", "worker", "-Q", "messages",
                                "-c", str(processes), "-n", name, "-l", "error", "--without-gossip", "--without-mingle"],
                               cwd=ROOT, env=worker_env("celery"))
    deadline = time.monotonic() + 60
    while not any(name in reply for reply in app.control.ping(timeout=0.5)):
        if time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start")
    return process


def start_listener() -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "manage.py", "send_queued_messages", "--follow", "-v", "0"],
                               cwd=ROOT, env=worker_env("worker"))
    time.sleep(3)  # connected and listening
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fan_out(count: int, delivery: str) -> tuple[float, float]:
    """Queue `count` messages in one transaction; returns (seconds to commit and queue, seconds until all sent)."""
    settings.IMBIZO["DELIVERY"] = delivery
    recipients = [Recipient(email=f"resident{index}@bench.example") for index in range(count)]
    started = time.monotonic()
    with transaction.atomic():
        notify(recipients, "Water off on Monday", "Notice text.", topic=TOPIC)
    queued = time.monotonic() - started
    waiting = OutboundMessage.objects.filter(topic=TOPIC).exclude(state="sent")
    while waiting.exists():
        time.sleep(0.2)
    return queued, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--processes", default="1,2,4", help="Celery worker process counts, comma-separated.")
    parser.add_argument("--no-baseline", action="store_true", help="Skip the LISTEN/NOTIFY worker.")
    options = parser.parse_args()
    OutboundMessage.objects.filter(topic=TOPIC).delete()
    runs = [] if options.no_baseline else [("LISTEN/NOTIFY worker (1 process)", "worker", None)]
    runs += [(f"Celery, {n} worker process{'es' if n > 1 else ''}", "celery", n)
             for n in (int(part) for part in options.processes.split(","))]
    print(f"fan-out of {options.messages:,} messages through an instant fake provider; {os.cpu_count()} cores")
    print(f"{'sender':38} {'queued in':>10} {'all sent in':>12} {'messages/s':>11}")
    for label, delivery, processes in runs:
        app.connection_for_write().default_channel.client.flushdb()
        worker = start_listener() if processes is None else start_celery(processes)
        try:
            queued, total = fan_out(options.messages, delivery)
        finally:
            stop(worker)
            OutboundMessage.objects.filter(topic=TOPIC).delete()
        print(f"{label:38} {queued:>9.1f}s {total:>11.1f}s {options.messages / total:>11,.0f}", flush=True)


if __name__ == "__main__":
    main()
