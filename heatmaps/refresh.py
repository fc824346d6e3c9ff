"""Keeping the figures' derived tables up to date: IssueFact and the summaries built from it.

`summary_refresh()` runs every minute (`manage.py refresh_heatmap_summary` from cron) and, as a
safety net, before any figure is read from a summary older than a minute (`summary_ensure_fresh`).
It re-reads only the issues whose `updated_at` (or whose ratings' `created_at`) falls after the
previous run's start minus an overlap, rewrites their facts, and changes only the summary buckets
those issues touch: each old fact's contributions are subtracted and each new one's added
(INSERT ... ON CONFLICT DO UPDATE on the buckets' unique keys), so a refresh costs in proportion
to what changed, not to the size of the buckets. A full rebuild recomputes everything from the
facts, and the tests check that both give the same tables.

**Staleness.** A change committed before a refresh starts is in the figures when that refresh
commits. Cron starts one every minute and a read finding the last start more than 60 s old
refreshes first, so figures are at most 60 s behind the issues (plus the duration of a refresh
another request is running at that moment: milliseconds for a minute of changes). The overlap
(5 minutes) catches transactions that commit after the refresh began although their `updated_at`
was earlier; re-reading an issue that did not change adds and subtracts the same amounts.

Changes that do not move `updated_at` (issues written by bulk SQL with old timestamps, deleted
issues) are caught by `summary_refresh(full=True)` (`--full`), which rebuilds everything; history
imports refresh their own issues in their transaction (`facts_refresh`).
"""

import datetime
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from heatmaps.grid import HEX_SIZES, MUNICIPALITY_METRIC_SRID_SQL, hex_cell_sql
from heatmaps.models import SummaryState
from toolkit.replica import note_write
from triage.issues.workflow import OPEN_STATUSES

OVERLAP = datetime.timedelta(minutes=5)
MAX_AGE = datetime.timedelta(seconds=60)
LOCK = "heatmaps.summary_refresh"

FACT_COLUMNS = (
    "issue_id, unlocated_id, municipality_id, ward_id, suburb_id, has_location, category_id, kind, department_id, "
    "channel, status, asset_id, created_day, acknowledged_day, resolved_day, ended_day, seconds_to_acknowledge, "
    "seconds_to_resolve, within_target, rating_count, rating_sum, x, y"
)
AREA_DIMENSIONS = "ward_id, suburb_id, has_location"
DIMENSIONS = f"{AREA_DIMENSIONS}, category_id, kind, department_id, channel, status"
VALUES = ["logged", "acknowledged", "acknowledge_seconds", "resolved", "resolve_seconds", "resolved_with_target",
          "resolved_within_target", "rating_count", "rating_sum", "ended"]
SUMS = ", ".join(f"sum({value})" for value in VALUES)
COUNTS_ARE_ZERO = " AND ".join(f"{value} = 0" for value in VALUES if not value.endswith("seconds"))

# (table, dimensions, period of a day) of each summary a fact's contributions are added to.
SUMMARIES = [
    ("heatmaps_dailysummary", DIMENSIONS, "day"),
    ("heatmaps_monthlysummary", DIMENSIONS, "month"),
    ("heatmaps_dailyareasummary", AREA_DIMENSIONS, "day"),
    ("heatmaps_monthlyareasummary", AREA_DIMENSIONS, "month"),
]
_OPEN = "ARRAY[" + ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES)) + "]"


def _local_day(column: str) -> str:
    return f"({column} AT TIME ZONE m.timezone)::date"


def _period(kind: str, column: str) -> str:
    return column if kind == "day" else f"date_trunc('month', {column})::date"


# An issue ended when it last left the open statuses: resolved (resolved_at), or closed, rejected
# or merged without a resolution (closed_at); updated_at only for rows lacking both. Durations are
# exact here (medians and percentiles read them); the summaries add them up in whole seconds.
ISSUE_FACTS_SQL = f"""
WITH metric AS (SELECT m.id, {MUNICIPALITY_METRIC_SRID_SQL} AS srid FROM wards_municipality m)
SELECT i.id, NULL::bigint, i.municipality_id, i.ward_id, i.suburb_id, true, i.category_id, i.kind,
       i.department_id, i.channel, i.status, i.asset_id,
       {_local_day("i.created_at")}, {_local_day("i.acknowledged_at")}, {_local_day("i.resolved_at")},
       CASE WHEN i.status = ANY({_OPEN}) THEN NULL
            ELSE {_local_day("coalesce(i.resolved_at, i.closed_at, i.updated_at)")} END,
       extract(epoch FROM i.time_to_acknowledge), extract(epoch FROM i.time_to_resolve),
       CASE WHEN i.resolved_at IS NULL OR i.expected_at IS NULL THEN NULL ELSE i.resolved_at <= i.expected_at END,
       coalesce(r.n, 0), coalesce(r.total, 0),
       ST_X(p.g), ST_Y(p.g)
  FROM triage_issue i
  JOIN wards_municipality m ON m.id = i.municipality_id
  JOIN metric ON metric.id = m.id
  {{ratings}}
  LEFT JOIN LATERAL (SELECT ST_Transform(i.location, metric.srid) AS g WHERE metric.srid IS NOT NULL) p ON true
 WHERE {{where}}
"""
RATINGS_PER_ISSUE = ("LEFT JOIN LATERAL (SELECT count(*) AS n, sum(stars) AS total FROM triage_rating "
                     "WHERE issue_id = i.id) r ON true")
