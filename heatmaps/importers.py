"""The history import: an earlier system's past issues, through the shared importer.

Each row becomes a past issue in triage (triage.intake.past_issues) or, without a usable location (no
coordinates, a 0, 0 placeholder, or a point outside the municipality), an UnlocatedIssue counted
under "no location". A wrong row (unknown category or status, unreadable time, times out of order,
a repeated reference) stops the import naming every such row, and nothing is kept: the whole file
is one transaction (toolkit.importing.core.run). At the end, the figures of every imported
issue are brought up to date in the same transaction.
"""

import csv
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import MultiPoint, Point
from django.db import connection
from django.utils import timezone

from heatmaps.models import UnlocatedIssue
from heatmaps.refresh import facts_refresh
from toolkit.importing import RowError, SourceFeature
from triage.intake import past_issues as history
from triage.issues.models import Category, Channel
from triage.issues.workflow import OPEN_STATUSES, Status

# Statuses earlier systems commonly use, besides ours: lower-cased source value → our status.
STATUS_SYNONYMS = {
    "new": Status.SUBMITTED, "open": Status.SUBMITTED, "logged": Status.SUBMITTED, "received": Status.SUBMITTED,
    "pending": Status.SUBMITTED, "in progress": Status.IN_PROGRESS, "in-progress": Status.IN_PROGRESS,
    "work in progress": Status.IN_PROGRESS, "completed": Status.RESOLVED, "complete": Status.RESOLVED,
    "fixed": Status.RESOLVED, "done": Status.RESOLVED, "cancelled": Status.REJECTED, "canceled": Status.REJECTED,
    "invalid": Status.REJECTED, "declined": Status.REJECTED,
}
CHANNEL_SYNONYMS = {
    "online": Channel.WEB, "website": Channel.WEB, "portal": Channel.WEB, "app": Channel.API, "mobile app": Channel.API,
    "text": Channel.SMS, "call": Channel.PHONE, "call centre": Channel.PHONE, "call center": Channel.PHONE,
    "walk-in": Channel.PHONE, "counter": Channel.PHONE, "email": Channel.WEB, "field": Channel.STAFF,
}
MAX_NOTES_LISTED = 20
FUTURE_SLACK = datetime.timedelta(minutes=5)


class MappingError(ValueError):
    """A mapping option or file is wrong; the message names it."""


@dataclass
class HistoryMapping:
    municipality: object
    reference_field: str
    category_field: str
    created_field: str
    acknowledged_field: str | None = None
    resolved_field: str | None = None
    closed_field: str | None = None
    status_field: str | None = None
    channel_field: str | None = None
    category_map: dict[str, str] = field(default_factory=dict)  # their value (lower case) → our category code
    status_map: dict[str, str] = field(default_factory=dict)
    channel_map: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    source_name: str = ""


def parse_pairs(pairs: list[str], option: str, allowed: list[str] | None = None) -> dict[str, str]:
    """['Potholes=pothole', ...] → {'potholes': 'pothole'}; a bad pair names the option."""
    mapping = {}
    for pair in pairs or []:
        theirs, sep, ours = pair.rpartition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise MappingError(f"{option} '{pair}': write it as THEIRS=OURS.")
        if allowed is not None and ours.strip() not in allowed:
            raise MappingError(f"{option} '{pair}': '{ours.strip()}' is not one of: {', '.join(allowed)}.")
        mapping[theirs.strip().lower()] = ours.strip()
    return mapping


