"""A short soak: mixed load on the demo for --seconds (default 180; the 10-minute, million-issue soak
is not part of this script yet): public vector tiles, OGC items, /readyz, intake (reports with an
Idempotency-Key, each acknowledged by a message) and a notice fan-out every 30 s through Celery.
Prints errors and p50/p99 per endpoint, and the memory (RSS) of every web and worker process at the
start and the end.

    ./imbizo bench soak [--seconds 180] [--clients 3] [--fanout 1000]

The site and worker run as in benchmarks/faults.py (granian with 2 workers, one Celery worker with 2
processes, an instant fake provider).
"""

import argparse
import math
import random
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

from benchmarks.faults import Reporters, Site, Worker, children, fan_out  # also sets up Django as faults does
from notices.models import OutboundMessage  # noqa: E402, I001
from triage.issues.models import Category  # noqa: E402
from wards.models import Municipality  # noqa: E402


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int, int]:
    n = 2 ** zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return zoom, x, y


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def processes(site: Site, worker: Worker) -> dict[str, int]:
    found = {f"web {pid}": pid for pid in children(site.process.pid)}
    found.update({f"celery {pid}": pid for pid in [worker.process.pid, *children(worker.process.pid)]})
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=3, help="Readers at once.")
    parser.add_argument("--fanout", type=int, default=1000)
    options = parser.parse_args()
    municipality = Municipality.objects.exclude(boundary=None).order_by("code").first()
    category = Category.objects.filter(municipality=municipality, is_active=True).first()
    point = Municipality.objects.filter(pk=municipality.pk).values_list("boundary", flat=True)[0].point_on_surface
    extent = Municipality.objects.filter(pk=municipality.pk).values_list("boundary", flat=True)[0].extent
    site, worker = Site(), Worker()
    paths = {"tile z12": "/tiles/issues/{}/{}/{}.mvt".format(*tile_of(point.x, point.y, 12)),
             "OGC items": "/ogc/collections/issues/items?limit=100&f=json&bbox=" + ",".join(f"{v:.4f}" for v in extent),
             "readyz": "/readyz"}
    timings, errors = defaultdict(list), defaultdict(int)
    stop = threading.Event()

    def reader(seed: int):
        rng = random.Random(seed)
        while not stop.is_set():
            name = rng.choice(list(paths))
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{site.port}{paths[name]}", timeout=30) as response:
                    response.read()
                timings[name].append(time.perf_counter() - start)
            except (urllib.error.URLError, OSError):
                errors[name] += 1

    before = {name: rss_kib(pid) for name, pid in processes(site, worker).items()}
    readers = [threading.Thread(target=reader, args=(index,)) for index in range(options.clients)]
    started = time.monotonic()
    fanouts = 0
    with Reporters(site, category, point, 1) as reporters:
        for thread in readers:
            thread.start()
        while time.monotonic() - started < options.seconds:
            fan_out(options.fanout, f"soak{fanouts}")
            fanouts += 1
            time.sleep(30)
        stop.set()
        for thread in readers:
            thread.join()
    time.sleep(5)
    after = {name: rss_kib(pid) for name, pid in processes(site, worker).items()}
    waiting = OutboundMessage.objects.filter(topic__startswith="faults:").exclude(state="sent").count()
    worker.stop()
    site.stop()
    print(f"soak of {options.seconds:.0f} s: {options.clients} readers, 1 reporter "
          f"({len(reporters.acknowledged)} reports acknowledged, {reporters.retries} retries), "
          f"{fanouts} fan-outs of {options.fanout} ({waiting} messages still waiting at the end)")
    for name in paths:
        ordered = sorted(timings[name])
        if ordered:
            print(f"{name:12} {len(ordered):6} requests  {errors[name]} errors  p50 {1000 * statistics.median(ordered):7.1f} ms"
                  f"  p99 {1000 * ordered[int(0.99 * (len(ordered) - 1))]:7.1f} ms")
    print("memory (RSS, MiB) at start -> end:")
    for name in sorted(before):
        if name in after:
            print(f"  {name:16} {before[name] / 1024:7.1f} -> {after[name] / 1024:7.1f}")


if __name__ == "__main__":
    main()