RATINGS_ALL = ("LEFT JOIN (SELECT issue_id, count(*) AS n, sum(stars) AS total FROM triage_rating "
               "GROUP BY issue_id) r ON r.issue_id = i.id")

# An imported issue outside the municipality keeps its point: it has a location (counted outside
# the areas, placed on the metric grid) but no ward or suburb.
UNLOCATED_FACTS_SQL = f"""
WITH metric AS (SELECT m.id, {MUNICIPALITY_METRIC_SRID_SQL} AS srid FROM wards_municipality m)
SELECT NULL::bigint, u.id, u.municipality_id, NULL::bigint, NULL::bigint, u.location IS NOT NULL, u.category_id, u.kind,
       u.department_id, u.channel, u.status, NULL::bigint,
       {_local_day("u.created_at")}, {_local_day("u.acknowledged_at")}, {_local_day("u.resolved_at")},
       CASE WHEN u.status = ANY({_OPEN}) THEN NULL
            ELSE {_local_day("coalesce(u.resolved_at, u.closed_at, u.created_at)")} END,
       extract(epoch FROM u.acknowledged_at - u.created_at), extract(epoch FROM u.resolved_at - u.created_at),
       CASE WHEN u.resolved_at IS NULL OR u.expected_at IS NULL THEN NULL ELSE u.resolved_at <= u.expected_at END,
       0, 0, ST_X(p.g), ST_Y(p.g)
  FROM heatmaps_unlocatedissue u
  JOIN wards_municipality m ON m.id = u.municipality_id
  JOIN metric ON metric.id = m.id
  LEFT JOIN LATERAL (SELECT ST_Transform(u.location, metric.srid) AS g
                      WHERE metric.srid IS NOT NULL AND u.location IS NOT NULL) p ON true
 WHERE {{where}}
"""


def contributions_sql(source: str) -> str:
    """Each fact of `source` (with a `sign` column: +1, or -1 to take it away) as the rows it adds
    to: logged on its report's day, acknowledged on its acknowledgement's, and so on."""
    s = "f.sign"
    return f"""
    SELECT f.municipality_id, f.created_day AS day, {DIMENSIONS},
           {s} AS logged, 0 AS acknowledged, 0::float8 AS acknowledge_seconds, 0 AS resolved,
           0::float8 AS resolve_seconds, 0 AS resolved_with_target, 0 AS resolved_within_target, 0 AS rating_count,
           0 AS rating_sum, 0 AS ended
      FROM {source} f
    UNION ALL
    SELECT f.municipality_id, f.acknowledged_day, {DIMENSIONS}, 0, {s}, {s} * round(f.seconds_to_acknowledge), 0, 0, 0, 0, 0,
           0, 0
      FROM {source} f WHERE f.acknowledged_day IS NOT NULL
    UNION ALL
    SELECT f.municipality_id, f.resolved_day, {DIMENSIONS}, 0, 0, 0, {s}, {s} * coalesce(round(f.seconds_to_resolve), 0),
           {s} * (f.within_target IS NOT NULL)::int, {s} * coalesce(f.within_target, false)::int,
           {s} * f.rating_count, {s} * f.rating_sum, 0
      FROM {source} f WHERE f.resolved_day IS NOT NULL
    UNION ALL
    SELECT f.municipality_id, f.ended_day, {DIMENSIONS}, 0, 0, 0, 0, 0, 0, 0, 0, 0, {s}
      FROM {source} f WHERE f.ended_day IS NOT NULL
    """


HEX_CELLS_SQL = f"""
SELECT f.municipality_id, date_trunc('month', f.created_day)::date AS month, s.size, hex_i, hex_j, sum(f.sign) AS logged
  FROM {{source}} f
 CROSS JOIN unnest(%(hex_sizes)s::int[]) AS s(size)
 {hex_cell_sql("f.x", "f.y", size="s.size::float8", h="(s.size * sqrt(3::float8) / 2)")}
 WHERE f.x IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5
"""


