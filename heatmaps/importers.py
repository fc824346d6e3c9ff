"""The history import: an earlier system's past issues, through the shared importer.

Each row becomes a past issue in triage (triage.intake.past_issues); without a usable location (no
coordinates, a 0, 0 placeholder) an UnlocatedIssue counted under "no location"; with a point outside
the municipality an UnlocatedIssue that keeps the point, counted outside the areas. A wrong row
(unknown category or status, unreadable time, times out of order, a repeated reference) stops the
import, which names every kind of problem with its count and first rows, and nothing is kept: the
whole file is one transaction (toolkit.importing.core.run); --skip-invalid imports the good rows
instead. Options the earlier system's data may need: categories created from their names, times
without a zone read in a given zone, times before the report time clamped to it (with a warning).
At the end, the figures of every imported issue are brought up to date in the same transaction.
"""

import datetime
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import MultiPoint, Point
from django.db import connection
from django.utils import timezone

from heatmaps.import_mapping import MappingError
from heatmaps.models import UnlocatedIssue
from heatmaps.refresh import facts_refresh
from toolkit.importing import RowError, SourceFeature
from triage.intake import past_issues as history
from triage.issues.categories import categories_create_named
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
    "walk-in": Channel.WALK_IN, "walk in": Channel.WALK_IN, "counter": Channel.WALK_IN, "email": Channel.WEB,
    "field": Channel.STAFF,
}
MAX_NOTES_LISTED = 20
FUTURE_SLACK = datetime.timedelta(minutes=5)


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
    timezone: str | None = None  # of times written without a zone; default the municipality's
    create_categories: bool = False  # their categories we lack become new categories of ours
    clamp_times: bool = False  # a time before the report time becomes the report time, with a warning




