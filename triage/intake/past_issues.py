"""Past issues from an earlier system, filed in bulk: the history import's way into triage.

Intake (`triage.intake.services.issue_create`) files one live report: it checks answers, numbers it from the
live sequence, tells the reporter and the department. Past issues were reported, handled and
closed elsewhere, thousands at a time: they keep their own timestamps and status, tell nobody,
and are written in batches. Where they are is found the way intake finds it, in one statement per
batch: ST_Covers on the municipality, the ward (lowest number on a shared edge) of the demarcation
in force when the issue was reported, the suburb, and the nearest asset of the category's type
within its snap radius (metres on the geography index).

The demarcation in force is the newest ward set whose year is not after the year the issue was
reported (local time); an issue older than every set gets the oldest.
"""

import datetime
import hashlib
import re
import secrets
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection

from toolkit.clock import elapsed
from toolkit.conf import STORAGE_SRID
from triage.issues.models import Category, Issue, IssueEvent

REFERENCE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/-]*$")
MAX_REFERENCE = 40


@dataclass
class PastIssue:
    external_reference: str
    category: Category
    location: Point
    status: str
    channel: str
    created_at: datetime.datetime
    acknowledged_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class PastPlace:
    inside: bool
    ward_id: int | None
    suburb_id: int | None
    asset_id: int | None
    asset_distance_m: float | None


def past_issue_reference(municipality_code: str, external_reference: str) -> str:
    """GT423-H-<their reference>, or GT423-H-<digest> when theirs does not fit or has odd characters.
    Re-importing the same history finds the same issues by it."""
    theirs = external_reference.strip().upper()
    reference = f"{municipality_code}-H-{theirs}"
    if len(reference) <= MAX_REFERENCE and REFERENCE_PATTERN.match(theirs):
        return reference
    return f"{municipality_code}-H-{hashlib.sha1(theirs.encode()).hexdigest()[:16].upper()}"


# Set-based (one statement per batch of thousands): the same rules as intake's querysets, in SQL.
LOCATE_MANY_SQL = f"""
SELECT q.n, ST_Covers(m.boundary, q.g), w.id, s.id, a.id, a.distance_m
  FROM unnest(%(lons)s::float8[], %(lats)s::float8[], %(years)s::int[], %(asset_types)s::bigint[], %(radii)s::float8[])
       WITH ORDINALITY AS t(lon, lat, year, asset_type, radius, n)
 CROSS JOIN LATERAL (SELECT t.n, ST_SetSRID(ST_MakePoint(t.lon, t.lat), {STORAGE_SRID}) AS g) q
  JOIN wards_municipality m ON m.id = %(municipality)s
  LEFT JOIN LATERAL (
      SELECT w.id FROM wards_ward w JOIN wards_boundaryset b ON b.id = w.boundary_set_id
       WHERE w.municipality_id = m.id AND ST_Covers(w.geom, q.g)
       ORDER BY (b.year <= t.year) DESC, CASE WHEN b.year <= t.year THEN -b.year ELSE b.year END, w.number, w.code
       LIMIT 1
  ) w ON true
  LEFT JOIN LATERAL (
      SELECT s.id FROM wards_suburb s WHERE s.municipality_id = m.id AND ST_Covers(s.geom, q.g)
       ORDER BY s.name, s.code LIMIT 1
  ) s ON true
  LEFT JOIN LATERAL (
      -- the indexed expression, as Asset.objects.snap_target uses it
      SELECT a.id, ST_Distance(a.geom::geography(Geometry,{STORAGE_SRID}), q.g::geography) AS distance_m
        FROM assets_asset a
       WHERE t.asset_type IS NOT NULL AND a.asset_type_id = t.asset_type
         AND ST_DWithin(a.geom::geography(Geometry,{STORAGE_SRID}), q.g::geography, t.radius)
       ORDER BY a.geom::geography(Geometry,{STORAGE_SRID}) <-> q.g::geography LIMIT 1
  ) a ON true
 ORDER BY q.n
"""