@dataclass
class RefreshResult:
    full: bool
    changed: int  # issues (and imported rows) re-read
    days: int  # summary days changed
    seconds: float
    watermark: datetime.datetime


def summary_refresh(*, full: bool = False, wait: bool = True) -> RefreshResult | None:
    """Bring the derived tables up to date. One refresh at a time (an advisory lock): with
    `wait=False`, return None at once when another is running."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [LOCK])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [LOCK])
            if not cursor.fetchone()[0]:
                return None
        cursor.execute("SELECT clock_timestamp()")  # not now(): a caller's transaction may have begun long ago
        start = cursor.fetchone()[0]
        state, _ = SummaryState.objects.select_for_update().get_or_create(id=1)
        full = full or state.watermark is None
        if full:
            changed, days = _rebuild_everything(cursor)
            state.last_full_at = start
        else:
            changed, days = _refresh_changed_since(cursor, state.watermark - OVERLAP, start)
        state.watermark = start
        state.refreshed_at = timezone.now()
        state.last_changed = changed
        state.last_duration_ms = int(1000 * (time.monotonic() - started))
        state.save()
    return RefreshResult(full=full, changed=changed, days=days, seconds=time.monotonic() - started, watermark=start)


def summary_ensure_fresh(*, max_age: datetime.timedelta = MAX_AGE) -> None:
    """Refresh first if the last refresh started more than `max_age` ago, unless another is
    already running (then its result is at most a refresh away)."""
    state = SummaryState.objects.filter(id=1).values_list("watermark", flat=True).first()
    if state is None or timezone.now() - state > max_age:
        summary_refresh(wait=False)
        note_write()  # the figures this request reads next come from the primary, refreshed (toolkit.replica)


def summary_freshness() -> dict:
    state = SummaryState.objects.filter(id=1).first()
    return {
        "refreshed_at": state.refreshed_at.isoformat() if state and state.refreshed_at else None,
        "includes_changes_until": state.watermark.isoformat() if state and state.watermark else None,
        "staleness_bound_seconds": int(MAX_AGE.total_seconds()),
    }


def facts_refresh(*, issue_ids: list[int] = (), unlocated_ids: list[int] = ()) -> int:
    """Rewrite the facts of these issues and imported rows (dropping those whose source row is
    gone) and move the summaries accordingly; in the caller's transaction. For the importer, whose
    history has old timestamps the incremental refresh would not look at."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [LOCK])
        return _apply_changes(cursor, list(issue_ids), list(unlocated_ids))


# --- the steps ---------------------------------------------------------------------------------

def _rebuild_everything(cursor) -> tuple[int, int]:
    # DELETE rather than TRUNCATE: readers keep the old figures until this commits.
    for table in ("heatmaps_issuefact", *(summary for summary, _, _ in SUMMARIES), "heatmaps_monthlyhexsummary"):
        cursor.execute(f"DELETE FROM {table}")
    cursor.execute(f"INSERT INTO heatmaps_issuefact ({FACT_COLUMNS}) "
                   + ISSUE_FACTS_SQL.format(ratings=RATINGS_ALL, where="true"))
    changed = cursor.rowcount
    cursor.execute(f"INSERT INTO heatmaps_issuefact ({FACT_COLUMNS}) " + UNLOCATED_FACTS_SQL.format(where="true"))
    changed += cursor.rowcount
    facts = "(SELECT *, 1 AS sign FROM heatmaps_issuefact)"
    cursor.execute(f"INSERT INTO heatmaps_dailysummary (municipality_id, period_start, {DIMENSIONS}, {', '.join(VALUES)}) "
                   f"SELECT municipality_id, day, {DIMENSIONS}, {SUMS} FROM ({contributions_sql(facts)}) c "
                   f"GROUP BY municipality_id, day, {DIMENSIONS}")
    cursor.execute("SELECT count(DISTINCT (municipality_id, period_start)) FROM heatmaps_dailysummary")
    days = cursor.fetchone()[0]
    for table, dimensions, period in SUMMARIES[1:]:
        cursor.execute(f"INSERT INTO {table} (municipality_id, period_start, {dimensions}, {', '.join(VALUES)}) "
                       f"SELECT municipality_id, {_period(period, 'period_start')}, {dimensions}, {SUMS} "
                       f"FROM heatmaps_dailysummary GROUP BY 1, 2, {dimensions}")
    cursor.execute("INSERT INTO heatmaps_monthlyhexsummary (municipality_id, period_start, size, i, j, logged) "
                   + HEX_CELLS_SQL.format(source=facts), {"hex_sizes": list(HEX_SIZES)})
    for table in ("heatmaps_issuefact", *(summary for summary, _, _ in SUMMARIES), "heatmaps_monthlyhexsummary"):
        cursor.execute(f"ANALYZE {table}")
    return changed, days


