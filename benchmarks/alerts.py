"""Matching a new issue to its area-alert recipients, in process: residents.selectors.alert_subscribers
(the ORM QuerySet, evaluated) beside the same SQL written by hand (psycopg), on one database.

500,000 residents and 200,000 alerts are generated once in the benchmark database (beside the
million issues of benchmarks/scale.py, when those are there) over the real Lesedi wards: 30% whole
wards, 50% circles of 200 m – 3 km around random points (ST_Buffer on geography), 10% drawn squares
of 0.5 – 4 km, 5% anonymous email subscribers; a fifth of the residents keep preferences (a tenth of
those with area alerts off). Then, for random points in the municipality, each side in turn (the
hand-written SQL tests the same distinct shapes, residents.AlertShape): p50/p95/p99 and the ratio
of throughputs (selector / hand-written SQL).

Usage: ./imbizo bench alerts [--points 1000]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import use_bench_database  # noqa: E402
from benchmarks.support import raw_connection, setup_django  # noqa: E402

RESIDENTS, ALERTS = 500_000, 200_000

HAND_SQL = """
SELECT DISTINCT ON (a.user_id, a.email) a.user_id, a.email, a.token, u.email, u.phone,
       p.by_email, p.by_sms, p.quiet_start, p.quiet_end
  FROM residents_areaalert a
  LEFT JOIN accounts_user u ON u.id = a.user_id
  LEFT JOIN residents_preferences p ON p.user_id = a.user_id
 WHERE a.shape_id IN (SELECT s.id FROM residents_alertshape s
                       WHERE ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)))
   AND a.confirmed_at IS NOT NULL AND a.issues AND a.municipality_id = %(municipality)s AND a.digest = 'each'
   AND (a.user_id IS NULL OR (u.is_active AND (p.user_id IS NULL OR p.area_alerts)))
 ORDER BY a.user_id, a.email
"""

RESIDENTS_SQL = """
INSERT INTO accounts_user (email, phone, phone_verified, full_name, home_address, password, is_superuser, is_staff, is_active,
                           date_joined)
SELECT 'resident' || n || '@bench.example', CASE WHEN n %% 3 = 0 THEN '+2760' || lpad(n::text, 7, '0') END,
       n %% 3 = 0, '', '', '!', false, false, true, now()
  FROM generate_series(1, %(count)s) AS n
"""

PREFERENCES_SQL = """
INSERT INTO residents_preferences (user_id, by_email, by_sms, by_push, my_issues, area_alerts, notices, language)
SELECT id, true, id % 2 = 0, true, true, id % 10 <> 0, true, ''
  FROM accounts_user WHERE email LIKE '%%@bench.example' AND id % 5 = 0
"""

# Alerts over the municipality: points by ST_GeneratePoints (seeded), each row's kind by its number.
ALERTS_SQL = """
WITH m AS (SELECT id, boundary FROM wards_municipality WHERE code = %(code)s),
users AS (SELECT array_agg(id) AS ids FROM accounts_user WHERE email LIKE '%%@bench.example'),
wards AS (SELECT array_agg(w.id ORDER BY w.id) AS ids FROM wards_ward w JOIN wards_boundaryset b
            ON b.id = w.boundary_set_id AND b.is_current JOIN m ON w.municipality_id = m.id),
points AS (SELECT row_number() OVER () AS n, d.geom AS p FROM m, ST_Dump(ST_GeneratePoints(m.boundary, %(count)s, 23)) AS d)
INSERT INTO residents_areaalert (user_id, email, municipality_id, source, ward_id, radius_m, area, issues, notices,
                                 digest, confirmed_at, token, created_at)
SELECT CASE WHEN n %% 20 = 0 THEN NULL ELSE users.ids[1 + (hashint4(n::int)::bigint & 2147483647) %% cardinality(users.ids)] END,
       CASE WHEN n %% 20 = 0 THEN 'anon' || n || '@bench.example' ELSE '' END,
       m.id,
       CASE WHEN n %% 20 < 6 THEN 'ward' WHEN n %% 20 < 8 THEN 'drawn' ELSE 'place' END,
       CASE WHEN n %% 20 < 6 THEN wards.ids[1 + n %% cardinality(wards.ids)] END,
       CASE WHEN n %% 20 >= 8 THEN 200 + (n * 7919) %% 2800 END,
       CASE WHEN n %% 20 < 6 THEN (SELECT geom FROM wards_ward WHERE id = wards.ids[1 + n %% cardinality(wards.ids)])
            WHEN n %% 20 < 8
              THEN ST_Multi(ST_Buffer(p::geography, 250 + (n * 104729) %% 1750, 'quad_segs=1 endcap=square')::geometry)
            ELSE ST_Multi(ST_Buffer(p::geography, 200 + (n * 7919) %% 2800, 'quad_segs=16')::geometry) END,
       true, true, CASE WHEN n %% 7 = 0 THEN 'daily' ELSE 'each' END, now(), 'bench-' || n, now()
  FROM points, m, users, wards
