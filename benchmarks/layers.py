"""Layers at a million issues, side by side in one run on the same table (triage_issue in the benchmark
database, benchmarks/scale.py):

- OGC API items (limit 100 + a bbox of about 2 km, the public issues layer) against tipg's items on
  the table, and against the same page written with drf-gis's GeoFeatureModelSerializer;
- vector tiles at z14 and z10 (the densest tile of each zoom) against tipg's tiles;
- export of every public issue to GeoJSON (`export_layer`, and the download over HTTP) against a bare
  `COPY (SELECT json_build_object(... ST_AsGeoJSON ...)) TO STDOUT`, with the peak memory of ours;
- export to GeoPackage (`export_layer`) against ogr2ogr run by hand with its defaults on the same SELECT.

tipg runs in its own virtualenv (var/tipg-venv, created here when missing: its FastAPI and pydantic
pins must never enter the platform's), under uvicorn[standard] with 2 workers; the platform runs
under granian with 2 workers. One client, sequential requests. tipg is asked for the same properties
our answer carries (its own column names: category_id for our category, and so on), and is allowed
complete tiles (TIPG_MAX_FEATURES_PER_TILE=1000000: its default cuts a tile at 10,000 features in id
order, which draws a wrong map at low zoom).

Usage: ./imbizo bench layers [--requests 100] [--only items|tiles|downloads|exports ...]
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import ensure_issues, use_bench_database  # noqa: E402
from benchmarks.support import ROOT, free_port, http_get, raw_connection, setup_django, summary, timed, wsgi_server  # noqa: E402

TIPG_VENV = ROOT / "var" / "tipg-venv"
TIPG_COLLECTION = "public.triage_issue"
# Our published names -> the table's columns tipg serves.
TIPG_ITEM_PROPERTIES = "reference,status,category_id,kind,municipality_id,ward_id,created_at,updated_at,resolved_at,upvotes"
TIPG_TILE_PROPERTIES = "reference,status,category_id"  # what our tiles carry at z13-14
BOX_DEGREES = 0.02  # about 2 km at Lesedi's latitude: a street map's view

COPY_BASELINE = """
COPY (SELECT json_build_object('type', 'Feature', 'id', reference, 'geometry', ST_AsGeoJSON(location, 6)::json,
        'properties', json_build_object('reference', reference, 'status', status, 'category_id', category_id,
            'kind', kind, 'municipality_id', municipality_id, 'ward_id', ward_id, 'created_at', created_at,
            'updated_at', updated_at, 'resolved_at', resolved_at, 'upvotes', upvotes))
      FROM triage_issue) TO STDOUT
"""


# --- tipg, in its own virtualenv -------------------------------------------------------------------
def ensure_tipg() -> Path:
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    check = [str(TIPG_VENV / "bin" / "python"), "-c", "import tipg, uvloop, httptools"]
    if uvicorn.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return uvicorn
    print(f"Installing tipg and uvicorn[standard] into {TIPG_VENV} (once)")
    subprocess.run(["python3", "-m", "venv", str(TIPG_VENV)], check=True)
    subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn[standard]"], check=True)
    return uvicorn


@contextlib.contextmanager
def tipg_server(database_url: str):
    uvicorn = ensure_tipg()
    port = free_port()
    url = urlparse(database_url)
    environment = {
        **os.environ,
        "DATABASE_URL": urlunparse(url._replace(scheme="postgresql")),
        "TIPG_DB_TABLES": f'["{TIPG_COLLECTION}"]',
        "TIPG_DB_FUNCTIONS": "[]",
        "TIPG_MAX_FEATURES_PER_TILE": "1000000",
    }
    process = subprocess.Popen(
        [str(uvicorn), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--log-level", "warning"],
        cwd=TIPG_VENV, env=environment,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = http_get(port, "/collections")
                if status == 200 and TIPG_COLLECTION.encode() in body:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("tipg did not start")
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


# --- measuring ------------------------------------------------------------------------------------
def fetch(port: int, path: str, timeout: float = 120) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        assert response.status == 200, (path, response.status)
        return response.read()


def measure(label: str, port: int, paths: list[str], warm: int = 3) -> dict:
    for path in paths[:warm]:
        fetch(port, path)
    return summary(label, timed((lambda path=path: fetch(port, path)) for path in paths))


def run_measured(command: list[str], environment: dict | None = None) -> tuple[float, int]:
    """Run a command; its wall time in seconds and its peak resident memory in MB (getrusage of that child)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed with {process.returncode}")
    return elapsed, usage.ru_maxrss // 1024


