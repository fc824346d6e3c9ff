"""What every benchmark needs: Django set up, a real WSGI server on a free port, timing."""

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gisplatform.settings")
    django.setup()


def raw_connection():
    """A plain psycopg connection to Django's database, for the raw-SQL baselines."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"], dbname=settings["NAME"],
                           user=settings["USER"], password=settings["PASSWORD"] or None,
                           options=settings.get("OPTIONS", {}).get("options", ""))


BENCHMARK_RATE_LIMITS = '{"report": {"client": "100000000/hour", "ip": "100000000/hour"}}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def wsgi_server(workers: int = 2, app: str = "gisplatform.wsgi", *, tree: Path = ROOT, environment: dict | None = None):
    """The platform behind granian, as `./imbizo run` serves it (`app`: another WSGI module, e.g. one
    adding a benchmark-only view; `tree`: another checkout, e.g. benchmarks/ab.py's baseline, served
    with this virtualenv; `environment`: variables added to this process's). Yields the port; the
    server is this process's `granian` child."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--blocking-threads", "2", "--log-level", "warning",
         f"{app}:application"],
        # Thousands of reports from one address: limits high enough never to refuse, still counted.
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree), "DEBUG": "false", "IMBIZO_RATE_LIMITS": BENCHMARK_RATE_LIMITS,
                       **(environment or {})},
        start_new_session=True,  # its own process group, so a hung stop can take the workers with it
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("granian did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        # granian 2.8 can hang on stop (`./imbizo run` says more); after 10 s the workers go with it.
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def http_get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def timed(calls) -> list[float]:
    """Run each zero-argument callable, returning the seconds each took."""
    durations = []
    for call in calls:
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
    return durations


def summary(label: str, durations: list[float]) -> dict:
    ordered = sorted(durations)
    total = sum(durations)
    figures = {
        "label": label,
        "n": len(durations),
        "per_second": len(durations) / total,
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
    }
    print(f"{label:<44} {figures['n']:>6} calls  {figures['per_second']:>9.0f}/s  "
          f"p50 {figures['p50_ms']:6.2f} ms  p95 {figures['p95_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms")
    return figures


def floor_figures(port: int, calls: int) -> dict:
    """The floor every API request stands on: GET /healthz (Django, middleware, one SELECT 1)
    through the same server. No view of ours can answer faster than this."""
    def healthz():
        status, _ = http_get(port, "/healthz")
        assert status == 200

    for _ in range(50):
        healthz()
    return summary("floor: GET /healthz (Django + SELECT 1)", timed(healthz for _ in range(calls)))


def print_ceiling(floor: dict, raw: dict) -> None:
    """The best ratio any Django view could reach: the raw work plus the floor, against the raw work."""
    print(f"floor: an empty Django request through granian is {floor['p50_ms']:.2f} ms at p50, "
          f"{floor['p50_ms'] / raw['p50_ms']:.1f}x the raw work; the ratio cannot pass "
          f"{raw['p50_ms'] / (floor['p50_ms'] + raw['p50_ms']):.2f}x on this stack")
