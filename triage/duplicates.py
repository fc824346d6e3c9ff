"""Likely duplicates of a report before it is sent: GET /api/v1/issues/duplicates.

A resident who drops a pin is shown the open issues of the same category already reported near
it, so they can say "me too" or follow one instead of filing the same pothole again (FixMyStreet
and Mark-a-Spot do the same; see REFERENCES.md). Per category (Category.duplicate_radius_m and
duplicate_window_days):

- open issues within the radius, on the WGS 84 spheroid, reported within the window (0 = any age);
- for a category that snaps to an asset (a streetlight), also the open issues snapped to the asset
  this pin would snap to, at any distance and of any age: the same light is the same fault;
- nearest first, at most five; a radius of 0 turns suggestions off, and private categories
  (reports about people or homes) never suggest anything, since that would reveal where others
  reported.

Raw SQL by exception (STYLE.md): this runs on every pin move of every resident. Two statements:
the category's settings by primary key, then one that finds the candidates on the
`issue_location_geography` GiST index (ST_DWithin on exactly `location::geography(Geometry,4326)`,
checked with EXPLAIN in the tests) and the asset's issues on the asset_id index, and builds the JSON.
The pin and the radius go into the second statement as constants, not read from the category row
or a CTE inside it: unable to see them when planning, PostgreSQL guessed 100 issues near the pin
and also read the category's every open issue from another index to combine with them (1.6 ms
instead of 0.4 ms at 8,000 open potholes among a million issues, benchmarks/board.py). The
same-asset part is left out for categories that do not snap: a simpler statement plans faster.
"""

import datetime
from dataclasses import dataclass

from triage.workflow import OPEN_STATUSES

MAX_SUGGESTIONS = 5
# A category's issues snapped to one asset: more than this is a register problem, not a list to show.
MAX_SAME_ASSET = 100

CATEGORY_SQL = """
SELECT id, name, duplicate_radius_m, duplicate_window_days, is_private, asset_type_id, snap_radius_m
  FROM triage_category WHERE id = %(category)s
"""

# The pin as a constant the planner can fold, so it estimates from the index's statistics how few
# issues lie within the radius (a CTE or a joined row here hid it and cost the same 1.6 ms).
POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"

NEAR_SQL = f"""
SELECT near.id, false AS same_asset FROM triage_issue near
 WHERE ST_DWithin(near.location::geography(Geometry,4326), {POINT}, %(radius)s)
   AND near.category_id = %(category)s AND near.status = ANY(%(open)s) AND near.created_at >= %(since)s
"""

# The asset this pin snaps to, as intake would find it (triage/intake.py LOOKUP_SQL), and the open
# issues of the category snapped to it.
SAME_ASSET_SQL = f"""
SELECT same.id, true FROM triage_issue same
 WHERE same.asset_id = (SELECT a.id FROM assets_asset a
                         WHERE a.asset_type_id = %(asset_type)s
                           AND ST_DWithin(a.geom::geography(Geometry,4326), {POINT}, %(snap_radius)s)
                         ORDER BY a.geom::geography(Geometry,4326) <-> {POINT} LIMIT 1)
   AND same.category_id = %(category)s AND same.status = ANY(%(open)s)
 LIMIT %(max_same_asset)s
"""

# Public fields only: never the reporter's name, contact details, account or answers.
DUPLICATES_SQL = f"""
SELECT coalesce(json_agg(json_build_object(
           'reference', s.reference, 'status', s.status, 'category', %(category_name)s,
           'description', left(s.description, 280), 'created_at', s.created_at, 'upvotes', s.upvotes,
           'distance_m', round(s.distance_m::numeric, 1), 'same_asset', s.same_asset,
           'location', json_build_object('lat', round(ST_Y(s.location)::numeric, 6), 'lon', round(ST_X(s.location)::numeric, 6)),
           'url', '/track/' || s.reference || '/') ORDER BY s.distance_m, s.id), '[]'::json)::text
  FROM (
    SELECT i.id, i.reference, i.status, i.description, i.created_at, i.upvotes, i.location, found.same_asset,
           ST_Distance(i.location::geography(Geometry,4326), {POINT}) AS distance_m
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


def duplicates_sql(rules: "DuplicateRules") -> str:
    """The statement for a category: near the pin, and for a category that snaps, the same asset too."""
    return NEAR_ONLY_SQL if rules.asset_type_id is None else NEAR_OR_SAME_ASSET_SQL


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


def duplicate_rules(cursor, category_id: int) -> DuplicateRules | None:
    cursor.execute(CATEGORY_SQL, {"category": category_id})
    row = cursor.fetchone()
    return DuplicateRules(*row) if row else None


def duplicates_params(rules: DuplicateRules, *, lon: float, lat: float, now: datetime.datetime) -> dict:
    since = now - datetime.timedelta(days=rules.window_days) if rules.window_days else EPOCH
    return {"category": rules.category_id, "category_name": rules.name, "lon": lon, "lat": lat,
            "radius": float(rules.radius_m), "since": since, "asset_type": rules.asset_type_id,
            "snap_radius": float(rules.snap_radius_m), "open": OPEN_LIST, "limit": MAX_SUGGESTIONS,
            "max_same_asset": MAX_SAME_ASSET}


def likely_duplicates_json(cursor, rules: DuplicateRules, *, lon: float, lat: float, now: datetime.datetime) -> str:
    """The suggestions as a JSON array (text); '[]' without asking when the category suggests none."""
    if not rules.suggests:
        return "[]"
    cursor.execute(duplicates_sql(rules), duplicates_params(rules, lon=lon, lat=lat, now=now))
    return cursor.fetchone()[0]