def read_category_map(path: str) -> dict[str, str]:
    """A CSV of two columns with a header row: their category, our category code."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"--category-map {path}: cannot be read as UTF-8 CSV ({exc}).") from None
    mapping = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise MappingError(f"--category-map {Path(path).name} line {line}: needs their category and our code.")
        mapping[row[0].strip().lower()] = row[1].strip()
    return mapping


class HistoryTarget:
    """Past issues of one municipality (toolkit.importing.core.ImportTarget)."""

    def __init__(self, mapping: HistoryMapping):
        self.mapping = mapping
        self.municipality = mapping.municipality
        self.zone = ZoneInfo(self.municipality.timezone)
        self.now = timezone.now()
        categories = list(Category.objects.filter(municipality=self.municipality).select_related("asset_type"))
        self.category_by_code = {c.code: c for c in categories}
        self.category_by_spelling = {}
        for category in categories:
            self.category_by_spelling[category.code.lower()] = category
            self.category_by_spelling[category.name.lower()] = category
        unknown = sorted({code for code in mapping.category_map.values() if code not in self.category_by_code})
        if unknown:
            raise MappingError(f"the category mapping names {', '.join(unknown)}, not categories of "
                               f"{self.municipality.code} (they are: {', '.join(sorted(self.category_by_code))}).")
        self.seen: dict[str, str] = {}
        self.issue_ids: list[int] = []
        self.unlocated_ids: list[int] = []
        self.removed_issue_ids: list[int] = []
        self.located = self.unlocated = 0
        self.without_location: list[str] = []
        self.reasons: dict[str, int] = {}

    # --- ImportTarget ---------------------------------------------------------------------------

    def required_fields(self) -> list[str]:
        m = self.mapping
        return [f for f in (m.reference_field, m.category_field, m.created_field, m.acknowledged_field,
                            m.resolved_field, m.closed_field, m.status_field, m.channel_field) if f]

    def convert(self, feature: SourceFeature) -> dict:
        m = self.mapping
        reference = self._text(feature, m.reference_field, required=True)
        if len(reference) > 64:
            raise RowError(f"reference '{reference[:20]}...' is longer than 64 characters")
        key = reference.upper()
        if key in self.seen:
            raise RowError(f"reference '{reference}' is already used by {self.seen[key]} of this file")
        self.seen[key] = feature.label
        category = self._category(feature)
        created = self._moment(feature, m.created_field, required=True)
        acknowledged = self._moment(feature, m.acknowledged_field)
        resolved = self._moment(feature, m.resolved_field)
        closed = self._moment(feature, m.closed_field)
        for name, moment in ((m.acknowledged_field, acknowledged), (m.resolved_field, resolved), (m.closed_field, closed)):
            if moment is not None and moment < created:
                raise RowError(f"{name} {moment:%Y-%m-%d %H:%M} is before {m.created_field} {created:%Y-%m-%d %H:%M}")
        status = self._status(feature, acknowledged, resolved, closed)
        if status in OPEN_STATUSES and (resolved or closed):
            raise RowError(f"status '{status}' is open, but the row has a resolved or closed time")
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved = resolved or closed
            if resolved is None:
                raise RowError(f"status '{status}' needs a resolved or closed time")
        if status in (Status.REJECTED, Status.DUPLICATE):
            closed = closed or resolved
            resolved = None
            if closed is None:
                raise RowError(f"status '{status}' needs a closed time")
        if status == Status.CLOSED and closed is None:
            closed = resolved
        point, reason = self._location(feature)
        return {"label": feature.label, "reference": reference, "category": category, "status": status,
                "channel": self._channel(feature), "created": created, "acknowledged": acknowledged,
                "resolved": resolved, "closed": closed, "point": point, "reason": reason}

    def geometry_of(self, record):
        return None  # points need no repair; where they are is checked in write()

    def set_geometry(self, record, geometry):
        record["point"] = geometry

    def write(self, records: list[dict], report) -> None:
        candidates = [r for r in records if r["point"] is not None]
        past = [self._past(r) for r in candidates]
        places = history.issues_locate_past(
            municipality=self.municipality, issues=past,
            local_years=[r["created"].astimezone(self.zone).year for r in candidates])
        located, located_past, located_places = [], [], []
        for record, issue, place in zip(candidates, past, places, strict=True):
            if place.inside:
                located.append(record)
                located_past.append(issue)
                located_places.append(place)
            else:
                record["reason"] = f"outside {self.municipality.code}"
        located_ones = {id(r) for r in located}
        unlocated = [r for r in records if id(r) not in located_ones]
        if located:
            ids, created = history.issues_history_upsert(municipality=self.municipality, issues=located_past,
                                                         places=located_places, source=self.mapping.source_name)
            self.issue_ids += ids
            report.created += created
            report.updated += len(ids) - created
            self._forget_unlocated([r["reference"] for r in located])
        if unlocated:
            self.removed_issue_ids += history.issues_history_remove(
                municipality=self.municipality, external_references=[r["reference"] for r in unlocated])
            self._save_unlocated(unlocated, report)
        self.located += len(located)
        self.unlocated += len(unlocated)
        for record in unlocated:
            self.reasons[record["reason"]] = self.reasons.get(record["reason"], 0) + 1
            if len(self.without_location) < MAX_NOTES_LISTED:
                self.without_location.append(f"{record['label']} ({record['reference']}): {record['reason']}")

    def finish(self, report) -> None:
        facts_refresh(issue_ids=self.issue_ids + self.removed_issue_ids, unlocated_ids=self.unlocated_ids)
        report.notes.append(f"{self.located} issues with a location, {self.unlocated} without a usable location "
                            f"(kept and counted under 'no location')"
                            + (": " + ", ".join(f"{n} {reason}" for reason, n in sorted(self.reasons.items()))
                               if self.reasons else "."))
        report.notes += [f"  {line}" for line in self.without_location]
        if self.unlocated > len(self.without_location):
            report.notes.append(f"  ... and {self.unlocated - len(self.without_location)} more without a location")

    # --- reading one row ------------------------------------------------------------------------

    def _text(self, feature: SourceFeature, name: str | None, *, required: bool = False) -> str:
        if not name:
            return ""
        value = feature.properties.get(name)
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise RowError(f"field '{name}' is empty")
        return text

    def _category(self, feature: SourceFeature) -> Category:
        theirs = self._text(feature, self.mapping.category_field, required=True)
        code = self.mapping.category_map.get(theirs.lower())
        category = self.category_by_code.get(code) if code else self.category_by_spelling.get(theirs.lower())
        if category is None:
            raise RowError(f"category '{theirs}' is not mapped to one of {self.municipality.code}'s "
                           f"({', '.join(sorted(self.category_by_code))}); map it with --category or --category-map")
        return category

    def _moment(self, feature: SourceFeature, name: str | None, *, required: bool = False) -> datetime.datetime | None:
        if not name:
            return None
        value = feature.properties.get(name)
        if isinstance(value, datetime.datetime):
            moment = value
        elif isinstance(value, datetime.date):
            moment = datetime.datetime.combine(value, datetime.time())
        else:
            text = "" if value is None else str(value).strip()
            if not text:
                if required:
                    raise RowError(f"field '{name}' is empty")
                return None
            moment = self._parse_moment(name, text)
        if moment.tzinfo is None:  # a time without a zone is the municipality's local time
            moment = moment.replace(tzinfo=self.zone)
        if moment > self.now + FUTURE_SLACK:
            raise RowError(f"{name} {moment.isoformat()} is in the future")
        if moment.year < 1990:
            raise RowError(f"{name} {moment.isoformat()} is before 1990")
        return moment

    def _parse_moment(self, name: str, text: str) -> datetime.datetime:
        try:
            if self.mapping.date_format:
                return datetime.datetime.strptime(text, self.mapping.date_format)
            return datetime.datetime.fromisoformat(text.replace("/", "-") if re.match(r"^\d{4}/", text) else text)
        except ValueError:
            expected = self.mapping.date_format or "ISO 8601, e.g. 2024-03-05 14:30 or 2024-03-05T14:30:00+02:00"
            raise RowError(f"{name} '{text}' is not a date and time ({expected})") from None

    def _status(self, feature, acknowledged, resolved, closed) -> str:
        if not self.mapping.status_field:
            if closed:
                return Status.CLOSED
            if resolved:
                return Status.RESOLVED
            return Status.ACKNOWLEDGED if acknowledged else Status.SUBMITTED
        theirs = self._text(feature, self.mapping.status_field, required=True)
        lower = theirs.lower()
        status = self.mapping.status_map.get(lower) or (lower if lower in Status.values else STATUS_SYNONYMS.get(lower))
        if status is None:
            raise RowError(f"status '{theirs}' is not one of ours ({', '.join(Status.values)}); map it with --status")
        return status

    def _channel(self, feature) -> str:
        if not self.mapping.channel_field:
            return Channel.IMPORT
        theirs = self._text(feature, self.mapping.channel_field)
        if not theirs:
            return Channel.IMPORT
        lower = theirs.lower()
        channel = self.mapping.channel_map.get(lower) or (lower if lower in Channel.values else CHANNEL_SYNONYMS.get(lower))
        if channel is None:
            raise RowError(f"channel '{theirs}' is not one of ours ({', '.join(Channel.values)}); map it with --channel")
        return channel

    def _location(self, feature: SourceFeature) -> tuple[Point | None, str]:
        geometry = feature.geometry
        if isinstance(geometry, MultiPoint) and len(geometry) == 1:
            geometry = geometry[0]
        if geometry is None or geometry.empty:
            return None, "no coordinates"
        if not isinstance(geometry, Point):
            raise RowError(f"is a {geometry.geom_type}; an issue is a point")
        if abs(geometry.x) < 1e-9 and abs(geometry.y) < 1e-9:
            return None, "coordinates 0, 0 (a placeholder)"
        return geometry, ""

    # --- writing --------------------------------------------------------------------------------

    def _past(self, record: dict) -> history.PastIssue:
        return history.PastIssue(
            external_reference=record["reference"], category=record["category"], location=record["point"],
            status=record["status"], channel=record["channel"], created_at=record["created"],
            acknowledged_at=record["acknowledged"], resolved_at=record["resolved"], closed_at=record["closed"])

    def _save_unlocated(self, records: list[dict], report) -> None:
        references = [r["reference"] for r in records]
        existing = set(UnlocatedIssue.objects.filter(municipality=self.municipality, external_reference__in=references)
                       .values_list("external_reference", flat=True))
        saved = UnlocatedIssue.objects.bulk_create([
            UnlocatedIssue(
                municipality=self.municipality, external_reference=r["reference"], category=r["category"],
                kind=r["category"].kind, department_id=r["category"].default_department_id, channel=r["channel"],
                status=r["status"], created_at=r["created"], acknowledged_at=r["acknowledged"],
                resolved_at=r["resolved"], closed_at=r["closed"],
                expected_at=(r["created"] + datetime.timedelta(hours=r["category"].sla_hours)
                             if r["category"].sla_hours else None),
                reason=r["reason"][:200], source=self.mapping.source_name[:255], imported_at=self.now)
            for r in records
        ], update_conflicts=True, unique_fields=["municipality", "external_reference"],
            update_fields=["category", "kind", "department", "channel", "status", "created_at", "acknowledged_at",
                           "resolved_at", "closed_at", "expected_at", "reason", "source", "imported_at"])
        self.unlocated_ids += [row.pk for row in saved]
        report.created += len(records) - len(existing)
        report.updated += len(existing)

    def _forget_unlocated(self, references: list[str]) -> None:
        """Rows of an earlier import that had no location and now have one: they are issues now.
        Deleted without Django's cascade, so their facts go in facts_refresh (which notes the days)."""
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM heatmaps_unlocatedissue WHERE municipality_id = %s AND external_reference = ANY(%s) "
                           "RETURNING id", [self.municipality.pk, references])
            self.unlocated_ids += [row[0] for row in cursor.fetchall()]
