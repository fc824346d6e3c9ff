"""Planners' figures at a million issues: the per-ward choropleth and a city-wide 500 m hex grid
through the API (granian), beside the naive SQL that reads every issue, in one run; and how
stale the summary may be (the refresh's own duration on top of the one-minute schedule).

Uses the benchmark database of a million generated issues over the real Lesedi wards
(benchmarks/scale.py). Usage: ./imbizo bench heatmaps [--requests 200]
"""

import argparse
import datetime
import http.client
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import ensure_issues, use_bench_database  # noqa: E402
from benchmarks.support import raw_connection, setup_django, summary, timed, wsgi_server  # noqa: E402

# The naive answers: every request reads the issues themselves.
NAIVE_CHOROPLETH_SQL = """
SELECT w.id, count(i.id)
  FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id AND b.is_current
  LEFT JOIN triage_issue i ON i.ward_id = w.id
   AND i.created_at >= (%(first)s::date)::timestamp AT TIME ZONE 'Africa/Johannesburg'
   AND i.created_at < ((%(last)s::date + 1)::timestamp AT TIME ZONE 'Africa/Johannesburg')
 WHERE w.municipality_id = %(municipality)s
 GROUP BY w.id
"""
# The textbook hex grid (PostGIS's ST_HexagonGrid example): generate the hexagons over the
# municipality in metres, bring each back to WGS 84 and join the issues through the GiST index of
# their location. (Transforming every issue instead and joining on the metric hexagons has no index
# to use: a nested loop of hexagons x issues that takes many minutes.)
NAIVE_HEXGRID_SQL = """
SELECT g.i, g.j, count(*)
  FROM wards_municipality m
 CROSS JOIN LATERAL ST_HexagonGrid(500, ST_Transform(m.boundary, 32735)) g
  JOIN triage_issue i ON i.municipality_id = m.id AND ST_Intersects(i.location, ST_Transform(g.geom, %(storage_srid)s))
 WHERE m.id = %(municipality)s
 GROUP BY g.i, g.j
"""


def planner_session(municipality) -> str:
    """A logged-in planner's session cookie. (HTTP Basic would hash the password on every request:
    PBKDF2 with Django's iterations costs about 300 ms, which would be all the benchmark measured.)"""
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.models import User

    user = User.objects.filter(email="bench-planner@imbizo.bench").first() or User.objects.create_user(
        "bench-planner@imbizo.bench", None, full_name="Bench Planner", is_staff=True)
    user.municipality = municipality
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="planner"))
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def periods(today: datetime.date, count: int, rng: random.Random) -> list[tuple[datetime.date, datetime.date]]:
    """A planner's mix: last 30 days, a quarter, a year, everything; ending on random recent days."""
    result = []
    for _ in range(count):
        length = rng.choice([30, 91, 365, 730])
        last = today - datetime.timedelta(days=rng.randint(0, 60))
        result.append((last - datetime.timedelta(days=length - 1), last))
    return result


