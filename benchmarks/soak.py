"""The soak: a mixed load for --seconds (default 600) on the demo plus a million issues (the benchmark
database of benchmarks/scale.py), through the site as `./imbizo serve` runs it (granian, two workers)
and one Celery worker (two processes, every queue, an instant fake provider):

- residents reading: public vector tiles at zoom 10–16 anywhere in the municipality, OGC API items in
  random boxes, the notices API and page;
- staff working: a dispatcher's board queue (its filters), a planner's heatmap figures;
- residents reporting: each report retried with its Idempotency-Key until acknowledged, then a photo
  uploaded to it (a JPEG, with the reporter's tracking key);
- a notice fan-out of --fanout messages every 30 s, delivered by the worker;
- the heatmap summaries' refresh every minute, as beat runs it;
- /readyz, as a load balancer asks it.

Prints errors and p50/p99 per endpoint, requests per second, and the memory of every process (web
workers, Celery processes, Redis; PostgreSQL's backends as their proportional set size) sampled
every 30 s: first sample after the first minute's warm-up, the end, the largest, and the growth per
10 minutes fitted over the samples after warm-up.

    ./imbizo bench soak [--seconds 600] [--issues 1000000] [--readers 4] [--reporters 1] [--fanout 1000]
"""

import argparse
import datetime
import io
import json
import math
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import ensure_issues, use_bench_database  # noqa: E402

use_bench_database()  # before benchmarks.faults sets Django up (and its children inherit DATABASE_URL)

from benchmarks.faults import VAR, Reporters, Site, Worker, children, fan_out  # noqa: E402

# isort: split
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402

from accounts.models import User  # noqa: E402
from heatmaps.refresh import summary_refresh  # noqa: E402
from notices.models import OutboundMessage  # noqa: E402
from triage.issues.models import Category  # noqa: E402
from wards.models import Municipality  # noqa: E402

CODE = "GT423"
BOARD_FILTERS = ["", "overdue=true", "priority=urgent,high", "sort=oldest", "newer_than=7", "sort=due", "status=assigned"]


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int, int]:
    n = 2 ** zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return zoom, x, y


