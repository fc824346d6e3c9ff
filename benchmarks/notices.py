"""Notices at city scale: audience preview, targeting + enqueueing, and delivery throughput.

A synthetic city on the real Lesedi wards (the demo's): N residents with a home point each (a
fifth with a phone only, a fifth with preferences: email off, or quiet hours) and M alert areas
(500 m circles, a quarter anonymous and confirmed). Printed in one run, beside a hand-written
INSERT … SELECT doing the same job:
- the audience preview for one suburb and for the whole municipality (p50/p95);
- targeting + enqueueing every message (notice_fan_out) vs the hand-written SQL, taking turns;
- Python memory at its peak while enqueueing (tracemalloc) for a suburb and for the municipality;
- delivery throughput with a provider that accepts at once, 1 and 2 workers.
The synthetic rows are deleted at the end.
Usage: ./imbizo bench notices [--residents 500000] [--alerts 100000] [--deliver 20000]
"""

import argparse
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support import setup_django, summary, timed  # noqa: E402

DOMAIN = "bench-notices.invalid"

# The same job written by hand, as one would without the app: home points covered by the target
# and alert areas meeting it, the email-else-SMS route, anonymous subscribers, one row per address.
HAND_ROUTES = """
SELECT DISTINCT ON (channel, address) channel, address, user_id
FROM (
    SELECT u.id AS user_id,
           CASE WHEN coalesce(pr.by_email, true) AND coalesce(u.email, '') <> '' THEN 'email' ELSE 'sms' END AS channel,
           CASE WHEN coalesce(pr.by_email, true) AND coalesce(u.email, '') <> '' THEN lower(u.email) ELSE u.phone END AS address
    FROM accounts_user u LEFT JOIN residents_preferences pr ON pr.user_id = u.id
    WHERE u.is_active AND coalesce(pr.notices, true) AND u.id IN (
        SELECT p.user_id FROM residents_place p, notices_notice n
        WHERE n.id = %(notice)s AND p.is_home AND ST_Covers(n.area, p.point)
        UNION
        SELECT a.user_id FROM residents_areaalert a, notices_notice n
        WHERE n.id = %(notice)s AND a.user_id IS NOT NULL AND a.notices AND ST_Intersects(n.area, a.area))
    UNION ALL
    SELECT NULL, 'email', lower(a.email) FROM residents_areaalert a, notices_notice n
    WHERE n.id = %(notice)s AND a.user_id IS NULL AND a.notices AND a.confirmed_at IS NOT NULL
      AND ST_Intersects(n.area, a.area)
) AS routes
WHERE coalesce(address, '') <> ''
ORDER BY channel, address, user_id NULLS LAST
"""
HAND_WRITTEN = f"""
INSERT INTO notices_outboundmessage (channel, address, user_id, municipality_id, subject, body, topic, state, attempts,
                                     last_error, created_at, send_after, dispatched_at, provider, provider_message_id,
                                     delivery_status)
SELECT channel, address, user_id, (SELECT municipality_id FROM notices_notice WHERE id = %(notice)s), 'subject', 'body',
       %(topic)s, 'skipped', 0, '', now(), NULL, now(), '', '', ''
FROM ({HAND_ROUTES}) AS routes
"""
HAND_COUNT = f"SELECT channel, count(*) FROM ({HAND_ROUTES}) AS routes GROUP BY ROLLUP (channel)"


class InstantChannel:
    def deliver(self, message):
        return None


