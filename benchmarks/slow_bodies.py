"""Slow request bodies: does the site still answer while clients stall their uploads?

Starts the server as `./imbizo run` serves it (`./imbizo serve`: nginx in front of granian) on a
free port, opens N connections to 127.0.0.1 that send a POST's headers with a Content-Length and
then nothing, and times GET /healthz beside them. Prints p50/p95/max and PASS when the slowest
/healthz is under the limit. `--granian-alone` serves with granian by itself instead (as before
nginx was put in front), for the comparison. Everything is closed at the end, and a watchdog ends
the run after --deadline seconds whatever happens.

    ./imbizo bench slow_bodies [--stalled 300] [--probes 50] [--limit-ms 100] [--granian-alone]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_STALLED = 1000  # a bound on what this script may open, whatever it is asked


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(port: int, timeout: float) -> float | None:
    """Seconds GET /healthz took on a new connection, or None when it did not answer 200 in time."""
    start = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        connection.close()
    except OSError:
        return None
    return time.perf_counter() - start if response.status == 200 else None


@contextlib.contextmanager
def served(port: int, *, granian_alone: bool = False, environment: dict | None = None, startup: float = 90):
    """The site on 127.0.0.1:`port`, as `./imbizo run` serves it (or granian alone); stopped on exit."""
    env = {**os.environ, **(environment or {})}
    if granian_alone:
        command = [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port",
                   str(port), "--workers", str(os.cpu_count() or 1), "--blocking-threads", "2",
                   "--workers-kill-timeout", "5", "--log-level", "warning", "gisplatform.wsgi:application"]
    else:
        command = [str(ROOT / "imbizo"), "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=granian_alone)
    try:
        deadline = time.monotonic() + startup
        while healthz(port, timeout=2) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /healthz on port {port}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()  # ./imbizo passes it on to granian and stops its nginx
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def stalled_bodies(port: int, count: int):
    """`count` connections that sent a POST's headers, promising a body that never comes."""
    count = min(count, MAX_STALLED)
    head = (b"POST /api/v1/issues HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n")
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(head)
            sockets.append(sock)
        time.sleep(0.5)  # let the server take them all in
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stalled", type=int, default=300, help=f"stalled bodies (at most {MAX_STALLED})")
    parser.add_argument("--probes", type=int, default=50, help="GET /healthz calls timed")
    parser.add_argument("--limit-ms", type=float, default=100.0, help="the slowest /healthz must be under this")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds a /healthz may take before it counts as lost")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds after which the run is ended")
    parser.add_argument("--granian-alone", action="store_true", help="serve with granian alone, without nginx")
    args = parser.parse_args()
    raise_open_file_limit(args.stalled + 256)
    watchdog = threading.Timer(args.deadline, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()

    port = free_port()
    setup = "granian alone" if args.granian_alone else "nginx + granian (./imbizo run)"
    with served(port, granian_alone=args.granian_alone), stalled_bodies(port, args.stalled) as sockets:
        durations = [healthz(port, timeout=args.timeout) for _ in range(args.probes)]
    answered = sorted(d for d in durations if d is not None)
    lost = len(durations) - len(answered)
    if answered:
        p50 = 1000 * statistics.median(answered)
        p95 = 1000 * answered[int(0.95 * (len(answered) - 1))]
        worst = 1000 * answered[-1]
        figures = f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {worst:.1f} ms"
    else:
        worst, figures = float("inf"), "no answer"
    passed = lost == 0 and worst < args.limit_ms
    print(f"{setup}: {len(sockets)} stalled bodies, {len(answered)}/{len(durations)} GET /healthz answered "
          f"within {args.timeout:g} s: {figures}  -> {'PASS' if passed else 'FAIL'} (limit {args.limit_ms:g} ms)")
    watchdog.cancel()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
