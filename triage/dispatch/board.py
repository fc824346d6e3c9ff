"""What the dispatcher board reads: who sees which issues, the filtered queue (GeoJSON built in
SQL, the same rows for the map and the list), clusters of likely duplicates, and SLA counts per
department. Changes go through triage.issues.services; this module only reads.

- Dispatchers (triage.triage_issue) see every issue of their municipality; department staff
  (triage.work_issue) only their departments' issues; superusers everything.
- The queue and the map draw one response: a FeatureCollection of the filtered issues, ordered for
  the queue, with the properties a queue row shows. Lists of thousands are built by PostgreSQL,
  far faster than a per-feature serializer.
- Likely duplicates are clusters of open issues of the same municipality and category, found by
  ST_ClusterDBSCAN partitioned by (municipality, category) in a metric CRS (the UTM zone of the
  municipality, so eps is in metres), eps = the category's duplicate radius. With minpoints 2 an
  issue is in a cluster exactly when another open issue of its category lies within eps, so a
  cluster is a chain of close reports. An issue snapped to an asset counts as standing at the asset:
  reports of the same streetlight always group, from whichever side of the street they came.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from triage.issues.models import PRIORITY_RANK, Issue
from triage.issues.workflow import OPEN_STATUSES

MAX_LIST = 10_000
DEFAULT_LIST = 5_000

# Each order but the last is read straight from a partial index of open issues (triage.issues.models).
SORTS = {
    # Most pressing first: urgent before low, then the target that is (or will be) missed first.
    "priority": ("priority_rank", F("expected_at").asc(nulls_last=True), "created_at", "id"),
    "due": (F("expected_at").asc(nulls_last=True), "priority_rank", "created_at", "id"),
    "oldest": ("created_at", "id"),
    "newest": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}


# --- who sees what --------------------------------------------------------------------------------

def may_use_board(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser
        or (user.municipality_id and (user.has_perm("triage.triage_issue") or user.has_perm("triage.work_issue")))
    ))


def is_dispatcher(user) -> bool:
    return bool(user.is_superuser or user.has_perm("triage.triage_issue"))


def board_issues(user):
    """Every issue the user may see on the board (any status)."""
    if not may_use_board(user):
        return Issue.objects.none()
    return Issue.objects.visible_to_staff(user)


# --- filters ----------------------------------------------------------------------------------------

@dataclass
class BoardFilter:
    """What the dispatcher chose in the filter bar. Empty means 'any'. Parsed (and refused with the
    parameter named) at the edge, in triage.dispatch.board_api."""

    municipality_id: int | None = None  # a superuser's choice, as an id: a constant the planner sees, so the
    # queue's indexes give its order (staff see their own municipality's issues, board_issues)
    wards: list[int] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)  # codes; "none" = not routed yet
    categories: list[str] = field(default_factory=list)  # codes
    statuses: list[str] = field(default_factory=lambda: sorted(OPEN_STATUSES))
    priorities: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    older_than_days: int | None = None
    newer_than_days: int | None = None
    overdue: bool | None = None
    duplicates: str = ""  # "likely": in a cluster of likely duplicates; "merged": has duplicates merged in
    assignee: int | None = None
    query: str = ""  # part of a reference or address


def filtered(issues, choice: BoardFilter, *, now: datetime.datetime):
    """The issues matching the filter; `duplicates=likely` clusters the rest of the filter's open
    issues first (see likely_duplicate_ids_sql)."""
    # Codes and numbers become lists of ids first (one small query), not joins or subqueries: seeing the
    # ids as constants, PostgreSQL reads the issues in an index's order, or picks the ward's or category's
    # own index when they are few, rather than testing a subplan on every open issue.
    if choice.municipality_id is not None:
        issues = issues.filter(municipality_id=choice.municipality_id)
    ids = _ids_of(wards=choice.wards, departments=[code for code in choice.departments if code != "none"],
                  categories=choice.categories)
    if choice.wards:
        issues = issues.filter(ward_id__in=ids["ward"]) if ids["ward"] else issues.filter(NOTHING)
    if choice.departments:
        condition = Q(department_id__in=ids["department"]) if ids["department"] else NOTHING
        if "none" in choice.departments:
            condition |= Q(department__isnull=True)
        issues = issues.filter(condition)
    if choice.categories:
        issues = issues.filter(category_id__in=ids["category"]) if ids["category"] else issues.filter(NOTHING)
    if choice.statuses:
        issues = issues.filter(status__in=choice.statuses)
    if choice.priorities:  # by rank: the queue's indexes carry it, not the name
        issues = issues.filter(priority_rank__in=[PRIORITY_RANK[name] for name in choice.priorities])
    if choice.channels:
        issues = issues.filter(channel__in=choice.channels)
    if choice.older_than_days is not None:
        issues = issues.filter(created_at__lt=now - datetime.timedelta(days=choice.older_than_days))
    if choice.newer_than_days is not None:
        issues = issues.filter(created_at__gte=now - datetime.timedelta(days=choice.newer_than_days))
    if choice.overdue is True:
        issues = issues.filter(status__in=OPEN_STATUSES, expected_at__lt=now)
    elif choice.overdue is False:
        issues = issues.exclude(Q(status__in=OPEN_STATUSES) & Q(expected_at__lt=now))
    if choice.assignee is not None:
        issues = issues.filter(assignee_id=choice.assignee)
    if choice.query:
        issues = issues.filter(Q(reference__icontains=choice.query) | Q(address__icontains=choice.query))
    if choice.duplicates == "merged":
        issues = issues.filter(Exists(Issue.objects.filter(duplicate_of=OuterRef("pk"))))
    elif choice.duplicates == "likely":
        sql, params = likely_duplicate_ids_sql(issues)
        issues = issues.filter(pk__in=RawSQL(sql, params))
    return issues


# A code that names nothing selects no issue (an empty list of ids would make Django refuse to
# write the query at all, and the board's statements embed it).
NOTHING = Q(pk__isnull=True)

IDS_SQL = """
SELECT 'ward', id FROM wards_ward WHERE number = ANY(%(wards)s)
UNION ALL SELECT 'department', id FROM accounts_department WHERE code = ANY(%(departments)s)
UNION ALL SELECT 'category', id FROM triage_category WHERE code = ANY(%(categories)s)
"""


def _ids_of(*, wards: list[int], departments: list[str], categories: list[str]) -> dict[str, list[int]]:
    """The ids of the wards (by number), departments and categories (by code) named in a filter, in
    one query (none when nothing is named)."""
    found: dict[str, list[int]] = {"ward": [], "department": [], "category": []}
    if wards or departments or categories:
        with connection.cursor() as cursor:
            cursor.execute(IDS_SQL, {"wards": wards, "departments": departments, "categories": categories})
            for kind, pk in cursor.fetchall():
                found[kind].append(pk)
    return found


# --- the queue and the map ---------------------------------------------------------------------------

# What a queue row and its marker need, and no more (the rest of an issue is read when it is
# selected, GET board/issues/<reference>). Every one of these columns is in each of the open-issue
# indexes (triage.issues.models), so the page is read from an index alone, in the queue's order, without
# visiting the table; a test reads the plan.
PAGE_COLUMNS = ("id", "reference", "location", "status", "priority_rank", "category_id", "department_id", "ward_id",
                "created_at", "updated_at", "expected_at")

_PRIORITY_JSON = "CASE p.priority_rank " + " ".join(
    f"WHEN {rank} THEN '\"{name}\"'" for name, rank in PRIORITY_RANK.items()) + " ELSE 'null' END"

# Each feature is written as text by concatenation, not json_build_object: that function works out each
# argument's type on every call, which would be most of the time of a page of 5,000. Names come escaped
# from the few category, department and ward rows (once each, not per issue); the reference is escaped
# too; statuses are a checked list of plain words. Times are seconds since 1970 (UTC), a number the
# browser compares without parsing. `{page}` is the ORM's page query (filters, order, limit) with
# its row number in the queue.
QUEUE_FEATURES_SQL = """
SELECT coalesce(string_agg(
         '{"type":"Feature","id":' || to_json(p.reference) || ',"geometry":' || ST_AsGeoJSON(p.location, 6)
         || ',"properties":{"status":"' || p.status || '","priority":' || {priority} || c.fragment
         || coalesce(d.fragment, ',"department_name":null') || coalesce(w.fragment, ',"ward":null')
         || ',"created_at":' || date_part('epoch', p.created_at) || ',"updated_at":' || date_part('epoch', p.updated_at)
         || ',"expected_at":' || coalesce(date_part('epoch', p.expected_at)::text, 'null')
         || ',"seconds_left":' || coalesce((date_part('epoch', p.expected_at) - %s)::bigint::text, 'null')
         -- on the small partial index of merged issues (issue_merged_into): a probe costs next to nothing
         || ',"merged":' || (SELECT count(*) FROM triage_issue m WHERE m.duplicate_of_id = p.id) || '}}',
         ',' ORDER BY p.queue_position), ''),
       count(*)
  FROM ({page}) AS p
  JOIN (SELECT id, ',"category_name":' || to_json(name) || ',"private":' || is_private AS fragment
          FROM triage_category) AS c ON c.id = p.category_id
  LEFT JOIN (SELECT id, ',"department_name":' || to_json(name) AS fragment FROM accounts_department) AS d
         ON d.id = p.department_id
  LEFT JOIN (SELECT id, ',"ward":' || number AS fragment FROM wards_ward) AS w ON w.id = p.ward_id