def _refresh_changed_since(cursor, since: datetime.datetime, until: datetime.datetime) -> tuple[int, int]:
    cursor.execute(
        """
        SELECT coalesce(array_agg(id), '{}') FROM (
            SELECT id FROM triage_issue WHERE updated_at > %(since)s AND updated_at <= %(until)s
            UNION
            SELECT issue_id FROM triage_rating WHERE created_at > %(since)s AND created_at <= %(until)s
        ) changed
        """,
        {"since": since, "until": until},
    )
    issue_ids = cursor.fetchone()[0]
    if not issue_ids:
        return 0, 0
    return len(issue_ids), _apply_changes(cursor, issue_ids, [])


def _apply_changes(cursor, issue_ids: list[int], unlocated_ids: list[int]) -> int:
    """Replace the facts of these sources and move every summary by the difference. Returns how
    many (municipality, day) buckets changed."""
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS heatmaps_delta ON COMMIT DROP AS "
                   "SELECT *, 0 AS sign FROM heatmaps_issuefact WITH NO DATA")
    cursor.execute(
        """
        WITH gone AS (
            DELETE FROM heatmaps_issuefact WHERE issue_id = ANY(%(issues)s) OR unlocated_id = ANY(%(unlocated)s)
            RETURNING *
        )
        INSERT INTO heatmaps_delta SELECT *, -1 FROM gone
        """,
        {"issues": issue_ids, "unlocated": unlocated_ids},
    )
    for sql, ids in ((ISSUE_FACTS_SQL.format(ratings=RATINGS_PER_ISSUE, where="i.id = ANY(%(ids)s)"), issue_ids),
                     (UNLOCATED_FACTS_SQL.format(where="u.id = ANY(%(ids)s)"), unlocated_ids)):
        if ids:
            cursor.execute(f"WITH written AS (INSERT INTO heatmaps_issuefact ({FACT_COLUMNS}) {sql} RETURNING *) "
                           "INSERT INTO heatmaps_delta SELECT *, 1 FROM written", {"ids": ids})
    cursor.execute("CREATE TEMP TABLE heatmaps_delta_days ON COMMIT DROP AS "
                   f"SELECT municipality_id, day, {DIMENSIONS}, "
                   + ", ".join(f"sum({value}) AS {value}" for value in VALUES)
                   + f" FROM ({contributions_sql('heatmaps_delta')}) c GROUP BY municipality_id, day, {DIMENSIONS}")
    cursor.execute("SELECT count(DISTINCT (municipality_id, day)) FROM heatmaps_delta_days")
    days = cursor.fetchone()[0]
    for table, dimensions, period in SUMMARIES:
        updates = ", ".join(f"{value} = t.{value} + EXCLUDED.{value}" for value in VALUES)
        cursor.execute(
            f"INSERT INTO {table} AS t (municipality_id, period_start, {dimensions}, {', '.join(VALUES)}) "
            f"SELECT municipality_id, {_period(period, 'day')}, {dimensions}, {SUMS} FROM heatmaps_delta_days "
            f"GROUP BY 1, 2, {dimensions} "
            f"ON CONFLICT (municipality_id, period_start, {dimensions}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DELETE FROM {table} t USING (SELECT DISTINCT municipality_id, {_period(period, 'day')} AS p "
                       f"FROM heatmaps_delta_days) d WHERE t.municipality_id = d.municipality_id "
                       f"AND t.period_start = d.p AND {COUNTS_ARE_ZERO}")
    cursor.execute(
        "INSERT INTO heatmaps_monthlyhexsummary AS t (municipality_id, period_start, size, i, j, logged) "
        + HEX_CELLS_SQL.format(source="heatmaps_delta")
        + " ON CONFLICT (municipality_id, size, period_start, i, j) DO UPDATE SET logged = t.logged + EXCLUDED.logged",
        {"hex_sizes": list(HEX_SIZES)})
    cursor.execute("DELETE FROM heatmaps_monthlyhexsummary t USING (SELECT DISTINCT municipality_id, "
                   "date_trunc('month', created_day)::date AS p FROM heatmaps_delta) d "
                   "WHERE t.municipality_id = d.municipality_id AND t.period_start = d.p AND t.logged = 0")
    cursor.execute("DROP TABLE heatmaps_delta_days")
    cursor.execute("TRUNCATE heatmaps_delta")
    return days
