"""The dispatcher board at a million issues (100,000 open) in Lesedi (GT423), in the benchmark database.

1. Duplicate suggestions (GET /api/v1/issues/duplicates, what the report page asks on every pin
   move) through granian, beside the same statement in raw SQL through psycopg. Target: the API
   at 0.5x raw SQL or better.
2. Clustering every open issue of the municipality into likely duplicates (ST_ClusterDBSCAN
   partitioned by municipality and category, in UTM metres): the statement in raw SQL, and
   GET /api/v1/board/clusters as a dispatcher. Target: under 2 s.
3. The board's filtered list of 5,000 (GET /api/v1/board/issues?limit=5000, GeoJSON built in SQL,
   the queue's order) for a dispatcher, over a mix of filters. Target: p95 under 150 ms.

Usage: ./imbizo bench board [--points 2000] [--lists 100] [--clusters 5]
"""

import argparse
import http.client
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import ensure_issues, use_bench_database  # noqa: E402
from benchmarks.support import (  # noqa: E402
    floor_figures,
    print_ceiling,
    raw_connection,
    setup_django,
    summary,
    timed,
    wsgi_server,
)

BENCH_USER = "bench-dispatcher@imbizo.invalid"
BENCH_ROOT = "bench-superuser@imbizo.invalid"

# A dispatcher's usual views: everything open in the queue's order, one ward, one department, one
# category, overdue only, urgent and high, the oldest, last week's.
LIST_FILTERS = [
    "", "ward={ward}", "department={department}", "category={category}", "overdue=true", "priority=urgent,high",
    "sort=oldest", "newer_than=7", "sort=due&category={category}",
]