""".replace("{priority}", _PRIORITY_JSON)


def queue_page(issues, *, sort: str = "priority", limit: int = DEFAULT_LIST):
    """The first `limit` issues in the queue's order: what a feature shows, and its position."""
    order = SORTS[sort]
    return (issues.order_by(*order)
            .annotate(queue_position=Window(RowNumber(), order_by=[_expression(term) for term in order]))
            .values(*PAGE_COLUMNS, "queue_position")[:limit])


def _expression(term):
    if isinstance(term, str):
        return F(term[1:]).desc() if term.startswith("-") else F(term).asc()
    return term


def queue_features_sql(issues, *, now: datetime.datetime, sort: str, limit: int) -> tuple[str, tuple]:
    """One statement: (the features of the first `limit` issues as a JSON array's inside, how many)."""
    page_sql, page_params = queue_page(issues, sort=sort, limit=limit).query.sql_with_params()
    return QUEUE_FEATURES_SQL.replace("{page}", page_sql), (now.timestamp(), *page_params)


def queue_features(issues, *, now: datetime.datetime, sort: str = "priority", limit: int = DEFAULT_LIST) -> tuple[str, int]:
    """(the features as a JSON array, how many) for the queue and the map."""
    sql, params = queue_features_sql(issues, now=now, sort=sort, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        features, count = cursor.fetchone()
    return f"[{features}]", count


# --- likely duplicates -------------------------------------------------------------------------------

# The UTM zone of each municipality (from the middle of its boundary's box, which PostGIS keeps with
# the geometry, so no polygon is read): scale error under 0.1% across a zone, so eps is metres.
# Issues snapped to an asset stand at the asset (a line: a point on it).
CLUSTERED_SQL = """
(WITH zones AS MATERIALIZED (
    -- once per municipality: without MATERIALIZED, PostgreSQL carries each boundary along every issue
    -- row into the window's sort (hundreds of MB on disk)
    SELECT m.id, CASE WHEN ST_YMax(m.boundary) < 0 THEN 32700 ELSE 32600 END
                 + floor(((ST_XMin(m.boundary) + ST_XMax(m.boundary)) / 2 + 180) / 6)::int + 1 AS srid
      FROM wards_municipality m WHERE m.boundary IS NOT NULL
)
SELECT o.id, o.municipality_id, o.category_id, o.reference, o.created_at, o.location,
       ST_ClusterDBSCAN(ST_Transform(coalesce(ST_PointOnSurface(a.geom), o.location), z.srid),
                        eps := c.duplicate_radius_m::double precision, minpoints := 2)
           OVER (PARTITION BY o.municipality_id, o.category_id) AS cluster
  FROM ({inner}) AS o
  JOIN triage_category c ON c.id = o.category_id AND c.duplicate_radius_m > 0
  JOIN zones AS z ON z.id = o.municipality_id
  LEFT JOIN assets_asset a ON a.id = o.asset_id)
"""


def _open_rows_sql(issues) -> tuple[str, tuple]:
    rows = issues.filter(status__in=OPEN_STATUSES).order_by().values(
        "id", "municipality_id", "category_id", "reference", "created_at", "location", "asset_id")
    return rows.query.sql_with_params()


def likely_duplicate_ids_sql(issues) -> tuple[str, tuple]:
    """SQL for the ids of the open issues among `issues` that are in a cluster."""
    inner, params = _open_rows_sql(issues)
    return f"SELECT d.id FROM ({CLUSTERED_SQL.replace('{inner}', inner)}) AS d WHERE d.cluster IS NOT NULL", params


CLUSTERS_SQL = """
SELECT coalesce(json_agg(g.cluster ORDER BY g.size DESC, g.first_created), '[]'::json)::text, count(*)
  FROM (
    SELECT count(*) AS size, min(d.created_at) AS first_created,
           json_build_object(
               'key', m.code || ':' || c.code || ':' || (array_agg(d.reference ORDER BY d.created_at, d.id))[1],
               'municipality', m.code, 'category', c.code, 'category_name', c.name, 'radius_m', c.duplicate_radius_m,
               'size', count(*),
               'issues', array_agg(d.reference ORDER BY d.created_at, d.id),
               'parent', (array_agg(d.reference ORDER BY d.created_at, d.id))[1],
               'centre', ST_AsGeoJSON(ST_Centroid(ST_Collect(d.location)), 6)::json,
               'outline', ST_AsGeoJSON(ST_ConvexHull(ST_Collect(d.location)), 6)::json
           ) AS cluster
      FROM ({clustered}) AS d
      JOIN wards_municipality m ON m.id = d.municipality_id
      JOIN triage_category c ON c.id = d.category_id
     WHERE d.cluster IS NOT NULL
     GROUP BY m.code, c.code, c.name, c.duplicate_radius_m, d.municipality_id, d.category_id, d.cluster
  ) AS g
"""


def likely_duplicate_clusters(issues) -> tuple[str, int]:
    """(clusters as a JSON array, how many): groups of open issues among `issues` that are likely
    the same problem, largest first, each with its issues oldest first (the oldest is the
    suggested parent to merge into), centre and outline."""
    inner, params = _open_rows_sql(issues)
    sql = CLUSTERS_SQL.replace("{clustered}", CLUSTERED_SQL.replace("{inner}", inner))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# --- SLA counts -------------------------------------------------------------------------------------

def sla_counts(issues, *, now: datetime.datetime, day_end: datetime.datetime) -> list[dict]:
    """Per department: open issues, how many are overdue and how many fall due before the end of
    the local day. One GROUP BY over the open issues."""
    rows = (issues.filter(status__in=OPEN_STATUSES).order_by()
            .values("department__code", "department__name")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(expected_at__lt=now)),
                      due_today=Count("pk", filter=Q(expected_at__gte=now, expected_at__lt=day_end)))
            .order_by("department__name"))
    return [{"department": row["department__code"], "department_name": row["department__name"] or "Not routed",
             "open": row["open"], "overdue": row["overdue"], "due_today": row["due_today"]} for row in rows]