class HistoryTarget:
    """Past issues of one municipality (toolkit.importing.core.ImportTarget)."""

    def __init__(self, mapping: HistoryMapping):
        self.mapping = mapping
        self.municipality = mapping.municipality
        self.zone = ZoneInfo(mapping.timezone or self.municipality.timezone)
        self.now = timezone.now()
        categories = list(Category.objects.filter(municipality=self.municipality).select_related("asset_type"))
        self.category_by_code = {c.code: c for c in categories}
        self.category_by_spelling = {}
        for category in categories:
            self.category_by_spelling[category.code.lower()] = category
            self.category_by_spelling[category.name.lower()] = category
        unknown = sorted({code for code in mapping.category_map.values() if code not in self.category_by_code})
        if unknown and mapping.create_categories:
            for category in categories_create_named(municipality=self.municipality, names=unknown):
                self.category_by_code[category.code] = self.category_by_spelling[category.code] = category
            unknown = []
        if unknown:
            raise MappingError(f"the category mapping names {', '.join(unknown)}, not categories of "
                               f"{self.municipality.code} (they are: {', '.join(sorted(self.category_by_code))}).")
        self.seen: dict[str, str] = {}
        self.issue_ids: list[int] = []
        self.unlocated_ids: list[int] = []
        self.removed_issue_ids: list[int] = []
        self.located = self.unlocated = self.outside = 0
        self.without_location: list[str] = []
        self.reasons: dict[str, int] = {}
        self.created_categories: list[Category] = []
        self.clamped: list[str] = []
        self.clamped_count = 0

    # --- ImportTarget ---------------------------------------------------------------------------

    def required_fields(self) -> list[str]:
        m = self.mapping
        return [f for f in (m.reference_field, m.category_field, m.created_field, m.acknowledged_field,
                            m.resolved_field, m.closed_field, m.status_field, m.channel_field) if f]

    def convert(self, feature: SourceFeature) -> dict:
        """One row as a record; every problem of the row at once (RowError.several)."""
        m = self.mapping
        reference = self._text(feature, m.reference_field, required=True)
        if len(reference) > 64:
            raise RowError(f"reference '{reference[:20]}...' is longer than 64 characters",
                           kind="reference longer than 64 characters")
        key = reference.upper()
        problems: list[RowError] = []

        def attempt(read, *args, **kwargs):
            try:
                return read(*args, **kwargs)
            except RowError as exc:
                problems.append(exc)
                return None

        if key in self.seen:
            problems.append(RowError(f"reference '{reference}' is already used by {self.seen[key]} of this file",
                                     kind="reference used twice in the file"))
        category = attempt(self._category, feature)
        created = attempt(self._moment, feature, m.created_field, required=True)
        acknowledged, resolved, closed = (attempt(self._moment, feature, name)
                                          for name in (m.acknowledged_field, m.resolved_field, m.closed_field))
        channel = attempt(self._channel, feature)
        located = attempt(self._location, feature)
        if created is not None:
            acknowledged, resolved, closed = (
                attempt(self._not_before_created, feature, name, moment, created)
                for name, moment in ((m.acknowledged_field, acknowledged), (m.resolved_field, resolved),
                                     (m.closed_field, closed)))
        status = attempt(self._status, feature, acknowledged, resolved, closed)
        if problems:
            raise RowError.several(problems)
        if status in OPEN_STATUSES and (resolved or closed):
            raise RowError(f"status '{status}' is open, but the row has a resolved or closed time",
                           kind=f"open status '{status}' with a resolved or closed time")
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved = resolved or closed
            if resolved is None:
                raise RowError(f"status '{status}' needs a resolved or closed time",
                               kind=f"status '{status}' without a resolved or closed time")
        if status in (Status.REJECTED, Status.DUPLICATE):
            closed = closed or resolved
            resolved = None
            if closed is None:
                raise RowError(f"status '{status}' needs a closed time", kind=f"status '{status}' without a closed time")
        if status == Status.CLOSED and closed is None:
            closed = resolved
        point, reason = located
        self.seen[key] = feature.label
        return {"label": feature.label, "reference": reference, "category": category, "status": status,
                "channel": channel, "created": created, "acknowledged": acknowledged,
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
                record["outside"] = True
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
        self.outside += sum(1 for r in unlocated if r.get("outside"))
        self.unlocated += sum(1 for r in unlocated if not r.get("outside"))
        for record in unlocated:
            self.reasons[record["reason"]] = self.reasons.get(record["reason"], 0) + 1
            if len(self.without_location) < MAX_NOTES_LISTED:
                self.without_location.append(f"{record['label']} ({record['reference']}): {record['reason']}")

    def finish(self, report) -> None:
        facts_refresh(issue_ids=self.issue_ids + self.removed_issue_ids, unlocated_ids=self.unlocated_ids)
        code = self.municipality.code
        report.notes.append(f"{self.located} issues inside {code}, {self.outside} outside {code} (kept with their "
                            f"coordinates and counted outside the areas), {self.unlocated} without a usable location "
                            f"(kept and counted under 'no location')"
                            + (": " + ", ".join(f"{n} {reason}" for reason, n in sorted(self.reasons.items()))
                               if self.reasons else "."))
        report.notes += [f"  {line}" for line in self.without_location]
        if self.unlocated + self.outside > len(self.without_location):
            report.notes.append(f"  ... and {self.unlocated + self.outside - len(self.without_location)} more")
        if self.created_categories:
            report.notes.append(f"{len(self.created_categories)} categories created (edit their department, SLA "
                                "and kind in the admin): " + ", ".join(f"{c.code} ({c.name})"
                                                                       for c in self.created_categories))
        if self.clamped_count:
            report.notes.append(f"Warning: {self.clamped_count} time(s) before their report time were clamped to it"
                                + (", first:" if self.clamped_count > len(self.clamped) else ":"))
            report.notes += [f"  {line}" for line in self.clamped]

    # --- reading one row ------------------------------------------------------------------------

    def _text(self, feature: SourceFeature, name: str | None, *, required: bool = False) -> str:
        if not name:
            return ""
        value = feature.properties.get(name)
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise RowError(f"field '{name}' is empty", kind=f"empty {name}")
        return text

    def _category(self, feature: SourceFeature) -> Category:
        theirs = self._text(feature, self.mapping.category_field, required=True)
        code = self.mapping.category_map.get(theirs.lower())
        category = self.category_by_code.get(code) if code else self.category_by_spelling.get(theirs.lower())
        if category is None and self.mapping.create_categories:
            category = categories_create_named(municipality=self.municipality, names=[theirs])[0]
            self.created_categories.append(category)
            self.category_by_code[category.code] = category
            self.category_by_spelling[theirs.lower()] = self.category_by_spelling[category.code] = category
        if category is None:
            raise RowError(f"category '{theirs}' is not mapped to one of {self.municipality.code}'s "
                           f"({', '.join(sorted(self.category_by_code)) or 'it has none'}); map it with --category, "
                           "--map-category or --mapping-file, or add --create-categories",
                           kind=f"unknown category '{theirs}'")
        return category

    def _not_before_created(self, feature, name, moment, created):
        if moment is None or moment >= created:
            return moment
        text = f"{name} {moment:%Y-%m-%d %H:%M} is before {self.mapping.created_field} {created:%Y-%m-%d %H:%M}"
        if not self.mapping.clamp_times:
            raise RowError(text + " (add --clamp-closed-before-created to clamp it)",
                           kind=f"{name} before {self.mapping.created_field}")
        self.clamped_count += 1
        if len(self.clamped) < MAX_NOTES_LISTED:
            self.clamped.append(f"{feature.label}: {text}")
        return created

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
            raise RowError(f"{name} {moment.isoformat()} is in the future", kind=f"{name} in the future")
        if moment.year < 1990:
            raise RowError(f"{name} {moment.isoformat()} is before 1990", kind=f"{name} before 1990")
        return moment

    def _parse_moment(self, name: str, text: str) -> datetime.datetime:
        try:
            if self.mapping.date_format:
                return datetime.datetime.strptime(text, self.mapping.date_format)
            return datetime.datetime.fromisoformat(text.replace("/", "-") if re.match(r"^\d{4}/", text) else text)
        except ValueError:
            expected = self.mapping.date_format or "ISO 8601, e.g. 2024-03-05 14:30 or 2024-03-05T14:30:00+02:00"
            raise RowError(f"{name} '{text}' is not a date and time ({expected})",
                           kind=f"unreadable {name} (expected {expected})") from None

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
            raise RowError(f"status '{theirs}' is not one of ours ({', '.join(Status.values)}); map it with "
                           "--status, --map-status or --mapping-file", kind=f"unknown status '{theirs}'")
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
            raise RowError(f"channel '{theirs}' is not one of ours ({', '.join(Channel.values)}); map it with "
                           "--channel, --map-channel or --mapping-file", kind=f"unknown channel '{theirs}'")
        return channel

    def _location(self, feature: SourceFeature) -> tuple[Point | None, str]:
        geometry = feature.geometry
        if isinstance(geometry, MultiPoint) and len(geometry) == 1:
            geometry = geometry[0]
        if geometry is None or geometry.empty:
            return None, "no coordinates"
        if not isinstance(geometry, Point):
            raise RowError(f"is a {geometry.geom_type}; an issue is a point", kind=f"{geometry.geom_type}, not a point")
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
                reason=r["reason"][:200], location=r["point"] if r.get("outside") else None,
                source=self.mapping.source_name[:255], imported_at=self.now)
            for r in records
        ], update_conflicts=True, unique_fields=["municipality", "external_reference"],
            update_fields=["category", "kind", "department", "channel", "status", "created_at", "acknowledged_at",
                           "resolved_at", "closed_at", "expected_at", "reason", "location", "source", "imported_at"])
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
