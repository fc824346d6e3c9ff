"""Nearest-5 facilities: /api/v1/facilities/nearest through granian beside the very SQL that view
runs (GeoJSON included), executed through psycopg, on 10,000 facilities and 100,000 assets.

The synthetic rows are added in one transaction, marked external_id 'bench:*', and removed at
the end. Usage: ./imbizo bench nearest_facilities [--queries 2000]
"""

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import (  # noqa: E402
    floor_figures,
    http_get,
    print_ceiling,
    raw_connection,
    setup_django,
    summary,
    timed,
    wsgi_server,
)

FACILITIES, ASSETS = 10_000, 100_000


def populate(cursor, municipality_id, type_ids, asset_type_id):
    cursor.execute("SELECT setseed(0.25)")
    cursor.execute(
        """
        INSERT INTO assets_facility (municipality_id, facility_type_id, external_id, name, address, location, phone,
                                     email, services, opening_hours, source, is_generated)
        SELECT %(m)s, (%(types)s::bigint[])[1 + d.path[1] %% cardinality(%(types)s::bigint[])], 'bench:' || d.path[1],
               'Bench facility ' || d.path[1], '', d.geom, '', '', '', '', 'benchmark', true
        FROM (SELECT boundary FROM wards_municipality WHERE id = %(m)s) AS m,
             ST_Dump(ST_GeneratePoints(m.boundary, %(n)s, 11)) AS d
        """,
        {"m": municipality_id, "types": type_ids, "n": FACILITIES},
    )
    cursor.execute(
        """
        INSERT INTO assets_asset (asset_type_id, municipality_id, external_id, geom, status, attributes, is_generated)
        SELECT %(t)s, %(m)s, 'bench:' || d.path[1], d.geom, 'in_service', '{}'::jsonb, true
        FROM (SELECT boundary FROM wards_municipality WHERE id = %(m)s) AS m,
             ST_Dump(ST_GeneratePoints(m.boundary, %(n)s, 12)) AS d
        """,
        {"m": municipality_id, "t": asset_type_id, "n": ASSETS},
    )
    cursor.execute("ANALYZE assets_facility; ANALYZE assets_asset; ANALYZE assets_openinginterval")


def concurrent(label, work, items, clients=2):
    """The same calls split over `clients` threads; returns calls per second."""
    import time

    chunks = [items[i::clients] for i in range(clients)]
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda chunk=chunk: [work(*item) for item in chunk]) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = len(items) / (time.perf_counter() - start)
    print(f"{label:<44} {len(items):>6} calls  {rate:>9.0f}/s  ({clients} clients)")
    return rate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    from django.contrib.gis.geos import Point
    from django.core.management import call_command
    from django.db import connection, transaction

    from assets.api import FACILITY_PROPERTIES
    from assets.models import Asset, AssetType, Facility, FacilityType
    from toolkit.conf import storage_srid
    from toolkit.geojson import feature_collection_sql
    from wards.models import Municipality

    call_command("load_demo", verbosity=0)
    municipality = Municipality.objects.get(code="WC023")
    with transaction.atomic(), connection.cursor() as cursor:
        Facility.objects.filter(external_id__startswith="bench:").delete()
        Asset.objects.filter(external_id__startswith="bench:").delete()
        populate(cursor, municipality.pk, list(FacilityType.objects.values_list("pk", flat=True)),
                 AssetType.objects.get(municipality=municipality, code="streetlight").pk)
        cursor.execute("SELECT setseed(0.75)")
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Dump(ST_GeneratePoints("
                       "(SELECT boundary FROM wards_municipality WHERE id = %s), %s, 13)) AS d(path, g)",
                       [municipality.pk, args.queries])
        points = cursor.fetchall()
    print(f"{Facility.objects.count()} facilities, {Asset.objects.count()} assets; {len(points)} query points\n")

    def view_sql(lon, lat):
        """The SQL NearestFacilitiesView runs, with its geometry parameters as plain EWKB bytes."""
        point = Point(lon, lat, srid=storage_srid())
        sql, params = feature_collection_sql(
            Facility.objects.with_open_now().nearest(point, k=5), geometry="location", feature_id="pk",
            properties={**FACILITY_PROPERTIES, "open_now": "open_now", "distance_m": "distance_m"})
        return sql, [getattr(p, "ewkb", p) for p in params]

    try:
        with raw_connection() as raw:
            def query(lon, lat, cursor=None):
                sql, params = prepared[(lon, lat)]
                (cursor or shared_cursor).execute(sql, params)
                (cursor or shared_cursor).fetchone()

            prepared = {(lon, lat): view_sql(lon, lat) for lon, lat in points}
            shared_cursor = raw.cursor()
            for lon, lat in points[:100]:
                query(lon, lat)
            raw_figures = summary("raw SQL through psycopg (the view's SQL)",
                                  timed((lambda p=p: query(*p)) for p in points))
        with wsgi_server(workers=2) as port:
            def call(lon, lat):
                status, body = http_get(port, f"/api/v1/facilities/nearest?lat={lat:.6f}&lon={lon:.6f}&k=5")
                assert status == 200 and body.count(b'"Feature"') == 5, (status, body[:200])

            for lon, lat in points[:100]:
                call(lon, lat)
            floor = floor_figures(port, len(points))
            api_figures = summary("API over HTTP (granian, 2 workers)", timed((lambda p=p: call(*p)) for p in points))
            api_parallel = concurrent("API over HTTP, 2 clients", call, points)
        raw_connections = [raw_connection() for _ in range(2)]
        cursors = [c.cursor() for c in raw_connections]
        local = threading.local()

        def raw_call(lon, lat):
            if not hasattr(local, "cursor"):
                local.cursor = cursors.pop()
            query(lon, lat, local.cursor)

        raw_parallel = concurrent("raw SQL through psycopg, 2 clients", raw_call, points)
        for c in raw_connections:
            c.close()
    finally:
        Facility.objects.filter(external_id__startswith="bench:").delete()
        Asset.objects.filter(external_id__startswith="bench:").delete()

    print(f"\nratio API / raw SQL, 1 client: {api_figures['per_second'] / raw_figures['per_second']:.2f}x "
          f"(target >= 0.5x); API p99 {api_figures['p99_ms']:.2f} ms (target < 10 ms)")
    print(f"ratio API / raw SQL, 2 clients: {api_parallel / raw_parallel:.2f}x")
    print_ceiling(floor, raw_figures)


if __name__ == "__main__":
    main()