def issues_locate_past(*, municipality, issues: list[PastIssue], local_years: list[int]) -> list[PastPlace]:
    """Where each past issue is, in one statement (see the module's docstring)."""
    if not issues:
        return []
    with connection.cursor() as cursor:
        cursor.execute(LOCATE_MANY_SQL, {
            "municipality": municipality.pk,
            "lons": [issue.location.x for issue in issues], "lats": [issue.location.y for issue in issues],
            "years": local_years,
            "asset_types": [issue.category.asset_type_id for issue in issues],
            "radii": [float(issue.category.snap_radius_m) for issue in issues],
        })
        return [PastPlace(bool(inside), ward, suburb, asset, distance)
                for _, inside, ward, suburb, asset, distance in cursor.fetchall()]


UPDATED_ON_REIMPORT = [
    "category", "kind", "location", "channel", "external_id", "ward", "suburb", "asset", "asset_distance_m",
    "department", "status", "created_at", "updated_at", "acknowledged_at", "resolved_at", "closed_at", "expected_at",
    "time_to_acknowledge", "time_to_resolve",
]


def issues_history_upsert(*, municipality, issues: list[PastIssue], places: list[PastPlace],
                          source: str) -> tuple[list[int], int]:
    """Write past issues (all inside the municipality), creating new ones and updating those an
    earlier import of the same history made (same reference). Returns their ids and how many
    were new. A new one gets one 'reported' history line saying where it came from."""
    references = [past_issue_reference(municipality.code, issue.external_reference) for issue in issues]
    existing = set(Issue.objects.filter(reference__in=references).values_list("reference", flat=True))
    rows = []
    for issue, place, reference in zip(issues, places, references, strict=True):
        category = issue.category
        moments = [m for m in (issue.created_at, issue.acknowledged_at, issue.resolved_at, issue.closed_at) if m]
        rows.append(Issue(
            municipality=municipality, reference=reference, tracking_key=secrets.token_urlsafe(16),
            category=category, kind=category.kind, location=issue.location, channel=issue.channel,
            external_id=issue.external_reference[:64], ward_id=place.ward_id, suburb_id=place.suburb_id,
            asset_id=place.asset_id, asset_distance_m=place.asset_distance_m,
            department_id=category.default_department_id, priority=category.default_priority, status=issue.status,
            created_at=issue.created_at, updated_at=max(moments), acknowledged_at=issue.acknowledged_at,
            resolved_at=issue.resolved_at, closed_at=issue.closed_at,
            expected_at=issue.created_at + datetime.timedelta(hours=category.sla_hours) if category.sla_hours else None,
            time_to_acknowledge=elapsed(issue.created_at, issue.acknowledged_at),
            time_to_resolve=elapsed(issue.created_at, issue.resolved_at),
        ))
    saved = Issue.objects.bulk_create(rows, update_conflicts=True, unique_fields=["reference"],
                                      update_fields=UPDATED_ON_REIMPORT)
    ids = [issue.pk for issue in saved]
    IssueEvent.objects.bulk_create([
        IssueEvent(issue_id=issue.pk, action=IssueEvent.Action.CREATED, at=issue.created_at, to_status=issue.status,
                   actor_label="Earlier system", public_note=f"Imported from an earlier system ({issue.external_id}).",
                   detail={"channel": issue.channel, "imported_from": source[:200]})
        for issue in saved if issue.reference not in existing
    ])
    return ids, len(saved) - len(existing & set(references))


def issues_history_remove(*, municipality, external_references: list[str]) -> list[int]:
    """Delete the imported issues of these references (a re-import found them without a usable
    location: they now live among the issues without one). Returns the ids deleted."""
    references = [past_issue_reference(municipality.code, ref) for ref in external_references]
    doomed = Issue.objects.filter(municipality=municipality, reference__in=references)
    ids = list(doomed.values_list("pk", flat=True))
    if ids:
        doomed.delete()
    return ids