"""


def ensure_data(code: str = "GT423", log=print) -> int:
    from django.core.management import call_command
    from django.db import connection

    from residents.models import AreaAlert
    from wards.models import Municipality

    call_command("migrate", verbosity=0)
    if not Municipality.objects.filter(code=code).exists():
        call_command("load_demo", verbosity=0, issues=0)
    municipality = Municipality.objects.get(code=code)
    if AreaAlert.objects.filter(token__startswith="bench-", shape__isnull=False).count() >= ALERTS:
        return municipality.pk
    started = time.monotonic()
    log(f"Generating {RESIDENTS:,} residents and {ALERTS:,} alerts in {code} (once; kept in the benchmark database)")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("DELETE FROM residents_areaalert WHERE token LIKE 'bench-%%'")
        cursor.execute("DELETE FROM residents_alertshape s WHERE NOT EXISTS "
                       "(SELECT 1 FROM residents_areaalert a WHERE a.shape_id = s.id)")
        cursor.execute("DELETE FROM residents_preferences WHERE user_id IN "
                       "(SELECT id FROM accounts_user WHERE email LIKE '%%@bench.example')")
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE '%%@bench.example'")
        cursor.execute(RESIDENTS_SQL, {"count": RESIDENTS})
        cursor.execute(PREFERENCES_SQL)
        log(f"  residents ({time.monotonic() - started:.0f} s)")
        cursor.execute(ALERTS_SQL, {"code": code, "count": ALERTS})
        log(f"  alerts ({time.monotonic() - started:.0f} s)")
        # Their shared shapes, as residents.services.shape_for makes them (migration 0004's statements).
        cursor.execute("""INSERT INTO residents_alertshape (digest, geom)
                          SELECT DISTINCT ON (md5(ST_AsEWKB(area))) md5(ST_AsEWKB(area)), area FROM residents_areaalert
                              WHERE shape_id IS NULL
                          ON CONFLICT (digest) DO NOTHING""")
        cursor.execute("""UPDATE residents_areaalert a SET shape_id = s.id FROM residents_alertshape s
                           WHERE a.shape_id IS NULL AND s.digest = md5(ST_AsEWKB(a.area))""")
        log(f"  shapes ({time.monotonic() - started:.0f} s)")
        cursor.execute("VACUUM ANALYZE accounts_user")
        cursor.execute("VACUUM ANALYZE residents_preferences")
        cursor.execute("VACUUM ANALYZE residents_areaalert")
        cursor.execute("VACUUM ANALYZE residents_alertshape")
    log(f"  done in {time.monotonic() - started:.0f} s")
    return municipality.pk


def figures(label: str, durations: list[float]) -> dict:
    ordered = sorted(durations)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    result = {"label": label, "p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99),
              "per_second": len(durations) / sum(durations)}
    print(f"{label:<44} p50 {result['p50']:6.2f} ms  p95 {result['p95']:6.2f} ms  p99 {result['p99']:6.2f} ms  "
          f"{result['per_second']:7.0f}/s")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1000)
    args = parser.parse_args()
    use_bench_database()
    setup_django()
    from django.contrib.gis.geos import Point
    from django.db import connection

    from residents.selectors import alert_subscribers
    from wards.models import Municipality

    municipality_id = ensure_data()
    municipality = Municipality.objects.get(pk=municipality_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.25)")
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(boundary, %s, 99))).geom AS g "
                       "FROM wards_municipality WHERE id = %s) AS points", [args.points, municipality_id])
        points = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM residents_areaalert")
        alerts = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM accounts_user")
        users = cursor.fetchone()[0]
    print(f"{users:,} users, {alerts:,} alerts; {len(points)} random points in {municipality.code}\n")

    def orm(lon, lat):
        return list(alert_subscribers(point=Point(lon, lat, srid=4326), municipality=municipality))

    orm_times, hand_times, counts = [], [], []
    with raw_connection() as raw, raw.cursor() as cursor:
        def hand(lon, lat):
            cursor.execute(HAND_SQL, {"lon": lon, "lat": lat, "municipality": municipality_id})
            return cursor.fetchall()

        for lon, lat in points[:50]:  # warm-up: caches, plans, the connection
            orm(lon, lat), hand(lon, lat)
        for i, (lon, lat) in enumerate(points):
            # Alternate which side goes first, so whatever else loads the machine slows both alike.
            for side in ((orm, orm_times), (hand, hand_times)) if i % 2 == 0 else ((hand, hand_times), (orm, orm_times)):
                started = time.perf_counter()
                rows = side[0](lon, lat)
                side[1].append(time.perf_counter() - started)
            counts.append(len(rows))
            assert len(rows) == len(orm(lon, lat))
    print(f"recipients per issue: median {statistics.median(counts):.0f}, max {max(counts)}\n")
    selector = figures("selector (alert_subscribers, ORM, in process)", orm_times)
    baseline = figures("the same SQL by hand (psycopg)", hand_times)
    print(f"\nratio selector / hand-written SQL (throughput): {selector['per_second'] / baseline['per_second']:.2f}x "
          f"(target >= 0.8); selector p95 {selector['p95']:.1f} ms (target < 20 ms)")


if __name__ == "__main__":
    main()
