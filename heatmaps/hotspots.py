"""Asset hotspots: the assets with the most issues reported in a period (repeat faults on one
streetlight, one water main), for planners deciding what to replace.

An issue belongs to the asset intake snapped it to. Per asset: how many issues were reported in
the period (local days, the figures' filters), when the last one was, and how far the issues
stood from the asset, in metres on the WGS 84 spheroid (ST_Distance on geography, so a line asset
measures to its nearest point, not its first vertex). Counted from IssueFact (the period and
filters, through its covering index), joined to the issues only for their points.
"""

import json

from django.db import connection

from heatmaps.query import FigureQuery, filter_sql
from toolkit.conf import STORAGE_SRID

MAX_HOTSPOTS = 500

# Raw SQL: a GROUP BY asset over the facts with a geography distance per issue; the ORM would need
# the fact table joined to two other apps' tables by hand anyway.
HOTSPOTS_SQL = f"""
SELECT a.id, a.external_id, t.code, t.name, a.status, per_asset.issues, per_asset.last_reported,
       per_asset.mean_distance_m, per_asset.max_distance_m, ST_X(ST_PointOnSurface(a.geom)),
       ST_Y(ST_PointOnSurface(a.geom)), ST_AsGeoJSON(a.geom, 6)
  FROM (
      SELECT f.asset_id, count(*) AS issues, max(i.created_at) AS last_reported,
             avg(ST_Distance(i.location::geography, a.geom::geography(Geometry,{STORAGE_SRID}))) AS mean_distance_m,
             max(ST_Distance(i.location::geography, a.geom::geography(Geometry,{STORAGE_SRID}))) AS max_distance_m
        FROM heatmaps_issuefact f
        JOIN triage_issue i ON i.id = f.issue_id
        JOIN assets_asset a ON a.id = f.asset_id
       WHERE {{where}} AND f.asset_id IS NOT NULL AND f.created_day BETWEEN %(first)s AND %(last)s
       GROUP BY f.asset_id
      HAVING count(*) >= %(min_issues)s
  ) per_asset
  JOIN assets_asset a ON a.id = per_asset.asset_id
  JOIN assets_assettype t ON t.id = a.asset_type_id
 ORDER BY per_asset.issues DESC, per_asset.last_reported DESC, a.id
 LIMIT %(limit)s
"""

COLUMNS = ["asset_id", "external_id", "asset_type", "asset_type_name", "asset_status", "issues", "last_reported",
           "mean_distance_m", "max_distance_m", "lon", "lat"]


def asset_hotspots(query: FigureQuery, *, limit: int = 50, min_issues: int = 2) -> list[dict]:
    """The assets with at least `min_issues` issues reported in the query's period, most first
    (then the most recent), each with its geometry as GeoJSON text under `geometry`."""
    where, params = filter_sql(query, "f")
    with connection.cursor() as cursor:
        cursor.execute(HOTSPOTS_SQL.format(where=where), {
            **params, "first": query.first_day, "last": query.last_day,
            "min_issues": min_issues, "limit": min(limit, MAX_HOTSPOTS)})
        rows = cursor.fetchall()
    return [{**dict(zip(COLUMNS, row[:-1], strict=True)),
             "mean_distance_m": round(row[7], 1), "max_distance_m": round(row[8], 1),
             "lon": round(row[9], 6), "lat": round(row[10], 6), "geometry": row[11]}
            for row in rows]


def hotspots_geojson(query: FigureQuery, **options) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": spot["asset_id"], "geometry": json.loads(spot["geometry"]),
         "properties": {**{k: v for k, v in spot.items() if k not in ("geometry", "asset_id", "lon", "lat")},
                        "last_reported": spot["last_reported"].isoformat()}}
        for spot in asset_hotspots(query, **options)], "query": query.describe()}
