"""Faults under load: restart PostgreSQL (-m fast, -m immediate), restart Redis, kill -9 a web worker,
a Celery worker process and a whole Celery worker, while residents file reports (each retried with
its Idempotency-Key until acknowledged, as the app does) and notices fan out. Then: every acknowledged
report is in the database, no Idempotency-Key made two issues, no reference is repeated, every queued
message was sent, and how many were sent twice (at least once: only those in flight in a killed
worker may be). Prints the time each fault took to recover from.

    ./imbizo bench faults [--fanout 3000] [--reporters 2]

Needs the project-local PostGIS and Redis that ./imbizo starts (it restarts them) and the demo data
(`./imbizo run` loads it). The site runs as `./imbizo serve` runs it (granian, a worker per core,
respawning), the worker as `./imbizo run` starts it, both with benchmarks/fanout_settings.py (an
instant fake provider logging each send, queues in Redis database 14).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
RUN = uuid.uuid4().hex[:8]
SENT_LOG = VAR / f"faults-{RUN}.log"
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.fanout_settings"
os.environ["IMBIZO_BENCH_SENT_LOG"] = str(SENT_LOG)
os.environ["IMBIZO_RATE_LIMITS"] = "off"
sys.path.insert(0, str(ROOT))

from benchmarks.support import free_port, setup_django  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from gisplatform.celery import app  # noqa: E402
from notices.delivery import CHUNK, outbox_sweep  # noqa: E402
from notices.models import OutboundMessage  # noqa: E402
from notices.outbound import Recipient, notify  # noqa: E402
from triage.issues.models import Category, Issue  # noqa: E402
from wards.models import Municipality  # noqa: E402

CHILD_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def as_postgres(*command) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else list(command)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in out.split()]


class Site:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port",
             str(self.port), "--workers", "2", "--blocking-threads", "2", "--respawn-failed-workers", "--log-level",
             "error", "gisplatform.wsgi:application"], cwd=ROOT, env=CHILD_ENV, start_new_session=True)
        assert wait_for(lambda: self.get("/healthz") == 200, 60), "the site did not start"

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def post(self, path: str, body: dict, headers: dict) -> tuple[int, dict]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, {}
        except OSError:
            return 0, {}

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


class Worker:
    def __init__(self):
        self.name = f"faults-{RUN}-{time.monotonic_ns()}@localhost"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "gisplatform", "worker", "-Q", "messages,fanout,reports,maintenance",
             "-c", "2", "-n", self.name, "-l", "critical", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=CHILD_ENV, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: any(self.name in reply for reply in app.control.ping(timeout=0.5)), 60), "no worker"

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - the system is recovering; ask again
            pass
        time.sleep(0.1)
    return False


class Reporters:
    """Residents filing reports, each retried with its Idempotency-Key until acknowledged."""

    def __init__(self, site: Site, category: Category, point, count: int):
        self.site, self.category, self.point = site, category, point
        self.answers = {question.code: (question.choice_keys() or ["Filed by benchmarks/faults.py"])[0]
                        for question in category.questions.all() if question.required}
        self.refused: list[str] = []
        self.stop = threading.Event()
        self.acknowledged: dict[str, str] = {}  # key -> reference
        self.attempted: set[str] = set()
        self.retries = 0
        self.threads = [threading.Thread(target=self.run, args=(index,)) for index in range(count)]

    def run(self, index: int):
        number = 0
        while not self.stop.is_set():
            key = f"{RUN}-{index}-{number}"
            number += 1
            self.attempted.add(key)
            body = {"category": self.category.pk, "lat": self.point.y, "lon": self.point.x,
                    "description": f"faults {key}", "reporter_email": f"{key}@faults.example", "answers": self.answers}
            for _ in range(600):  # up to about five minutes of retries
                status, answer = self.site.post("/api/v1/issues", body, {"Idempotency-Key": key, "X-Client-Id": RUN})
                if status in (200, 201):
                    self.acknowledged[key] = answer["reference"]
                    self.acknowledged_report(key, answer)
                    break
                if 400 <= status < 500 and status != 429:  # refused for good: a mistake of this script
                    self.refused.append(f"{status} {answer}")
                    self.stop.set()
                    break
                self.retries += 1
                time.sleep(0.5)

    def acknowledged_report(self, key: str, answer: dict) -> None:
        """What the resident does next with an acknowledged report (the soak adds a photo)."""

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def fan_out(count: int, label: str) -> None:
    recipients = [Recipient(email=f"{label}-{index}@faults.example") for index in range(count)]
    for _ in range(300):
        try:
            close_old_connections()
            with transaction.atomic():
                notify(recipients, "Water off", "Notice.", topic=f"faults:{RUN}:{label}")
            return
        except Exception:  # noqa: BLE001 - the database is restarting: the notice is sent again, whole
            connection.close()
            time.sleep(0.5)
    raise SystemExit(f"could not queue the fan-out {label}")


def pg_restart(mode: str) -> None:
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    subprocess.run(as_postgres(str(pgbin / "pg_ctl"), "-D", str(VAR / "pgdata"), "-m", mode, "-w", "restart"),
                   check=True, stdout=subprocess.DEVNULL)


def redis_restart() -> None:
    pid = int((VAR / "redis" / "redis.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), 30)
    subprocess.run(["/usr/bin/redis-server", str(VAR / "redis" / "redis.conf")], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fanout", type=int, default=3000, help="Messages per notice fan-out (three of them).")
    parser.add_argument("--reporters", type=int, default=2, help="Residents filing reports at once.")
    options = parser.parse_args()
    if not (VAR / "redis" / "redis.pid").exists() or "DATABASE_URL" in os.environ and "127.0.0.1" not in settings.DATABASES[
            "default"]["HOST"]:
        raise SystemExit("needs the project-local PostGIS and Redis (it restarts them)")
    municipality = Municipality.objects.exclude(boundary=None).order_by("code").first()
    category = Category.objects.filter(municipality=municipality, is_active=True).first()
    if category is None:
        raise SystemExit("no demo data: run ./imbizo run once (or ./imbizo manage load_demo)")
    point = Municipality.objects.filter(pk=municipality.pk).values_list("boundary", flat=True)[0].point_on_surface
    app.connection_for_write().default_channel.client.flushdb()
    started = timezone.now()
    site, worker = Site(), Worker()
    recovery: list[tuple[str, float]] = []

    def recovered(label: str, begin: float, condition, seconds: float = 120) -> None:
        """Seconds from the fault's start until `condition` holds again."""
        ok = wait_for(condition, seconds)
        recovery.append((label, time.monotonic() - begin if ok else float("nan")))
        print(f"{label:48} recovered in {recovery[-1][1]:6.2f} s", flush=True)

    def ready() -> bool:
        return site.get("/readyz") == 200

    kills = 0
    with Reporters(site, category, point, options.reporters) as reporters:
        time.sleep(3)
        fan_out(options.fanout, "one")
        web = children(site.process.pid)
        begin = time.monotonic()
        os.kill(web[0], signal.SIGKILL)
        recovered("kill -9 a web worker", begin, lambda: len(children(site.process.pid)) == len(web) and ready())
        busy = children(worker.process.pid)
        begin = time.monotonic()
        os.kill(busy[0], signal.SIGKILL)
        kills += 1
        recovered("kill -9 a Celery worker process", begin, lambda: len(children(worker.process.pid)) >= len(busy))
        fan_out(options.fanout, "two")
        begin = time.monotonic()
        redis_restart()
        recovered("restart Redis", begin, ready)
        begin = time.monotonic()
        pg_restart("fast")
        recovered("restart PostgreSQL -m fast", begin, ready)
        fan_out(options.fanout, "three")
        begin = time.monotonic()
        pg_restart("immediate")
        recovered("restart PostgreSQL -m immediate", begin, ready)
        begin = time.monotonic()
        worker.kill()
        kills += 1
        worker = Worker()  # as a supervisor restarts it
        recovered("kill -9 the whole Celery worker (restarted)", begin, ready)
        time.sleep(3)
    # Settle: what Redis lost (or never got) is queued again by the sweep, as beat would every 5 minutes.
    settings.IMBIZO["OUTBOX_DEADLINE"] = 0
    connection.close()  # this process's connection did not outlive the restarts
    waiting = OutboundMessage.objects.filter(created_at__gte=started, state__in=["queued", "failed"])
    settle_start = time.monotonic()
    while waiting.exists() and time.monotonic() - settle_start < 600:
        close_old_connections()
        outbox_sweep()
        time.sleep(10)
    worker.stop()
    site.stop()

    issues = Issue.objects.filter(created_at__gte=started, description__startswith="faults ")
    by_key = Counter(description.removeprefix("faults ") for description in issues.values_list("description", flat=True))
    acknowledged = reporters.acknowledged
    messages = OutboundMessage.objects.filter(created_at__gte=started)
    sends = Counter(int(line) for line in SENT_LOG.read_text().split()) if SENT_LOG.exists() else Counter()
    twice = sum(1 for number in sends.values() if number > 1)
    if reporters.refused:
        raise SystemExit(f"reports refused: {reporters.refused[:3]}")
    print(f"\nreports acknowledged: {len(acknowledged)} (of {len(reporters.attempted)} attempted, {reporters.retries} retries)")
    checks = {
        "every acknowledged report is in the database":
            set(Issue.objects.filter(reference__in=acknowledged.values()).values_list("reference", flat=True))
            == set(acknowledged.values()),
        "no Idempotency-Key made two issues": all(number == 1 for number in by_key.values()),
        "no reference repeated": not Issue.objects.values("reference").annotate(n=Count("pk")).filter(n__gt=1).exists(),
        "every queued message was sent": not messages.exclude(state="sent").exists(),
        # At least once: a message is sent again only if its delivery was in flight when its worker was killed
        # or PostgreSQL went down before the commit that marks it (each of 2 processes, a chunk of CHUNK each).
        "no message sent twice beyond those in flight": twice <= (kills + 2) * 2 * CHUNK,
        "every fan-out is whole": all(messages.filter(topic=f"faults:{RUN}:{label}").count() == options.fanout
                                      for label in ("one", "two", "three")),
    }
    print(f"messages queued: {messages.count()}, sent: {messages.filter(state='sent').count()}, "
          f"sent twice: {twice} (in flight at most: {kills} worker kills and 2 PostgreSQL restarts x 2 processes x {CHUNK})")
    for label, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    SENT_LOG.unlink(missing_ok=True)
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
