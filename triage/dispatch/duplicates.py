"""Likely duplicates of a report before it is sent: GET /api/v1/issues/duplicates.

A resident who drops a pin is shown the open issues of the same category already reported near
it, so they can say "me too" or follow one instead of filing the same pothole again (FixMyStreet
and Mark-a-Spot do the same). Per category (Category.duplicate_radius_m and
duplicate_window_days):

- open issues within the radius, on the WGS 84 spheroid, reported within the window (0 = any age);
- for a category that snaps to an asset (a streetlight), also the open issues snapped to the asset
  this pin would snap to, at any distance and of any age: the same light is the same fault;
- nearest first, at most five; a radius of 0 turns suggestions off, and private categories
  (reports about people or homes) never suggest anything, since that would reveal where others
  reported.

The candidates are found in SQL on the `issue_location_geography` GiST index (ST_DWithin on
exactly `location::geography(Geometry,<storage SRID>)`, checked with EXPLAIN in the tests), and the list is
built as JSON there; the asset a pin snaps to comes from the assets app (Asset.objects.snap_target),
as at intake.
"""

import datetime
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection

from assets.models import Asset
from toolkit.conf import STORAGE_SRID
from triage.issues.models import Category
from triage.issues.workflow import OPEN_STATUSES

MAX_SUGGESTIONS = 5
# A category's issues snapped to one asset: more than this is a register problem, not a list to show.
MAX_SAME_ASSET = 100

# The pin as a constant, so the planner estimates from the index's statistics how few issues lie
# within the radius.
POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), %(srid)s)::geography"

NEAR_SQL = f"""
SELECT near.id, false AS same_asset FROM triage_issue near
 WHERE ST_DWithin(near.location::geography(Geometry,{STORAGE_SRID}), {POINT}, %(radius)s)
   AND near.category_id = %(category)s AND near.status = ANY(%(open)s) AND near.created_at >= %(since)s
"""

# The open issues of the category snapped to the asset this pin snaps to.
SAME_ASSET_SQL = """
SELECT same.id, true FROM triage_issue same
 WHERE same.asset_id = %(asset)s AND same.category_id = %(category)s AND same.status = ANY(%(open)s)
 LIMIT %(max_same_asset)s
"""

# Public fields only: never the reporter's name, contact details, account or answers.
DUPLICATES_SQL = f"""
SELECT coalesce(json_agg(json_build_object(
           'reference', s.reference, 'status', s.status, 'category', %(category_name)s,
           'description', left(s.description, 280), 'created_at', s.created_at, 'upvotes', s.upvotes,
           'distance_m', round(s.distance_m::numeric, 1), 'same_asset', s.same_asset,
           'location', json_build_object('lat', round(ST_Y(s.location)::numeric, 6), 'lon', round(ST_X(s.location)::numeric, 6)),
           'url', '/track/' || s.reference || '/') ORDER BY s.distance_m, s.id), '[]'::json)::text AS suggestions
  FROM (
    SELECT i.id, i.reference, i.status, i.description, i.created_at, i.upvotes, i.location, found.same_asset,
           ST_Distance(i.location::geography(Geometry,{STORAGE_SRID}), {POINT}) AS distance_m
      FROM ({{candidates}}) AS found
      JOIN triage_issue i ON i.id = found.id
     ORDER BY distance_m, i.id
     LIMIT %(limit)s
  ) s
"""

# The two shapes of the statement, written once: near the pin; near the pin or on the same asset.
NEAR_ONLY_SQL = DUPLICATES_SQL.replace("{candidates}", NEAR_SQL)
NEAR_OR_SAME_ASSET_SQL = DUPLICATES_SQL.replace(
    "{candidates}",
    f"SELECT u.id, bool_or(u.same_asset) AS same_asset FROM ({NEAR_SQL} UNION ALL ({SAME_ASSET_SQL})) u GROUP BY u.id")

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
OPEN_LIST = sorted(OPEN_STATUSES)


@dataclass(frozen=True)
class DuplicateRules:
    category_id: int
    name: str
    radius_m: int
    window_days: int
    private: bool
    asset_type_id: int | None
    snap_radius_m: int

    @property
    def suggests(self) -> bool:
        return self.radius_m > 0 and not self.private


def duplicate_rules(category_id: int) -> DuplicateRules | None:
    """The category's duplicate settings, or None when there is no such category."""
    row = Category.objects.filter(pk=category_id).values_list(
        "pk", "name", "duplicate_radius_m", "duplicate_window_days", "is_private", "asset_type_id", "snap_radius_m",
    ).first()
    return DuplicateRules(*row) if row else None


def duplicates_sql(asset_id: int | None) -> str:
    """The statement: near the pin, and when the pin snaps to an asset, that asset's issues too."""
    return NEAR_ONLY_SQL if asset_id is None else NEAR_OR_SAME_ASSET_SQL


def snapped_asset_id(rules: DuplicateRules, point: Point) -> int | None:
    """The asset a report at the pin would be snapped to (as intake snaps), for categories that snap."""
    if rules.asset_type_id is None:
        return None
    return (Asset.objects.snap_target(point, asset_type=rules.asset_type_id, metres=rules.snap_radius_m)
            .values_list("pk", flat=True).first())


def duplicates_params(rules: DuplicateRules, *, point: Point, asset_id: int | None, now: datetime.datetime) -> dict:
    since = now - datetime.timedelta(days=rules.window_days) if rules.window_days else EPOCH
    return {"category": rules.category_id, "category_name": rules.name, "lon": point.x, "lat": point.y,
            "srid": point.srid, "radius": float(rules.radius_m), "since": since, "asset": asset_id,
            "open": OPEN_LIST, "limit": MAX_SUGGESTIONS, "max_same_asset": MAX_SAME_ASSET}


def likely_duplicates_json(rules: DuplicateRules, *, point: Point, now: datetime.datetime) -> str:
    """The suggestions as a JSON array (text); '[]' without asking when the category suggests none."""
    if not rules.suggests:
        return "[]"
    asset_id = snapped_asset_id(rules, point)
    with connection.cursor() as cursor:
        cursor.execute(duplicates_sql(asset_id), duplicates_params(rules, point=point, asset_id=asset_id, now=now))
        return cursor.fetchone()[0]
