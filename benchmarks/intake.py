"""Intake throughput: POST /api/v1/issues through granian beside the same work in raw SQL.

The work per report, in every column: intake's one statement (triage.intake.FILE_SQL: claim the
Idempotency-Key, the spatial lookup - municipality covers the point, current ward, suburb,
nearest streetlight within 30 m on the geography index among 100,000 - the routing rules, the
next reference from the municipality's sequence, INSERT the issue and its history line), then the
department's message queued and COMMIT, in one message. The raw column runs those statements
through psycopg on one connection per client, with nothing else in between
(benchmarks/intake_site.py). A third column serves that same raw work over HTTP through the same
granian with no Django (intake_site's bare WSGI callable): the most any Django view could reach,
and where the API's time goes (HTTP and server, or Django and our Python). Then the raw and API
columns run with 2, 4 and 8 clients at once (throughput). The delivery worker runs throughout, as
`./imbizo run` runs it, and sends every column's messages; the columns take turns, a block each.

Real Lesedi wards (GT423) when ../shared/data is there, else the generated Drakenstein.
Synthetic rows are marked ('bench:' assets, 'bench intake' issues) and removed at the end.
Usage: ./imbizo bench intake [--reports 2000]
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.intake_site import RawIntake  # noqa: E402
from benchmarks.support import (  # noqa: E402
    ROOT,
    floor_figures,
    raw_connection,
    setup_django,
    summary,
    timed,
    wsgi_server,
)

ASSETS = 100_000
MARK = "bench intake"
BLOCKS = 8  # turns each column takes in the one-client run
# Clients at once for the throughput runs: one per worker, one per worker thread (2 workers x 2),
# and twice that, where requests queue in the server; each column's best is its throughput.
CLIENTS = (2, 4, 8)


def populate_assets(cursor, municipality_id, asset_type_id):
    cursor.execute(
        """
        INSERT INTO assets_asset (asset_type_id, municipality_id, external_id, geom, status, attributes, is_generated)
        SELECT %(t)s, %(m)s, 'bench:' || d.path[1], d.geom, 'in_service', '{}'::jsonb, true
        FROM (SELECT boundary FROM wards_municipality WHERE id = %(m)s) AS m,
             ST_Dump(ST_GeneratePoints(m.boundary, %(n)s, 21)) AS d
        """,
        {"m": municipality_id, "t": asset_type_id, "n": ASSETS},
    )
    cursor.execute("ANALYZE assets_asset")


@contextlib.contextmanager
def delivery_worker():
    """The delivery worker (`send_queued_messages --follow`), as `./imbizo run` starts it."""
    process = subprocess.Popen([sys.executable, "manage.py", "send_queued_messages", "--follow", "-v", "0"],
                               cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_delivery(messages, mark: str, seconds: float = 60) -> dict:
    """How many of the benchmark's messages the worker has sent, once it has caught up (or given up waiting)."""
    bench = messages.objects.filter(body__contains=mark)
    deadline = time.monotonic() + seconds
    while bench.filter(state="queued").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    return {"sent": bench.filter(state="sent").count(), "waiting": bench.filter(state="queued").count()}


def settle(cursor):
    """Write out what setting up dirtied (100,000 assets and their indexes) before anything is timed:
    left to the background checkpointer it is flushed during the run, and the first change to each
    page after a checkpoint starts also writes the whole page to the WAL."""
    cursor.execute("VACUUM ANALYZE assets_asset")
    try:
        cursor.execute("CHECKPOINT")
    except Exception as exc:  # CHECKPOINT needs a superuser or pg_checkpoint; on another's server, go on without
        print(f"(no CHECKPOINT before timing: {exc})")


