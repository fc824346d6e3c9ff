"""Point-in-ward lookups: /api/v1/areas/lookup through granian beside the same query in raw SQL.

One client, sequential requests, the same random points (inside the municipalities) for both.
Usage: ./imbizo bench area_lookup [--points 2000]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import http_get, raw_connection, setup_django, summary, timed, wsgi_server  # noqa: E402

RAW_SQL = """
SELECT m.code, m.name,
  (SELECT jsonb_build_object('number', w.number, 'code', w.code, 'year', b.year)
     FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id
    WHERE b.is_current AND w.municipality_id = m.id AND ST_Covers(w.geom, q.p)
    ORDER BY w.number, w.code LIMIT 1),
  (SELECT jsonb_build_object('name', s.name, 'code', s.code)
     FROM wards_suburb s WHERE s.municipality_id = m.id AND ST_Covers(s.geom, q.p)
    ORDER BY s.name, s.code LIMIT 1)
FROM wards_municipality m, (SELECT ST_SetSRID(ST_MakePoint(%s, %s), %s) AS p) AS q
WHERE ST_Covers(m.boundary, q.p)
ORDER BY m.code LIMIT 1
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from toolkit.conf import storage_srid

    call_command("load_demo", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Multi(ST_Union(boundary)), %s, 7)))"
            ".geom AS g FROM wards_municipality WHERE boundary IS NOT NULL) AS points",
            [args.points],
        )
        points = cursor.fetchall()
    print(f"{len(points)} random points inside {connection.settings_dict['NAME']}'s municipalities\n")

    srid = storage_srid()
    with raw_connection() as raw, raw.cursor() as cursor:
        for lon, lat in points[:100]:  # warm-up
            cursor.execute(RAW_SQL, [lon, lat, srid])

        def query(lon, lat):
            cursor.execute(RAW_SQL, [lon, lat, srid])
            cursor.fetchall()

        raw_sql = summary("raw SQL (psycopg)", timed((lambda lon=lon, lat=lat: query(lon, lat)) for lon, lat in points))

    with wsgi_server(workers=2) as port:
        for lon, lat in points[:100]:
            http_get(port, f"/api/v1/areas/lookup?lat={lat}&lon={lon}")
        statuses = []

        def call(lon, lat):
            status, _ = http_get(port, f"/api/v1/areas/lookup?lat={lat:.6f}&lon={lon:.6f}")
            statuses.append(status)

        api = summary("API over HTTP (granian, 2 workers)", timed(
            (lambda lon=lon, lat=lat: call(lon, lat)) for lon, lat in points
        ))
    assert set(statuses) == {200}, f"unexpected statuses {set(statuses)}"
    print(f"\nratio API / raw SQL: {api['per_second'] / raw_sql['per_second']:.2f}x")


if __name__ == "__main__":
    main()