def dispatcher_session(municipality) -> str:
    """A session cookie of a dispatcher of the municipality (BENCH_USER, made when missing)."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.models import User

    user, _ = User.objects.get_or_create(email=BENCH_USER, defaults={"municipality": municipality, "full_name": "Bench"})
    user.groups.add(Group.objects.get(name="dispatcher"))
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=2000, help="duplicate-suggestion calls per column")
    parser.add_argument("--lists", type=int, default=100, help="board list calls")
    parser.add_argument("--clusters", type=int, default=5, help="clustering runs")
    args = parser.parse_args()
    database = use_bench_database()
    setup_django()
    total = ensure_issues()

    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from triage.dispatch import board
    from triage.dispatch.duplicates import duplicate_rules, duplicates_params, duplicates_sql, likely_duplicates_json
    from triage.issues.models import Category, Issue
    from triage.issues.workflow import OPEN_STATUSES
    from wards.models import Municipality

    # Steady state: autovacuum keeps the visibility map current, so the board's index-only reads
    # skip the table (a migration that rewrote the table leaves it empty until the next vacuum).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) triage_issue")
    municipality = Municipality.objects.get(code="GT423")
    open_count = Issue.objects.filter(municipality=municipality, status__in=OPEN_STATUSES).count()
    print(f"{database}: {total:,} issues in {municipality.code}, {open_count:,} open\n")
    categories = list(Category.objects.filter(municipality=municipality, issues__isnull=False).distinct()
                      .values_list("pk", "code"))
    rng = random.Random(5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Dump(ST_GeneratePoints((SELECT boundary FROM wards_municipality "
                       "WHERE id = %s), %s, 31)) AS d(path, g)", [municipality.pk, args.points])
        points = [(lon, lat, rng.choice(categories)[0]) for lon, lat in cursor.fetchall()]

    cookie = dispatcher_session(municipality)
    client = Client()

    # --- 1. duplicate suggestions --------------------------------------------------------------------
    print("1. Duplicate suggestions (same category, open, within the category's radius and window, or the same asset)")
    import psycopg

    raw = raw_connection()
    raw.autocommit = True
    # Client-side binding, as Django sends it: the same SQL text, constants and all, in both columns.
    cursor = psycopg.ClientCursor(raw)
    cursor.execute("SET jit = off")
    rules = duplicate_rules(points[0][2])
    pin = Point(points[0][0], points[0][1], srid=4326)
    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + duplicates_sql(None),
                   duplicates_params(rules, point=pin, asset_id=None, now=timezone.now()))
    plan = "\n".join(row[0] for row in cursor.fetchall())
    print("   plan uses issue_location_geography:", "issue_location_geography" in plan)

    def raw_duplicates(lon, lat, category):
        # the view's two statements: the category's rules, then the suggestions as JSON
        return likely_duplicates_json(duplicate_rules(category), point=Point(lon, lat, srid=4326), now=timezone.now())

    for point in points[:100]:
        raw_duplicates(*point)
    raw_figures = summary("raw SQL through psycopg (2 statements)", timed((lambda p=p: raw_duplicates(*p)) for p in points))
    found = sum(raw_duplicates(*point).count('"reference"') for point in points[:200])
    print(f"   ({found} suggestions over the first 200 pins)")

    with wsgi_server(workers=2) as port:
        connection_http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def get(path, headers=None):
            connection_http.request("GET", path, headers=headers or {})
            response = connection_http.getresponse()
            body = response.read()
            assert response.status == 200, (response.status, body[:300])
            return body

        def api_duplicates(lon, lat, category):
            get(f"/api/v1/issues/duplicates?category={category}&lat={lat:.6f}&lon={lon:.6f}")

        floor = floor_figures(port, len(points))
        for point in points[:100]:
            api_duplicates(*point)
        api_figures = summary("API over HTTP (granian, 2 workers)", timed((lambda p=p: api_duplicates(*p)) for p in points))
        print(f"   ratio API / raw SQL: {api_figures['per_second'] / raw_figures['per_second']:.2f}x (target >= 0.5x)")
        print_ceiling(floor, raw_figures)

        # --- 2. clustering ---------------------------------------------------------------------------
        print(f"\n2. Likely-duplicate clusters of all {open_count:,} open issues of {municipality.code}")
        issues = Issue.objects.filter(municipality=municipality)
        inner_sql, inner_params = board._open_rows_sql(issues)
        sql = board.CLUSTERS_SQL.replace("{clustered}", board.CLUSTERED_SQL.replace("{inner}", inner_sql))
        with connection.cursor() as django_cursor:
            literal = django_cursor.mogrify(sql, inner_params)
        literal = literal.decode() if isinstance(literal, bytes) else literal
        durations, groups = [], 0
        for _ in range(args.clusters):
            started = time.perf_counter()
            cursor.execute(literal)
            text, groups = cursor.fetchone()
            durations.append(time.perf_counter() - started)
        print(f"{'raw SQL through psycopg':<44} {args.clusters:>6} runs   median {statistics.median(durations):6.2f} s  "
              f"max {max(durations):6.2f} s  ({groups:,} clusters, {len(text) / 1e6:.1f} MB of JSON)")
        durations = timed((lambda: get("/api/v1/board/clusters", {"Cookie": cookie})) for _ in range(args.clusters))
        print(f"{'API over HTTP (dispatcher)':<44} {args.clusters:>6} runs   median {statistics.median(durations):6.2f} s  "
              f"max {max(durations):6.2f} s  (target < 2 s)")

        # --- 3. the board's list ---------------------------------------------------------------------
        print("\n3. The board's filtered list, 5,000 issues a page (GeoJSON built in SQL, the queue's order)")
        ward_numbers = list(Issue.objects.filter(municipality=municipality).exclude(ward=None)
                            .values_list("ward__number", flat=True).distinct())
        departments = list(Issue.objects.filter(municipality=municipality).exclude(department=None)
                           .values_list("department__code", flat=True).distinct())
        paths = []
        for n in range(args.lists):
            query = LIST_FILTERS[n % len(LIST_FILTERS)].format(
                ward=rng.choice(ward_numbers), department=rng.choice(departments), category=rng.choice(categories)[1])
            paths.append("/api/v1/board/issues?limit=5000" + (f"&{query}" if query else ""))
        sizes = []

        def api_list(path):
            sizes.append(len(get(path, {"Cookie": cookie})))

        for path in paths[:10]:
            api_list(path)
        sizes.clear()
        list_figures = summary("API over HTTP (dispatcher), mixed filters", timed((lambda p=p: api_list(p)) for p in paths))
        print(f"   {statistics.mean(sizes) / 1e6:.2f} MB a response on average; p95 {list_figures['p95_ms']:.0f} ms "
              "(target < 150 ms)")
        everything = board.filtered(issues, board.BoardFilter(), now=timezone.now())
        list_sql, list_params = board.queue_features_sql(everything, now=timezone.now(), sort="priority", limit=5000)
        with connection.cursor() as django_cursor:
            literal = django_cursor.mogrify(list_sql, list_params)
        literal = literal.decode() if isinstance(literal, bytes) else literal
        summary("raw SQL: all open, priority order, 5,000", timed((lambda: cursor.execute(literal) or cursor.fetchone())
                                                                  for _ in range(30)))
        count_sql, count_params = everything.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as django_cursor:
            literal = django_cursor.mogrify(f"SELECT count(*) FROM ({count_sql}) AS matched", count_params)
        literal = literal.decode() if isinstance(literal, bytes) else literal
        summary("raw SQL: numberMatched (count of all open)", timed((lambda: cursor.execute(literal) or cursor.fetchone())
                                                                    for _ in range(30)))
        unfiltered = [p for p in paths if p.endswith("limit=5000")]
        summary("API over HTTP: all open, priority order", timed((lambda p=p: api_list(p)) for p in unfiltered * 3))
        summary("API over HTTP: all open, recently changed first",
                timed((lambda: api_list("/api/v1/board/issues?limit=5000&sort=updated")) for _ in range(30)))
        root, _ = User.objects.get_or_create(email=BENCH_ROOT, defaults={"full_name": "Bench root", "is_superuser": True,
                                                                          "is_staff": True})
        client.force_login(root)
        root_cookie = f"sessionid={client.cookies['sessionid'].value}"
        summary("API over HTTP: superuser, every municipality",
                timed((lambda: get("/api/v1/board/issues?limit=5000", {"Cookie": root_cookie})) for _ in range(30)))
    raw.close()
    User.objects.filter(email__in=[BENCH_USER, BENCH_ROOT]).delete()


if __name__ == "__main__":
    main()
