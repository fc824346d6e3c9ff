"""The read endpoints, A/B: this tree against the baseline commit (benchmarks/ab.py), each behind its
own granian with 2 workers, on the benchmark database of generated issues over the real Lesedi
wards (benchmarks/scale.py), taking turns request by request.

- the dispatcher's board queue: GET /api/v1/board/issues (5,000 a page, the board's filters);
- duplicate suggestions: GET /api/v1/issues/duplicates, pins anywhere and pins on open issues;
- the densest z14 vector tile of the public issues layer, and OGC API items pages (limit 100, a
  bbox of about 2 km around a random issue);
- a planner's heatmap figures: the ward choropleth over a mix of periods, the 500 m hex grid and
  the table of every figure per ward, for the last 365 days.

Target: new within 10% of old (req/s ratio >= 0.9, p50 ratio <= 1.1).
Usage: ./imbizo bench ab_endpoints [--requests 200] [--clients 1] [--issues 1000000] [--ref ad9a981]
       [--only tile ...]
"""

import argparse
import dataclasses
import datetime
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ab  # noqa: E402
from benchmarks.board import LIST_FILTERS, dispatcher_session  # noqa: E402
from benchmarks.heatmaps import ensure_summaries, periods, planner_session  # noqa: E402
from benchmarks.layers import BOX_DEGREES, densest_tile  # noqa: E402
from benchmarks.scale import ensure_issues, use_bench_database  # noqa: E402
from benchmarks.support import setup_django  # noqa: E402

WITHIN_10_PERCENT = (0.9, 1.1)  # the least req/s ratio, the most p50 ratio


def board_paths(municipality, rng: random.Random, count: int) -> list[str]:
    from triage.issues.models import Category, Issue

    issues = Issue.objects.filter(municipality=municipality)
    wards = list(issues.exclude(ward=None).values_list("ward__number", flat=True).distinct())
    departments = list(issues.exclude(department=None).values_list("department__code", flat=True).distinct())
    categories = list(Category.objects.filter(municipality=municipality).values_list("code", flat=True))
    paths = []
    for n in range(count):
        query = LIST_FILTERS[n % len(LIST_FILTERS)].format(
            ward=rng.choice(wards), department=rng.choice(departments), category=rng.choice(categories))
        paths.append("/api/v1/board/issues" + (f"?{query}" if query else ""))
    return paths


