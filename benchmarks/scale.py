"""A million issues for the benchmarks that need them (board, layers, heatmaps).

They live in their own database, `<name>_bench` beside the usual one, built once (a few minutes)
and reused by every later run, so the demo database and its public map stay small.

    from benchmarks.scale import use_bench_database, ensure_issues
    use_bench_database()          # before django.setup()
    setup_django()
    ensure_issues()               # 1,000,000 issues over the real Lesedi wards, 100,000 open

The issues are generated in SQL: points by ST_GeneratePoints inside the municipality, ward and
suburb by ST_Covers as intake finds them, categories weighted as in the demo, reports spread over
two years with acknowledgement and resolution times, 10% still open. References are
`<code>-B<n>`, channel 'import', external_id 'scale:<n>'.
"""

import os
import sys
import time
from urllib.parse import urlparse, urlunparse

BENCH_SUFFIX = "_bench"


def use_bench_database() -> str:
    """Point DATABASE_URL at the benchmark database, creating it when missing. Returns its name."""
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") + BENCH_SUFFIX
    with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                         dbname="postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunparse(url._replace(path=f"/{name}"))
    return name


GENERATE_SQL = """
INSERT INTO triage_issue (municipality_id, reference, token, tracking_key, category_id, kind, location, address,
    description, answers, media_url, channel, external_id, reporter_name, reporter_phone, reporter_email,
    department_id, priority, status, status_note, rejection_reason, upvotes,
    created_at, updated_at, acknowledged_at, resolved_at, closed_at, expected_at,
    time_to_acknowledge, time_to_resolve)
SELECT m.id, m.code || '-B' || (%(offset)s + g.path[1]), gen_random_uuid(), md5(random()::text), c.id, c.kind, g.geom, '',
       '', '{}', '', 'import', 'scale:' || (%(offset)s + g.path[1]), '', '', '', c.default_department_id, c.default_priority,
       t.status, '', '', 0,
       t.created, t.created + t.ack + t.res, t.created + t.ack,
       CASE WHEN t.status IN ('resolved', 'closed') THEN t.created + t.ack + t.res END,
       CASE WHEN t.status = 'closed' THEN t.created + t.ack + t.res + interval '3 days' END,
       t.created + make_interval(hours => coalesce(c.sla_hours, 168)),
       t.ack, CASE WHEN t.status IN ('resolved', 'closed') THEN t.ack + t.res END
FROM wards_municipality m
CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(m.boundary, %(count)s, %(seed)s)) g
CROSS JOIN LATERAL (
    SELECT (array_agg(id ORDER BY id))[1 + floor(random() * count(*))::int] AS id FROM triage_category
     WHERE municipality_id = m.id AND g.path[1] > 0
) pick
JOIN triage_category c ON c.id = pick.id
CROSS JOIN LATERAL (
    SELECT now() - (random() * interval '730 days') AS created,
           random() * interval '48 hours' AS ack,
           random() * interval '20 days' AS res,
           CASE WHEN g.path[1] %% 10 = 0
                THEN (ARRAY['submitted', 'acknowledged', 'assigned', 'in_progress'])[1 + (g.path[1] / 10) %% 4]
                WHEN g.path[1] %% 10 = 1 THEN 'resolved' ELSE 'closed' END AS status
) t
WHERE m.code = %(code)s
"""


def ensure_demo(code: str = "GT423") -> None:
    """Migrate the benchmark database and load the demo into it (without its issues) if the municipality is missing."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from wards.models import Municipality

    if not Municipality.objects.filter(code=code).exists():
        call_command("load_demo", verbosity=0, issues=0)


def ensure_issues(total: int = 1_000_000, *, code: str = "GT423", batch: int = 100_000, log=print) -> int:
    """Make sure the benchmark database holds `total` generated issues in the municipality."""
    from django.db import connection

    ensure_demo(code)
    from triage.issues.models import Issue
    have = Issue.objects.filter(external_id__startswith="scale:").count()
    if have >= total:
        return have
    log(f"Generating {total - have:,} issues in {code} (once; kept in the benchmark database)")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        while have < total:
            count = min(batch, total - have)
            cursor.execute(GENERATE_SQL, {"offset": have, "count": count, "seed": 1 + have // batch, "code": code})
            have += count
            log(f"  {have:,} issues ({time.monotonic() - started:.0f} s)")
            sys.stdout.flush()
        log("  finding wards and suburbs")
        cursor.execute("""
            UPDATE triage_issue i SET ward_id = w.id
              FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id AND b.is_current
             WHERE i.external_id LIKE 'scale:%%' AND i.ward_id IS NULL AND w.municipality_id = i.municipality_id
               AND ST_Covers(w.geom, i.location)""")
        cursor.execute("""
            UPDATE triage_issue i SET suburb_id = s.id FROM wards_suburb s
             WHERE i.external_id LIKE 'scale:%%' AND i.suburb_id IS NULL AND s.municipality_id = i.municipality_id
               AND ST_Covers(s.geom, i.location)""")
        cursor.execute("VACUUM ANALYZE triage_issue")
    log(f"  done in {time.monotonic() - started:.0f} s")
    return have