def build_city(cursor, municipality_id: int, residents: int, alerts: int) -> None:
    print(f"building {residents:,} residents and {alerts:,} alert areas …", flush=True)
    start = time.perf_counter()
    cursor.execute("SELECT setseed(0.42)")
    cursor.execute("""
        CREATE TEMP TABLE bench_points AS
        SELECT row_number() OVER () AS n, point FROM (
            SELECT (ST_Dump(ST_GeneratePoints(boundary, %s, 42))).geom AS point FROM wards_municipality WHERE id = %s) AS points
        """, [residents, municipality_id])
    cursor.execute("""
        INSERT INTO accounts_user (password, is_superuser, email, phone, phone_verified, full_name, home_address, is_staff,
                                   is_active, date_joined)
        SELECT '!', false, CASE WHEN n %% 5 = 0 THEN NULL ELSE 'r' || n || '@' || %s END,
               CASE WHEN n %% 5 IN (0, 1) THEN '+2779' || lpad(n::text, 7, '0') END, n %% 5 IN (0, 1), 'bench-notices',
               n::text, false, true, now()
        FROM bench_points""", [DOMAIN])
    cursor.execute("""
        INSERT INTO residents_place (user_id, name, is_home, point, address, created_at)
        SELECT u.id, 'Home', true, b.point, '', now()
        FROM bench_points b JOIN accounts_user u ON u.full_name = 'bench-notices' AND u.home_address = b.n::text""")
    cursor.execute("ANALYZE accounts_user; ANALYZE residents_place")
    cursor.execute("""
        INSERT INTO residents_preferences (user_id, by_email, by_sms, by_push, my_issues, area_alerts, notices, quiet_start,
                                           quiet_end, language)
        SELECT p.user_id, p.user_id %% 2 = 0, true, true, true, true, p.user_id %% 50 <> 0,
               CASE WHEN p.user_id %% 2 = 1 THEN time '22:00' END, CASE WHEN p.user_id %% 2 = 1 THEN time '06:00' END, ''
        FROM residents_place p JOIN accounts_user u ON u.id = p.user_id
        WHERE u.email LIKE %s AND p.user_id %% 5 = 0""", ["%@" + DOMAIN])
    cursor.execute("""
        INSERT INTO residents_areaalert (user_id, email, municipality_id, source, radius_m, area, issues, notices, digest,
                                         confirmed_at, token, created_at)
        SELECT CASE WHEN b.n %% 4 = 0 THEN NULL
                    ELSE (SELECT id FROM accounts_user WHERE email = 'r' || (5 * (b.n * 7 %% (%s / 5)) + 1) || '@' || %s) END,
               CASE WHEN b.n %% 4 = 0 THEN 'anon' || b.n || '@' || %s ELSE '' END, %s, 'drawn', 500,
               ST_Multi(ST_Buffer(b.point::geography, 500, 8)::geometry), true, true, 'each',
               CASE WHEN b.n %% 4 = 0 THEN now() END, 'bench-' || b.n, now()
        FROM bench_points b WHERE b.n <= %s""", [residents, DOMAIN, DOMAIN, municipality_id, alerts])
    cursor.execute("ANALYZE accounts_user; ANALYZE residents_place; ANALYZE residents_areaalert; ANALYZE residents_preferences")
    print(f"built in {time.perf_counter() - start:.0f} s\n", flush=True)


