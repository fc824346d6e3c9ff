"""Intake, A/B: POST /api/v1/issues on this tree against the baseline commit (benchmarks/ab.py), each
behind its own granian with 2 workers, on the same database, taking turns.

Every request is an anonymous JSON report with an Idempotency-Key of its own, in the streetlight
category, at a point inside the municipality: intake finds the ward and suburb, snaps to the nearest
of 100,000 streetlights within the category's radius, routes, numbers, stores the issue and its
history line and queues the department's message (no worker sends it: the rows are removed at the
end). Real Lesedi wards (GT423) when ../shared/data is there, else the generated Drakenstein.
GET /healthz, the floor under every request, is measured the same way first: both sides should match.

Targets: new p95 under 15 ms with one client; new throughput with 4 clients at least 0.7x the old.
Synthetic rows are marked ('bench:' assets, 'bench intake' issues, 'bench-' keys) and removed at the end.
Usage: ./imbizo bench intake [--reports 1000] [--ref ad9a981]
"""

import argparse
import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ab  # noqa: E402
from benchmarks.support import setup_django  # noqa: E402

ASSETS = 100_000
MARK = "bench intake"
CLIENTS = 4  # two per granian worker: one per worker thread


def populate_assets(cursor, municipality_id: int, asset_type_id: int) -> None:
    """100,000 streetlights spread over the municipality, so the snap searches a real network."""
    cursor.execute(
        """
        INSERT INTO assets_asset (asset_type_id, municipality_id, external_id, geom, status, attributes, is_generated)
        SELECT %(t)s, %(m)s, 'bench:' || d.path[1], d.geom, 'in_service', '{}'::jsonb, true
        FROM (SELECT boundary FROM wards_municipality WHERE id = %(m)s) AS m,
             ST_Dump(ST_GeneratePoints(m.boundary, %(n)s, 21)) AS d
        """,
        {"m": municipality_id, "t": asset_type_id, "n": ASSETS},
    )


def report_points(cursor, municipality_id: int, count: int) -> list[tuple[float, float]]:
    cursor.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Dump(ST_GeneratePoints("
                   "(SELECT boundary FROM wards_municipality WHERE id = %s), %s, 23)) AS d(path, g)",
                   [municipality_id, count])
    return cursor.fetchall()


def settle(cursor) -> None:
    """Write out what setting up dirtied (100,000 assets and their indexes) before anything is timed:
    left to the background checkpointer it would be flushed, and logged page by page, during the run."""
    cursor.execute("VACUUM ANALYZE assets_asset")
    try:
        cursor.execute("CHECKPOINT")
    except Exception as exc:  # CHECKPOINT needs a superuser or pg_checkpoint; on another's server, go on without
        print(f"(no CHECKPOINT before timing: {exc})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1000, help="reports a side with one client (twice as many with 4)")
    parser.add_argument("--ref", default=ab.BASELINE, help="the baseline commit")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from assets.models import Asset
    from notices.models import OutboundMessage
    from triage.intake.models import IntakeKey
    from triage.intake.services import ensure_reference_sequence, reference_year
    from triage.issues.models import Category, Issue
    from wards.models import Municipality

    call_command("load_demo", verbosity=0)
    municipality = Municipality.objects.filter(code="GT423").first() or Municipality.objects.get(code="WC023")
    category = Category.objects.get(municipality=municipality, code="streetlight-out")

    def clean_up():
        with transaction.atomic():
            bench = Issue.objects.filter(description=MARK)
            topics = [f"issue:{reference}" for reference in bench.values_list("reference", flat=True)]
            OutboundMessage.objects.filter(topic__in=topics).delete()
            bench.delete()
            IntakeKey.objects.filter(key__startswith="bench-").delete()
            Asset.objects.filter(external_id__startswith="bench:").delete()

    clean_up()
    with transaction.atomic(), connection.cursor() as cursor:
        populate_assets(cursor, municipality.pk, category.asset_type_id)
        cursor.execute("SELECT setseed(0.5)")
        points = report_points(cursor, municipality.pk, 2 * args.reports)
        ensure_reference_sequence(municipality, reference_year(municipality, timezone.now()))
    with connection.cursor() as cursor:
        settle(cursor)
    print(f"{municipality.code}: {Asset.objects.filter(asset_type=category.asset_type).count():,} streetlights, "
          f"{Issue.objects.count():,} issues before the run\n")

    def report(i: int) -> ab.Request:
        lon, lat = points[i % len(points)]
        body = json.dumps({"category": category.pk, "lat": lat, "lon": lon, "description": MARK}).encode()
        return ab.Request("/api/v1/issues", "POST", body,
                          {"Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4()}"})

    floor = ab.Scenario("floor: GET /healthz", lambda i: ab.Request("/healthz"), count=args.reports)
    one = ab.Scenario("intake: POST /api/v1/issues", report, expect=201, count=args.reports, seconds=120)
    many = ab.Scenario("intake: POST /api/v1/issues", report, expect=201, count=2 * args.reports, seconds=120,
                       clients=CLIENTS, block=200)
    try:
        with ab.servers(args.ref) as pair:
            ab.print_header(pair)
            rows = []
            for scenario in (floor, one, many):
                rows.append(ab.compare(pair, scenario))
                print(ab.row_line(rows[-1]))
        filed = Issue.objects.filter(description=MARK).count()
    finally:
        clean_up()

    _, single, parallel = rows
    p95 = single.new.percentile(0.95)
    ratio = parallel.new.per_second / parallel.old.per_second
    print(f"\n{filed:,} reports filed, removed again")
    print(f"new p95 with one client: {p95:.2f} ms (target < 15 ms): {ab.verdict(p95 < 15)}")
    print(f"new throughput with {CLIENTS} clients: {parallel.new.per_second:.0f}/s against the old "
          f"{parallel.old.per_second:.0f}/s, {ratio:.2f}x (target >= 0.7x): {ab.verdict(ratio >= 0.7)}")


if __name__ == "__main__":
    main()