def ensure_summaries(issues: int) -> None:
    """Facts and summaries for all `issues`, rebuilt when they do not match (once per data set), and
    vacuumed: the figures' index-only scans need the visibility map."""
    from django.db import connection

    from heatmaps.models import IssueFact, MonthlyAreaSummary, MonthlyHexSummary
    from heatmaps.refresh import summary_refresh

    if (IssueFact.objects.count() != issues or not MonthlyAreaSummary.objects.exists()
            or not MonthlyHexSummary.objects.exists()):
        result = summary_refresh(full=True)
        print(f"full rebuild of facts and summaries: {result.changed:,} issues in {result.seconds:.1f} s (once)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE heatmaps_issuefact")
        cursor.execute("VACUUM ANALYZE heatmaps_dailysummary")
        cursor.execute("VACUUM ANALYZE heatmaps_monthlysummary")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    use_bench_database()
    setup_django()
    ensure_issues()
    from django.db import connection, transaction

    from heatmaps.refresh import summary_refresh
    from toolkit.conf import storage_srid
    from triage.issues.models import Issue
    from wards.models import Municipality

    municipality = Municipality.objects.defer("boundary").get(code="GT423")
    issues = Issue.objects.count()
    print(f"{issues:,} issues in {connection.settings_dict['NAME']}\n")

    # --- keeping the summary fresh ----------------------------------------------------------------
    ensure_summaries(issues)
    idle = summary_refresh()
    # A busy minute: 200 issues resolved, refreshed, then rolled back so the benchmark data stays as it was.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE triage_issue SET status = 'resolved', resolved_at = now(), updated_at = now(), "
                           "time_to_resolve = now() - created_at WHERE id IN (SELECT id FROM triage_issue "
                           "WHERE status = 'in_progress' ORDER BY id LIMIT 200)")
        busy = summary_refresh()
        transaction.set_rollback(True)
    print(f"incremental refresh, nothing changed: {1000 * idle.seconds:.0f} ms; "
          f"200 issues changed: {1000 * busy.seconds:.0f} ms ({busy.days} local days changed)")
    print(f"staleness bound: 60 s schedule (cron, and any read of a summary older than that refreshes first) "
          f"+ {1000 * busy.seconds:.0f} ms refresh = figures at most {60 + busy.seconds:.1f} s behind the issues\n")

    rng = random.Random(7)
    today = datetime.date.today()
    choropleth_periods = periods(today, args.requests, rng)
    cookie = planner_session(municipality)

    # --- raw SQL: the naive full scan, and the summary query ---------------------------------------
    with raw_connection() as raw, raw.cursor() as cursor:
        def naive_choropleth(first, last):
            cursor.execute(NAIVE_CHOROPLETH_SQL, {"first": first, "last": last, "municipality": municipality.id})
            cursor.fetchall()

        for first, last in choropleth_periods[:3]:
            naive_choropleth(first, last)
        naive = summary("naive SQL: count issues per ward", timed(
            (lambda f=first, la=last: naive_choropleth(f, la)) for first, last in choropleth_periods[:40]))

        def naive_hexgrid():
            cursor.execute(NAIVE_HEXGRID_SQL, {"municipality": municipality.id, "storage_srid": storage_srid()})
            cursor.fetchall()

        naive_hex = summary("naive SQL: ST_HexagonGrid 500 m x all issues", timed(naive_hexgrid for _ in range(3)))

    # --- the API over HTTP ------------------------------------------------------------------------
    with wsgi_server(workers=2) as port:
        connection_http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def get(path: str) -> bytes:
            connection_http.request("GET", path, headers={"Cookie": cookie})
            response = connection_http.getresponse()
            body = response.read()
            assert response.status == 200, (response.status, body[:300])
            return body

        def choropleth(first, last, figure="logged"):
            get(f"/api/v1/heatmaps/choropleth?municipality=GT423&figure={figure}&from={first}&to={last}")

        for first, last in choropleth_periods[:20]:
            choropleth(first, last)
        api = summary("API: choropleth of issues logged per ward", timed(
            (lambda f=first, la=last: choropleth(f, la)) for first, last in choropleth_periods))
        backlog = summary("API: choropleth of open backlog per ward", timed(
            (lambda f=first, la=last: choropleth(f, la, "backlog")) for first, last in choropleth_periods[:100]))
        month = [(today - datetime.timedelta(days=29), today)] * 20
        median_month = summary("API: median time to resolve, 30 days", timed(
            (lambda f=first, la=last: choropleth(f, la, "median_hours_to_resolve")) for first, last in month))
        year = [(today - datetime.timedelta(days=364), today)] * 10
        median_year = summary("API: median time to resolve, 365 days", timed(
            (lambda f=first, la=last: choropleth(f, la, "median_hours_to_resolve")) for first, last in year))
        everything = today - datetime.timedelta(days=800)
        hexes = get(f"/api/v1/heatmaps/hexgrid?municipality=GT423&size=500&from={everything}&to={today}")
        hexgrid = summary("API: 500 m hex grid, all issues (city-wide)", timed(
            (lambda: get(f"/api/v1/heatmaps/hexgrid?municipality=GT423&size=500&from={everything}&to={today}"))
            for _ in range(20)))
        year_hex = summary("API: 500 m hex grid, last 365 days", timed(
            (lambda: get(f"/api/v1/heatmaps/hexgrid?municipality=GT423&size=500&from={today - datetime.timedelta(days=364)}"
                         f"&to={today}")) for _ in range(20)))
        started = time.perf_counter()
        get(f"/api/v1/heatmaps/figures?municipality=GT423&from={today - datetime.timedelta(days=364)}&to={today}")
        table_ms = 1000 * (time.perf_counter() - started)
        connection_http.close()

    import json

    cells = len(json.loads(hexes)["features"])
    print(f"\nchoropleth p95: {api['p95_ms']:.1f} ms (target < 50 ms) vs naive SQL alone p95 {naive['p95_ms']:.1f} ms "
          f"({naive['p95_ms'] / api['p95_ms']:.1f}x); backlog p95 {backlog['p95_ms']:.1f} ms")
    print(f"hex grid 500 m, {cells:,} occupied cells of {issues:,} issues: p95 {hexgrid['p95_ms']:.0f} ms "
          f"(target < 500 ms) vs naive SQL p50 {naive_hex['p50_ms']:.0f} ms "
          f"({naive_hex['p50_ms'] / hexgrid['p50_ms']:.1f}x); last 365 days p95 {year_hex['p95_ms']:.0f} ms")
    print(f"exact medians from the facts: 30 days p95 {median_month['p95_ms']:.0f} ms, "
          f"365 days p95 {median_year['p95_ms']:.0f} ms; every figure per ward for 365 days: {table_ms:.0f} ms")


if __name__ == "__main__":
    main()