def concurrent(label, work, items, clients):
    """Run `work` over the items from `clients` threads at once, each one request at a time:
    (reports per second over the whole run, p95 in ms)."""
    chunks = [items[i::clients] for i in range(clients)]
    durations: list[float] = []
    lock = threading.Lock()

    def run(chunk):
        mine = timed((lambda item=item: work(*item)) for item in chunk)
        with lock:
            durations.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = len(items) / (time.perf_counter() - start)
    ordered = sorted(durations)
    p95 = 1000 * ordered[int(0.95 * (len(ordered) - 1))]
    print(f"{label:<44} {len(items):>6} calls  {rate:>9.0f}/s  p95 {p95:6.2f} ms  ({clients} clients)")
    return rate, p95


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    args = parser.parse_args()
    # The delivery worker sends the department messages, as in production, to a backend that drops them.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from assets.models import Asset
    from notices.models import OutboundMessage
    from triage.intake.models import IntakeKey
    from triage.intake.services import ensure_reference_sequence, reference_year
    from triage.issues.models import Category, Issue
    from wards.models import Municipality

    call_command("load_demo", verbosity=0)
    municipality = Municipality.objects.filter(code="GT423").first() or Municipality.objects.get(code="WC023")
    category = Category.objects.select_related("asset_type", "default_department").get(
        municipality=municipality, code="streetlight-out")

    def clean_up():
        bench = Issue.objects.filter(description=MARK)
        OutboundMessage.objects.filter(topic__in=[f"issue:{r}" for r in bench.values_list("reference", flat=True)]).delete()
        bench.delete()
        IntakeKey.objects.filter(key__startswith="bench-").delete()
        Asset.objects.filter(external_id__startswith="bench:").delete()

    with transaction.atomic(), connection.cursor() as cursor:
        clean_up()
        populate_assets(cursor, municipality.pk, category.asset_type_id)
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Dump(ST_GeneratePoints("
                       "(SELECT boundary FROM wards_municipality WHERE id = %s), %s, 23)) AS d(path, g)",
                       [municipality.pk, args.reports])
        points = cursor.fetchall()
        # make sure this year's sequence exists (the year on the municipality's clock, as intake's)
        ensure_reference_sequence(municipality, reference_year(municipality, timezone.now()))
    print(f"{municipality.code}: {Asset.objects.filter(asset_type=category.asset_type).count()} streetlights, "
          f"{Issue.objects.count()} issues before; {len(points)} reports per run\n")
    raw_work = RawIntake.of(category)

    def raw_intake(cursor, lon, lat):
        raw_work.file(cursor.connection, lon, lat, MARK, f"bench-{uuid.uuid4()}")

    try:
        raw_connections = [raw_connection() for _ in range(max(CLIENTS))]
        for raw in raw_connections:
            raw.autocommit = True
        cursors = [raw.cursor() for raw in raw_connections]
        local = threading.local()

        def raw_call(lon, lat):
            if not hasattr(local, "cursor"):
                local.cursor = spare.pop()
            raw_intake(local.cursor, lon, lat)

        import http.client

        os.environ["IMBIZO_BENCH_CATEGORY"] = str(category.pk)  # for intake_site's workers
        with (wsgi_server(workers=2) as port, wsgi_server(workers=2, app="benchmarks.intake_site") as bare_port,
              delivery_worker()):
            local_http = threading.local()

            def poster(port):
                def post(lon, lat):
                    if not hasattr(local_http, "connections"):
                        local_http.connections = {}
                    connections = local_http.connections
                    if port not in connections:
                        connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    body = json.dumps({"category": category.pk, "lat": lat, "lon": lon, "description": MARK})
                    connections[port].request("POST", "/api/v1/issues", body, {
                        "Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4()}"})
                    response = connections[port].getresponse()
                    payload = response.read()
                    assert response.status == 201, (response.status, payload[:300])
                return post

            post, post_bare = poster(port), poster(bare_port)
            floor = floor_figures(port, len(points))
            settle(cursors[0])
            for lon, lat in points[:50]:
                raw_intake(cursors[0], lon, lat)
                post_bare(lon, lat)
                post(lon, lat)
            # The columns take turns, a block each, so a checkpoint or autovacuum in the middle of the
            # run slows all alike rather than whichever happened to be running.
            raw_durations, bare_durations, api_durations = [], [], []
            for block in range(BLOCKS):
                chunk = points[block::BLOCKS]
                raw_durations += timed((lambda p=p: raw_intake(cursors[0], *p)) for p in chunk)
                bare_durations += timed((lambda p=p: post_bare(*p)) for p in chunk)
                api_durations += timed((lambda p=p: post(*p)) for p in chunk)
            raw_figures = summary("raw SQL through psycopg, 1 client", raw_durations)
            bare_figures = summary("the same over HTTP, no Django, 1 client", bare_durations)
            api_figures = summary("API over HTTP (granian, 2 workers), 1 client", api_durations)
            # Throughput: each column with several clients at once, the columns taking turns at each count.
            parallel = {}
            for clients in CLIENTS:
                local, spare = threading.local(), cursors[:clients]
                raw_rate, _ = concurrent("raw SQL through psycopg", raw_call, points, clients)
                local_http = threading.local()
                parallel[clients] = (raw_rate, *concurrent("API over HTTP (granian, 2 workers)", post, points, clients))
            sent = wait_for_delivery(OutboundMessage, MARK)
        for raw in raw_connections:
            raw.close()
    finally:
        with transaction.atomic():
            clean_up()

    print(f"\nratio API / raw SQL, 1 client: {api_figures['per_second'] / raw_figures['per_second']:.2f}x "
          f"(target >= 0.5x); API p95 {api_figures['p95_ms']:.2f} ms (target < 15 ms)")
    for clients, (raw_rate, api_rate, api_p95) in parallel.items():
        print(f"ratio API / raw SQL, {clients} clients: {api_rate / raw_rate:.2f}x; API p95 {api_p95:.2f} ms")
    raw_peak = max(raw_rate for raw_rate, _, _ in parallel.values())
    api_peak, api_peak_p95 = max((api_rate, api_p95) for _, api_rate, api_p95 in parallel.values())
    print(f"throughput, the most each column took at any client count: raw {raw_peak:.0f}/s, API {api_peak:.0f}/s "
          f"(p95 {api_peak_p95:.2f} ms): {api_peak / raw_peak:.2f}x")
    print(f"the raw work over HTTP with no Django (benchmarks/intake_site.py): "
          f"{bare_figures['per_second'] / raw_figures['per_second']:.2f}x raw SQL, the most any view could reach; "
          f"HTTP and granian add {bare_figures['p50_ms'] - raw_figures['p50_ms']:.2f} ms at p50, Django and our "
          f"Python {api_figures['p50_ms'] - bare_figures['p50_ms']:.2f} ms (an empty Django request, /healthz "
          f"with its SELECT 1, is {floor['p50_ms']:.2f} ms)")
    print(f"delivery worker: {sent['sent']:,} department messages sent, {sent['waiting']:,} still waiting")


if __name__ == "__main__":
    main()