def clean_up(cursor) -> None:
    cursor.execute("DELETE FROM notices_outboundmessage WHERE topic LIKE 'bench:%%' OR address LIKE %s", ["%@" + DOMAIN])
    cursor.execute("DELETE FROM notices_outboundmessage WHERE user_id IN "
                   "(SELECT id FROM accounts_user WHERE full_name = 'bench-notices')")
    cursor.execute("DELETE FROM notices_outboundmessage WHERE topic IN (SELECT 'notice:' || id || ':v1' FROM notices_notice "
                   "WHERE title LIKE 'Benchmark%%')")
    cursor.execute("DELETE FROM notices_notice_suburbs WHERE notice_id IN "
                   "(SELECT id FROM notices_notice WHERE title LIKE 'Benchmark%%')")
    cursor.execute("DELETE FROM notices_notice WHERE title LIKE 'Benchmark%%'")
    cursor.execute("DELETE FROM residents_areaalert WHERE token LIKE 'bench-%%'")
    bench_users = "SELECT id FROM accounts_user WHERE full_name = 'bench-notices'"
    cursor.execute(f"DELETE FROM residents_preferences WHERE user_id IN ({bench_users})")
    cursor.execute(f"DELETE FROM residents_place WHERE user_id IN ({bench_users})")
    cursor.execute(f"DELETE FROM accounts_user WHERE id IN ({bench_users})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--deliver", type=int, default=20_000)
    parser.add_argument("--previews", type=int, default=30)
    parser.add_argument("--turns", type=int, default=3, help="Runs of each enqueue, taking turns with the baseline.")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from notices import outbound
    from notices.models import OutboundMessage
    from notices.notice import Notice
    from notices.notice_audience import notice_audience
    from notices.notice_services import notice_fan_out, notice_write
    from wards.models import Municipality

    call_command("load_demo", verbosity=0)
    lesedi = Municipality.objects.get(code="GT423")
    with connection.cursor() as cursor:
        clean_up(cursor)
    try:
        with connection.cursor() as cursor:
            build_city(cursor, lesedi.pk, args.residents, args.alerts)
        suburb = lesedi.suburbs.get(name="Heidelberg")
        notices = {
            "suburb": notice_write(municipality=lesedi, actor=None, title="Benchmark suburb", body="Bench.",
                                   target=Notice.Target.SUBURBS, suburbs=[suburb]),
            "municipality": notice_write(municipality=lesedi, actor=None, title="Benchmark municipality", body="Bench.",
                                         target=Notice.Target.MUNICIPALITY),
        }
        for name, notice in notices.items():
            audience = notice_audience(notice=notice)
            print(f"{name}: {audience.people:,} people, {audience.channels}")
        print()
        def hand_count(notice):
            with connection.cursor() as cursor:
                cursor.execute(HAND_COUNT, {"notice": notice.pk})
                return cursor.fetchall()

        for name, notice in notices.items():
            runs = args.previews if name == "suburb" else max(5, args.previews // 6)
            ours_preview = summary(f"audience preview, {name}",
                                   timed([lambda notice=notice: notice_audience(notice=notice)] * runs))
            hand_preview = summary(f"hand-written count, {name}", timed([lambda notice=notice: hand_count(notice)] * runs))
            print(f"  ratio p95 {ours_preview['p95_ms'] / hand_preview['p95_ms']:.2f}x")
        print()

        def ours(notice):
            with outbound.recording_only():
                return notice_fan_out(notice=notice)

        def hand_written(notice):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(HAND_WRITTEN, {"topic": f"bench:{notice.pk}", "notice": notice.pk})
                return cursor.rowcount

        def forget(notice):
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM notices_outboundmessage WHERE topic IN (%s, %s)",
                               [notice.topic, f"bench:{notice.pk}"])
            Notice.objects.filter(pk=notice.pk).update(notified_versions=[])
            notice.notified_versions = []

        for name, notice in notices.items():
            times = {"ours": [], "hand": []}
            counts = {}
            for turn in range(args.turns):
                order = [("ours", ours), ("hand", hand_written)] if turn % 2 == 0 else [("hand", hand_written), ("ours", ours)]
                for label, job in order:
                    forget(notice)
                    start = time.perf_counter()
                    counts[label] = job(notice)
                    times[label].append(time.perf_counter() - start)
            forget(notice)
            ours_s, hand_s = statistics.median(times["ours"]), statistics.median(times["hand"])
            print(f"enqueue, {name}: notice_fan_out {counts['ours']:,} messages in {ours_s:.2f} s; hand-written SQL "
                  f"{counts['hand']:,} in {hand_s:.2f} s; ratio {ours_s / hand_s:.2f}x")
        print()

        for name, notice in notices.items():
            forget(notice)
            tracemalloc.start()
            count = ours(notice)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"Python memory at peak while enqueueing, {name}: {peak / 1024:.0f} KiB for {count:,} messages")
            forget(notice)
        print()

        notice = notices["suburb"]
        instant = f"{__name__}.InstantChannel"
        settings.IMBIZO = {**settings.IMBIZO, "CHANNELS": {"email": instant, "sms": instant}}
        waiting = OutboundMessage.objects.filter(state__in=outbound.WAITING).exclude(topic=notice.topic).count()
        if waiting:
            print(f"delivery not measured: {waiting} other messages wait in this database's queue")
        for workers in (1, 2) if not waiting else ():
            forget(notice)
            ours(notice)
            with connection.cursor() as cursor:
                cursor.execute("UPDATE notices_outboundmessage SET state = 'queued', send_after = NULL WHERE id IN "
                               "(SELECT id FROM notices_outboundmessage WHERE topic = %s ORDER BY id LIMIT %s)",
                               [notice.topic, args.deliver])
            threads = [threading.Thread(target=lambda: (outbound.deliver_waiting(retry_failed=False, batch=200),
                                                        connection.close())) for _ in range(workers)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            sent = OutboundMessage.objects.filter(topic=notice.topic, state=OutboundMessage.State.SENT).count()
            print(f"delivery, instant provider, {workers} worker(s): {sent:,} messages in {elapsed:.1f} s "
                  f"= {sent / elapsed:,.0f}/s")
        forget(notice)
    finally:
        with connection.cursor() as cursor:
            clean_up(cursor)


if __name__ == "__main__":
    main()