def duplicate_paths(cursor, municipality, rng: random.Random, count: int) -> list[str]:
    """Half the pins anywhere in the municipality (mostly nothing to suggest), half on open issues in
    their own category's window (at least that issue to suggest), taking turns."""
    from triage.issues.models import Category
    from triage.issues.workflow import OPEN_STATUSES

    categories = list(Category.objects.filter(municipality=municipality).values_list("pk", flat=True))
    cursor.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Dump(ST_GeneratePoints((SELECT boundary FROM wards_municipality "
                   "WHERE id = %s), %s, 31)) AS d(path, g)", [municipality.pk, count])
    anywhere = [(lon, lat, rng.choice(categories)) for lon, lat in cursor.fetchall()]
    cursor.execute("SELECT setseed(0.8)")
    cursor.execute("SELECT ST_X(i.location), ST_Y(i.location), i.category_id FROM triage_issue i "
                   "JOIN triage_category c ON c.id = i.category_id WHERE i.status = ANY(%s) AND i.municipality_id = %s "
                   "AND i.created_at > now() - make_interval(days => c.duplicate_window_days) ORDER BY random() LIMIT %s",
                   [sorted(OPEN_STATUSES), municipality.pk, count])
    on_issues = cursor.fetchall()
    pins = [pin for pair in zip(anywhere, on_issues, strict=False) for pin in pair]
    return [f"/api/v1/issues/duplicates?category={category}&lat={lat:.6f}&lon={lon:.6f}" for lon, lat, category in pins]


def items_paths(cursor, count: int) -> list[str]:
    """Boxes centred on issues picked at random (seeded): each holds hundreds, so every page is full."""
    cursor.execute("SELECT setseed(0.6)")
    cursor.execute("SELECT ST_X(location), ST_Y(location) FROM triage_issue TABLESAMPLE BERNOULLI (1) "
                   "REPEATABLE (6) LIMIT %s", [count])
    half = BOX_DEGREES / 2
    return ["/ogc/collections/issues/items?" + urlencode(
        {"limit": 100, "bbox": f"{x - half:.5f},{y - half:.5f},{x + half:.5f},{y + half:.5f}", "f": "json"})
        for x, y in cursor.fetchall()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="requests a side per scenario (fewer for the slow ones)")
    parser.add_argument("--clients", type=int, default=1, help="clients at once (more than 1: turns of blocks)")
    parser.add_argument("--issues", type=int, default=1_000_000, help="generated issues in the benchmark database")
    parser.add_argument("--seconds", type=float, default=60, help="the most one scenario may take")
    parser.add_argument("--ref", default=ab.BASELINE, help="the baseline commit")
    parser.add_argument("--only", action="append", help="run the scenarios whose name contains this (repeatable)")
    args = parser.parse_args()
    database = use_bench_database()
    setup_django()
    total = ensure_issues(args.issues)
    from django.db import connection

    from triage.issues.models import Issue
    from wards.models import Municipality

    municipality = Municipality.objects.defer("boundary").get(code="GT423")
    ensure_summaries(Issue.objects.count())
    with connection.cursor() as cursor:
        # Steady state: autovacuum keeps the visibility map current, so index-only reads skip the table.
        cursor.execute("VACUUM (ANALYZE) triage_issue")
        z14 = densest_tile(cursor, 14, within=densest_tile(cursor, 10))
        rng = random.Random(5)
        duplicates = duplicate_paths(cursor, municipality, rng, args.requests)
        items = items_paths(cursor, args.requests)
    board = board_paths(municipality, rng, args.requests)
    dispatcher = {"Cookie": dispatcher_session(municipality)}
    planner = {"Cookie": planner_session(municipality)}
    today = datetime.date.today()
    choropleths = [f"/api/v1/heatmaps/choropleth?municipality=GT423&figure=logged&from={first}&to={last}"
                   for first, last in periods(today, args.requests, random.Random(7))]
    year = f"municipality=GT423&from={today - datetime.timedelta(days=364)}&to={today}"
    print(f"{database}: {total:,} generated issues in {municipality.code} (of {Issue.objects.count():,})\n")

    def cycle(paths, headers=None):
        return lambda i: ab.Request(paths[i % len(paths)], headers=headers or {})

    few, fewest = max(10, args.requests // 4), max(10, args.requests // 10)  # for the slower requests
    scenarios = [
        ab.Scenario("board queue (dispatcher, 5,000 a page)", cycle(board, dispatcher), count=few, warmup=5),
        ab.Scenario("duplicate suggestions", cycle(duplicates), count=args.requests),
        ab.Scenario("vector tile z14 (densest), {}/{}/{}".format(*z14),
                    cycle(["/tiles/issues/{}/{}/{}.mvt".format(*z14)]), count=args.requests),
        ab.Scenario("OGC items, limit 100 + bbox", cycle(items), count=args.requests),
        ab.Scenario("heatmap: choropleth per ward, mixed periods", cycle(choropleths, planner), count=args.requests),
        ab.Scenario("heatmap: 500 m hex grid, 365 days", cycle([f"/api/v1/heatmaps/hexgrid?{year}&size=500"], planner),
                    count=few, warmup=5),
        ab.Scenario("heatmap: every figure per ward, 365 days", cycle([f"/api/v1/heatmaps/figures?{year}"], planner),
                    count=fewest, warmup=3),
    ]
    scenarios = [s for s in scenarios if not args.only or any(part in s.name for part in args.only)]
    rows = []
    with ab.servers(args.ref) as pair:
        ab.print_header(pair)
        for scenario in scenarios:
            scenario = dataclasses.replace(scenario, clients=args.clients, seconds=args.seconds,
                                           block=max(2 * args.clients, scenario.count // 10))
            rows.append(ab.compare(pair, scenario))
            print(ab.row_line(rows[-1]))

    least, most = WITHIN_10_PERCENT
    print(f"\ntarget: new within 10% of old (req/s ratio >= {least}, p50 ratio <= {most})")
    for row in rows:
        rate, p50 = row.new.per_second / row.old.per_second, row.new.p50 / row.old.p50
        print(f"{row.scenario.name:<48} req/s {rate:4.2f}x  p50 {p50:4.2f}x  "
              f"{ab.verdict(rate >= least and p50 <= most)}")


if __name__ == "__main__":
    main()
