"""A/B over HTTP: an older commit and this tree, each behind its own granian, on the same database.

    with ab.servers("ad9a981") as pair:          # the baseline checked out under var/ab/ad9a981
        ab.print_header(pair)
        row = ab.compare(pair, ab.Scenario("duplicates", lambda i: ab.Request(paths[i % len(paths)])))
        print(ab.row_line(row))

Both servers run this virtualenv with DJANGO_SETTINGS_MODULE=gisplatform.settings, each with its own
tree on PYTHONPATH, and the same DATABASE_URL and SECRET_KEY (so one session cookie works on both).
The two sides take turns so that whatever else loads the machine meanwhile (another benchmark, a
checkpoint, autovacuum) slows both alike: with one client, request by request (old-new, then
new-old); with several, in blocks of requests, each block from every client at once.
"""

import contextlib
import http.client
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.support import ROOT, wsgi_server

BASELINE = "ad9a981"  # the last main before triage was restructured
SIDES = ("old", "new")


def baseline_tree(ref: str = BASELINE) -> Path:
    """A git worktree of `ref` under var/ab/ (var/ is ignored by git), made the first time and moved
    to `ref`'s commit when the name has moved since."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    tree = ROOT / "var" / "ab" / ref.replace("/", "-")
    if not (tree / ".git").exists():  # --force: a worktree once there and deleted by hand is still registered
        subprocess.run(["git", "worktree", "add", "--quiet", "--force", "--detach", str(tree), commit], cwd=ROOT,
                       check=True)
    elif subprocess.run(["git", "rev-parse", "HEAD"], cwd=tree, capture_output=True, text=True).stdout.strip() != commit:
        subprocess.run(["git", "checkout", "--quiet", "--detach", commit], cwd=tree, check=True)
    return tree


@dataclass(frozen=True)
class Pair:
    ref: str
    old: int  # ports on 127.0.0.1
    new: int


@contextlib.contextmanager
def servers(ref: str = BASELINE, workers: int = 2) -> Iterator[Pair]:
    """`ref` and this tree served side by side, as `./imbizo run` serves one (granian, `workers`
    workers of two threads). The database is whatever DATABASE_URL names when this is entered."""
    tree = baseline_tree(ref)
    # The baseline's default shared-data path is relative to its own tree; neither tree's static
    # files are collected (whitenoise warns at start-up), and the API serves none.
    environment = {"IMBIZO_SHARED_DATA": str(ROOT.parent / "shared" / "data"),
                   "PYTHONWARNINGS": "ignore:No directory at"}
    with (wsgi_server(workers, tree=tree, environment=environment) as old,
          wsgi_server(workers, environment=environment) as new):
        yield Pair(ref=ref, old=old, new=new)


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """`request(i)` is the i-th request, asked once for each side (so each may carry fresh keys);
    both sides get the same i's. A run stops at `count` requests a side or after `seconds`."""

    name: str
    request: Callable[[int], Request]
    expect: int = 200
    count: int = 400
    seconds: float = 60
    clients: int = 1
    warmup: int = 20  # requests a side, not timed
    block: int = 100  # requests a side per turn, with several clients


@dataclass
class Side:
    durations: list[float] = field(default_factory=list)
    wall: float = 0.0  # seconds the side's turns took, start to end

    @property
    def per_second(self) -> float:
        return len(self.durations) / self.wall

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.durations)
        return 1000 * ordered[round(fraction * (len(ordered) - 1))]

    @property
    def p50(self) -> float:
        return 1000 * statistics.median(self.durations)


@dataclass
class Row:
    scenario: Scenario
    old: Side
    new: Side


class Client:
    """One kept-alive connection per server per thread, as a browser or an app keeps one."""

    def __init__(self, expect: int, sides: dict[int, str]):
        self.expect = expect
        self.sides = sides  # port -> "old" or "new", for the errors
        self.local = threading.local()

    def send(self, port: int, request: Request) -> float:
        connections = self.local.__dict__.setdefault("connections", {})
        if port not in connections:
            connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection = connections[port]
        start = time.perf_counter()
        try:
            connection.request(request.method, request.path, request.body, request.headers)
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            raise RuntimeError(f"the {self.sides[port]} server, {request.method} {request.path}: {exc!r}") from exc
        elapsed = time.perf_counter() - start
        assert response.status == self.expect, (self.sides[port], request.path, response.status, body[:300])
        return elapsed


def compare(pair: Pair, scenario: Scenario) -> Row:
    ports = {"old": pair.old, "new": pair.new}
    client = Client(scenario.expect, {port: side for side, port in ports.items()})
    for i in range(scenario.warmup):
        for side in SIDES:
            client.send(ports[side], scenario.request(i))
    sides = {side: Side() for side in SIDES}
    deadline = time.monotonic() + scenario.seconds
    if scenario.clients == 1:
        for i in range(scenario.count):
            if time.monotonic() > deadline:
                break
            for side in SIDES if i % 2 == 0 else reversed(SIDES):
                elapsed = client.send(ports[side], scenario.request(i))
                sides[side].durations.append(elapsed)
                sides[side].wall += elapsed
        return Row(scenario, sides["old"], sides["new"])

    with ThreadPoolExecutor(scenario.clients) as pool:
        for turn, start in enumerate(range(0, scenario.count, scenario.block)):
            if time.monotonic() > deadline:
                break
            indexes = range(start, min(start + scenario.block, scenario.count))
            for side in SIDES if turn % 2 == 0 else reversed(SIDES):
                def run(share, port=ports[side]):
                    return [client.send(port, scenario.request(i)) for i in share]

                began = time.perf_counter()
                shares = pool.map(run, [indexes[k::scenario.clients] for k in range(scenario.clients)])
                sides[side].durations.extend(elapsed for share in shares for elapsed in share)
                sides[side].wall += time.perf_counter() - began
    return Row(scenario, sides["old"], sides["new"])


HEADER = (f"{'scenario':<44} {'clients':>7} {'calls':>6} | {'old p50':>8} {'p95':>7} {'req/s':>7} | "
          f"{'new p50':>8} {'p95':>7} {'req/s':>7} | {'new/old req/s':>13} {'p50':>6}")


def row_line(row: Row) -> str:
    old, new = row.old, row.new
    return (f"{row.scenario.name:<44} {row.scenario.clients:>7} {len(new.durations):>6} | "
            f"{old.p50:6.2f}ms {old.percentile(0.95):5.1f}ms {old.per_second:7.1f} | "
            f"{new.p50:6.2f}ms {new.percentile(0.95):5.1f}ms {new.per_second:7.1f} | "
            f"{new.per_second / old.per_second:12.2f}x {new.p50 / old.p50:5.2f}x")


def print_header(pair: Pair) -> None:
    print(f"old = {pair.ref}, new = this tree (served side by side, taking turns); per request, one in flight a client")
    print(HEADER)
    print("-" * len(HEADER))


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