def worker_peak_mb(master_pid: int) -> int:
    """The largest VmHWM (peak resident memory) among the server's workers."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(fields["PPid"]) == master_pid:
                peaks.append(int(fields["VmHWM"].split()[0]) // 1024)
    return max(peaks, default=0)


def server_process() -> int:
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(fields["PPid"]) == os.getpid() and "granian" in fields["Name"] + (status.parent / "cmdline").read_text():
                return int(status.parent.name)
    raise RuntimeError("no granian server among this process's children")


def densest_tile(cursor, z: int, within: tuple[int, int, int] | None = None) -> tuple[int, int, int]:
    """The z/x/y tile holding the most public issues (inside tile `within`, when given)."""
    from toolkit.conf import storage_srid

    conditions = ""
    if within:  # whole numbers this script computed
        conditions = " AND i.location && ST_Transform(ST_TileEnvelope({:d}, {:d}, {:d}), %(srid)s)".format(*within)
    cursor.execute(f"""
        SELECT floor((ST_X(i.location) + 180) / 360 * 2 ^ %(z)s)::int AS x,
               floor((1 - ln(tan(radians(ST_Y(i.location))) + 1 / cos(radians(ST_Y(i.location)))) / pi()) / 2
                     * 2 ^ %(z)s)::int AS y, count(*)
          FROM triage_issue i JOIN triage_category c ON c.id = i.category_id
         WHERE i.status <> 'duplicate' AND NOT c.is_private {conditions}
         GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1""", {"z": z, "srid": storage_srid()})
    x, y, count = cursor.fetchone()
    print(f"densest z{z} tile: {z}/{x}/{y} with {count:,} public issues")
    return z, x, y


PARTS = ("items", "tiles", "downloads", "exports")


def ratio_line(label: str, ours: float, theirs: float, target: str) -> str:
    return f"{label:<48} {ours / theirs:6.2f}x  (target {target})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100,
                        help="Item pages per server (tiles: as many at z14, a tenth at z10).")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="Run only this part (repeatable); every part by default.")
    args = parser.parse_args()
    wanted = set(args.only or PARTS)
    use_bench_database()
    setup_django()
    total = ensure_issues()
    from django.conf import settings

    from layers import exports, features
    from layers.registry import registry
    from toolkit.conf import storage_srid

    layer = registry.get("issues")
    public = layer.queryset().count()
    database_url = os.environ["DATABASE_URL"]
    print(f"{total:,} issues in the benchmark database, {public:,} public (the `issues` layer)\n")

    raw = raw_connection()
    with raw.cursor() as cursor:
        z10 = densest_tile(cursor, 10)
        z14 = densest_tile(cursor, 14, within=z10)
        # Boxes centred on issues picked at random (seeded): each holds hundreds, so every page is full.
        cursor.execute("SELECT setseed(0.6)")
        cursor.execute("SELECT ST_X(location), ST_Y(location) FROM triage_issue TABLESAMPLE BERNOULLI (1) "
                       "REPEATABLE (6) LIMIT %s", [args.requests])
        centres = cursor.fetchall()
    half = BOX_DEGREES / 2
    boxes = [f"{x - half:.5f},{y - half:.5f},{x + half:.5f},{y + half:.5f}" for x, y in centres]

    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="imbizo-bench-layers-") as work:
        work = Path(work)
        with wsgi_server(workers=2, app="benchmarks.layers_site") as port, tipg_server(database_url) as tipg:
            master = server_process()
            # --- items -----------------------------------------------------------------------------
            if "items" in wanted:
                ours = [f"/ogc/collections/issues/items?{urlencode({'limit': 100, 'bbox': box, 'f': 'json'})}" for box in boxes]
                theirs = [f"/collections/{TIPG_COLLECTION}/items?" + urlencode(
                    {"limit": 100, "bbox": box, "f": "geojson", "properties": TIPG_ITEM_PROPERTIES}) for box in boxes]
                drf = [f"/bench/drf-gis/issues?{urlencode({'bbox': box})}" for box in boxes]
                pages = [json.loads(fetch(port, ours[0])), json.loads(fetch(tipg, theirs[0])), json.loads(fetch(port, drf[0]))]
                assert [len(page["features"]) for page in pages] == [100, 100, 100], [len(page["features"]) for page in pages]
                sizes = [len(json.dumps(page)) for page in pages]
                print(f"\nOne page of 100 issues: ours {sizes[0]:,} bytes, tipg {sizes[1]:,}, drf-gis {sizes[2]:,}")
                figures["items"] = measure("OGC items, limit 100 + bbox: ours", port, ours)
                figures["items_tipg"] = measure("OGC items, limit 100 + bbox: tipg", tipg, theirs)
                figures["items_drf"] = measure("drf-gis GeoFeatureModelSerializer page", port, drf)

            # --- tiles -----------------------------------------------------------------------------
            if "tiles" in wanted:
                for z, tile, count in (("z14", z14, args.requests), ("z10", z10, max(5, args.requests // 10))):
                    path = "{}/{}/{}".format(*tile)
                    ours_tile = f"/tiles/issues/{path}.mvt"
                    theirs_tile = f"/collections/{TIPG_COLLECTION}/tiles/WebMercatorQuad/{path}?properties={TIPG_TILE_PROPERTIES}"
                    print(f"\n{z} tile {path}: ours {len(fetch(port, ours_tile)):,} bytes, "
                          f"tipg {len(fetch(tipg, theirs_tile)):,} bytes")
                    if z == "z10":
                        # Aggregated tiles are cached a minute per worker: a parameter no filter reads makes
                        # each request a new cache key, so this line measures the rendering itself.
                        fetch(port, f"{ours_tile}?render=warm")  # warm-ups with keys of their own: none is timed
                        figures[z] = measure(f"MVT {z}: ours, rendered each time", port,
                                             [f"{ours_tile}?render={index}" for index in range(count)], warm=0)
                        figures["z10_cached"] = measure(f"MVT {z}: ours, from the worker's cache", port,
                                                        [ours_tile] * args.requests, warm=2)
                    else:
                        figures[z] = measure(f"MVT {z}: ours", port, [ours_tile] * count, warm=2)
                    figures[f"{z}_tipg"] = measure(f"MVT {z}: tipg", tipg, [theirs_tile] * count, warm=2)

            # --- GeoJSON download over HTTP (the server worker's memory) ---------------------------
            if "downloads" in wanted:
                start = time.perf_counter()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/layers/issues/download?format=geojson",
                                            timeout=600) as response, (work / "http.geojson").open("wb") as output:
                    while block := response.read(1 << 20):
                        output.write(block)
                figures["geojson_http_s"] = time.perf_counter() - start
                figures["geojson_http_worker_mb"] = worker_peak_mb(master)
                print(f"\nGeoJSON download over HTTP: {figures['geojson_http_s']:.2f} s, "
                      f"{(work / 'http.geojson').stat().st_size / 2**20:,.0f} MB; granian worker peak "
                      f"(VmHWM) {figures['geojson_http_worker_mb']} MB")

        # --- exports: our command against the bare tools ---------------------------------------------
        if "exports" in wanted:
            environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "gisplatform.settings", "PYTHONPATH": str(ROOT)}
            manage = [sys.executable, "manage.py", "export_layer", "issues", "--skip-checks"]
            seconds, peak = run_measured([*manage, str(work / "ours.geojson"), "-v", "0"], environment)
            figures["geojson"] = {"s": seconds, "mb": peak}
            print(f"\nGeoJSON, export_layer: {seconds:.2f} s, peak memory {peak} MB, "
                  f"{(work / 'ours.geojson').stat().st_size / 2**20:,.0f} MB written")
            start = time.perf_counter()
            with (work / "copy.geojson").open("wb") as output, raw.cursor() as cursor, cursor.copy(COPY_BASELINE) as copy:
                for block in copy:
                    output.write(block)
            figures["geojson_copy"] = {"s": time.perf_counter() - start}
            print(f"GeoJSON, bare COPY ... ST_AsGeoJSON to a file: {figures['geojson_copy']['s']:.2f} s, "
                  f"{(work / 'copy.geojson').stat().st_size / 2**20:,.0f} MB written")

            seconds, peak = run_measured([*manage, str(work / "ours.gpkg"), "-v", "0"], environment)
            figures["gpkg"] = {"s": seconds, "mb": peak}
            print(f"GeoPackage, export_layer: {seconds:.2f} s, peak memory {peak} MB")
            source, pg_environment = exports.postgres_source()
            sql = exports.export_sql(layer, features.filtered(layer, features.FeatureFilter()))
            seconds, peak = run_measured([exports.OGR2OGR, "-f", "GPKG", str(work / "by-hand.gpkg"), source, "-sql", sql,
                                          "-nln", "issues", "-a_srs", f"EPSG:{storage_srid()}"], pg_environment)
            figures["gpkg_ogr2ogr"] = {"s": seconds, "mb": peak}
            print(f"GeoPackage, ogr2ogr by hand (defaults, same SELECT): {seconds:.2f} s, peak memory {peak} MB")
    raw.close()

    # (our figure, the baseline's, label, target); a line is printed when both were measured.
    ratios = [
        ("items", "items_tipg", "per_second", "OGC items / tipg (requests per second)", ">= 3x"),
        ("items", "items_drf", "per_second", "OGC items / drf-gis serializer", "faster"),
        ("z14", "z14_tipg", "per_second", "MVT z14 / tipg (tiles per second)", ">= 1x"),
        ("z10", "z10_tipg", "per_second", "MVT z10 / tipg (tiles per second), rendered", ">= 5x"),
        ("z10_cached", "z10_tipg", "per_second", "MVT z10 / tipg (tiles per second), cached", ">= 5x"),
        ("geojson", "geojson_copy", "s", "GeoJSON export time / COPY time", "<= 1.5x"),
        ("gpkg", "gpkg_ogr2ogr", "s", "GeoPackage export time / ogr2ogr time", "<= 1.0x"),
    ]
    lines = [ratio_line(label, figures[ours][unit], figures[theirs][unit], target)
             for ours, theirs, unit, label, target in ratios if ours in figures and theirs in figures]
    if "geojson" in figures:
        lines.append(f"GeoJSON export peak memory {figures['geojson']['mb']} MB (target < 200 MB)")
    print(f"\nOn {settings.DATABASES['default']['NAME']}, {public:,} public issues of {total:,}:")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