def staff_cookie(municipality, group: str) -> str:
    """A session cookie of a member of `group` in the municipality (made when missing)."""
    user, _ = User.objects.get_or_create(email=f"soak-{group}@imbizo.bench",
                                         defaults={"municipality": municipality, "full_name": f"Soak {group}",
                                                   "is_staff": True})
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def a_photo() -> bytes:
    """A 1024×768 JPEG of noise (about what a phone sends after the app shrinks it)."""
    image = Image.frombytes("RGB", (1024, 768), os.urandom(1024 * 768 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def multipart(fields: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, (filename, content, content_type) in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Load:
    """Timings and errors per endpoint, from every thread."""

    def __init__(self, port: int):
        self.port = port
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}

    def request(self, name: str, path: str, *, headers: dict | None = None, data: bytes | None = None,
                ok=(200,)) -> bytes | None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers or {})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        except OSError as error:
            body, status = str(error).encode(), 0
        if status in ok:
            self.timings[name].append(time.perf_counter() - start)
            return body
        self.errors[name] += 1
        self.samples.setdefault(name, f"{status} {path}: {body[:200]!r}")
        return None


class PhotoReporters(Reporters):
    """Reporters (benchmarks/faults.py) who add a photo to each acknowledged report."""

    def __init__(self, load: Load, photo: bytes, *args):
        super().__init__(*args)
        self.load, self.photo = load, photo

    def acknowledged_report(self, key: str, answer: dict) -> None:
        if not answer.get("tracking_key"):
            self.load.errors["photo upload"] += 1
            self.load.samples.setdefault("photo upload", f"no tracking key for {key}: {answer}")
            return
        body, content_type = multipart({"file": ("pothole.jpg", self.photo, "image/jpeg")})
        self.load.request("photo upload", f"/api/v1/issues/{answer['reference']}/media", data=body, ok=(201,),
                          headers={"Content-Type": content_type, "X-Tracking-Key": answer["tracking_key"]})


def memory_kib(pid: int, field: str) -> int:
    """VmRSS from status, or Pss from smaps_rollup (shared memory counted once across processes)."""
    source = "smaps_rollup" if field == "Pss:" else "status"
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def pid_in(path: Path) -> int | None:
    """The pid on the first line of a pid file (the project-local PostgreSQL's and Redis's), if any."""
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def sample_memory(site: Site, worker: Worker) -> dict[str, float]:
    """MiB per process now."""
    found = {f"web worker {pid}": memory_kib(pid, "VmRSS:") for pid in children(site.process.pid)}
    found[f"web main {site.process.pid}"] = memory_kib(site.process.pid, "VmRSS:")
    for pid in [worker.process.pid, *children(worker.process.pid)]:
        found[f"celery {pid}"] = memory_kib(pid, "VmRSS:")
    if redis := pid_in(VAR / "redis" / "redis.pid"):
        found["redis"] = memory_kib(redis, "VmRSS:")
    if postmaster := pid_in(VAR / "pgdata" / "postmaster.pid"):
        found["postgres (all, PSS)"] = sum(memory_kib(pid, "Pss:") for pid in [postmaster, *children(postmaster)])
    return {name: kib / 1024 for name, kib in found.items()}


def growth_per_10_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB), per 600 s."""
    if len(points) < 3:
        return float("nan")
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return 600 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=4, help="Residents and staff reading at once.")
    parser.add_argument("--reporters", type=int, default=1, help="Residents reporting at once.")
    parser.add_argument("--fanout", type=int, default=1000, help="Messages per notice fan-out, every 30 s.")
    options = parser.parse_args()
    total = ensure_issues(options.issues, code=CODE)
    summary_refresh()  # the figures' summaries include every issue before the clock starts
    municipality = Municipality.objects.get(code=CODE)
    category = Category.objects.filter(municipality=municipality, is_active=True).order_by("pk").first()
    boundary = Municipality.objects.filter(pk=municipality.pk).values_list("boundary", flat=True)[0]
    point, (west, south, east, north) = boundary.point_on_surface, boundary.extent
    dispatcher, planner = staff_cookie(municipality, "dispatcher"), staff_cookie(municipality, "planner")
    today = datetime.date.today()
    year = f"municipality={CODE}&from={today - datetime.timedelta(days=364)}&to={today}"

    def somewhere(rng: random.Random) -> tuple[float, float]:
        return rng.uniform(west, east), rng.uniform(south, north)

    def tile(rng):
        return "/tiles/issues/{}/{}/{}.mvt".format(*tile_of(*somewhere(rng), rng.randint(10, 16))), {}

    def ogc(rng):
        lon, lat = somewhere(rng)
        size = rng.choice([0.01, 0.05, 0.2])
        return f"/ogc/collections/issues/items?f=json&limit=100&bbox={lon:.4f},{lat:.4f},{lon + size:.4f},{lat + size:.4f}", {}

    mix = {  # endpoint: (weight, path and headers)
        "tile": (6, tile),
        "OGC items": (3, ogc),
        "notices API": (1, lambda rng: (f"/api/v1/notices?municipality={CODE}", {})),
        "notices page": (1, lambda rng: (f"/m/{CODE}/notices/", {})),
        "board queue": (2, lambda rng: ("/api/v1/board/issues?limit=500&" + rng.choice(BOARD_FILTERS),
                                        {"Cookie": dispatcher})),
        "heatmap figures": (1, lambda rng: (f"/api/v1/heatmaps/figures?{year}", {"Cookie": planner})),
        "readyz": (1, lambda rng: ("/readyz", {})),
    }
    names = [name for name, (weight, _) in mix.items() for _ in range(weight)]

    site, worker = Site(), Worker()
    load = Load(site.port)
    stop = threading.Event()

    def reader(seed: int):
        rng = random.Random(seed)
        while not stop.is_set():
            name = rng.choice(names)
            path, headers = mix[name][1](rng)
            load.request(name, path, headers=headers)

    memory: list[tuple[float, dict[str, float]]] = []
    readers = [threading.Thread(target=reader, args=(index,)) for index in range(options.readers)]
    print(f"soak: {options.seconds:.0f} s on {total:,} generated issues plus the demo; {options.readers} readers, "
          f"{options.reporters} reporter(s) with photos, a fan-out of {options.fanout} every 30 s", flush=True)
    started = time.monotonic()
    fanouts = 0
    with PhotoReporters(load, a_photo(), site, category, point, options.reporters) as reporters:
        for thread in readers:
            thread.start()
        next_fanout = next_sample = next_refresh = started
        while (now := time.monotonic()) - started < options.seconds:
            if now >= next_refresh:
                summary_refresh(wait=False)
                next_refresh += 60
            if now >= next_fanout:
                fan_out(options.fanout, f"soak{fanouts}")
                fanouts += 1
                next_fanout += 30
            if now >= next_sample:
                memory.append((now - started, sample_memory(site, worker)))
                next_sample += 30
            time.sleep(0.5)
        memory.append((time.monotonic() - started, sample_memory(site, worker)))
        stop.set()
        for thread in readers:
            thread.join()
    elapsed = time.monotonic() - started
    time.sleep(10)  # the last fan-out's deliveries
    waiting = OutboundMessage.objects.filter(topic__startswith="faults:").exclude(state="sent").count()
    worker.stop()
    site.stop()

    print(f"\n{len(reporters.acknowledged)} reports acknowledged ({reporters.retries} retries), "
          f"{fanouts} fan-outs of {options.fanout} ({waiting} messages still waiting 10 s after the end)")
    print(f"{'endpoint':16} {'requests':>8} {'per s':>6} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for name in [*mix, "photo upload"]:
        ordered = sorted(load.timings[name])
        if ordered or load.errors[name]:
            p50 = 1000 * statistics.median(ordered) if ordered else float("nan")
            p99 = 1000 * ordered[int(0.99 * (len(ordered) - 1))] if ordered else float("nan")
            print(f"{name:16} {len(ordered):8} {len(ordered) / elapsed:6.1f} {load.errors[name]:6} {p50:8.1f} {p99:8.1f}")
    for name, sample in load.samples.items():
        print(f"  first error of {name}: {sample}")
    print(f"errors in all: {sum(load.errors.values())}; reports refused: {len(reporters.refused)}")

    warm = [(second, figures) for second, figures in memory if second >= 60] or memory
    print("\nmemory (MiB): after warm-up -> end, largest, growth per 10 min after warm-up")
    for name in sorted(memory[-1][1]):
        points = [(second, figures[name]) for second, figures in warm if name in figures]
        if not points:
            continue
        print(f"  {name:24} {points[0][1]:7.1f} -> {points[-1][1]:7.1f}   max {max(y for _, y in points):7.1f}   "
              f"{growth_per_10_min(points):+6.1f}")
    print("memory (MiB) every 30 s:")
    for name in sorted(memory[-1][1]):
        print(f"  {name:24} " + " ".join(f"{figures[name]:.0f}" for _, figures in memory if name in figures))
    print(json.dumps({"errors": sum(load.errors.values()), "seconds": round(elapsed)}))


if __name__ == "__main__":
    main()
