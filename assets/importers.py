"""Import targets for assets and facilities, for the shared importer (toolkit.importing)."""

import hashlib
from dataclasses import dataclass, field

from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.db import connection

from assets.models import Asset, AssetType, Facility, FacilityType
from assets.opening_hours import OpeningHoursError, parse_opening_hours
from assets.services import facility_opening_hours_replace, facility_types_ensure_standard
from toolkit.importing import RowError, SourceFeature
from toolkit.importing.core import SkipFeature
from wards.models import Municipality


def text_of(feature: SourceFeature, field_name: str | None, *, required: bool = False) -> str:
    if not field_name:
        return ""
    value = feature.properties.get(field_name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise RowError(f"field '{field_name}' is empty")
    return text


def add_external_id_arguments(parser) -> None:
    """The command-line options of keyed imports (assets, facilities)."""
    parser.add_argument("--id-field", action="append", default=[],
                        help="Field with the register id (repeat for a composite key). Without it, a digest of "
                             "location and attributes keys each feature.")
    parser.add_argument("--skip-repeated-ids", action="store_true",
                        help="Keep the first feature of each external id and report the repeats, instead of "
                             "refusing the file.")


def external_id_of(feature: SourceFeature, id_fields: list[str]) -> str:
    """The source's key: one field, or several joined with '|'. Without id fields, a digest of
    the location and every attribute, so re-importing the same file is still idempotent."""
    if id_fields:
        return "|".join(text_of(feature, name, required=True) for name in id_fields)
    if feature.geometry is None:
        raise RowError("has no location and no --id-field to key it by")
    fingerprint = feature.geometry.wkt + repr(sorted(feature.properties.items(), key=lambda item: item[0]))
    return "sha1:" + hashlib.sha1(fingerprint.encode()).hexdigest()[:20]


class _KeyedTarget:
    """Keys each feature by its external id. A repeated id is an error, unless `skip_repeats`
    (for registers known to list a record twice): then the first stands and each repeat is
    reported in the import's notes, never dropped silently."""

    def __init__(self, *, skip_repeats: bool = False):
        self._seen: dict[str, str] = {}
        self.skip_repeats = skip_repeats
        self.skipped: list[str] = []

    def _once(self, key: str, feature: SourceFeature) -> None:
        if key in self._seen:
            if self.skip_repeats:
                self.skipped.append(f"{feature.label} skipped: same external id as {self._seen[key]}")
                raise SkipFeature
            raise RowError(f"external id '{key}' is already used by {self._seen[key]} of this file")
        self._seen[key] = feature.label

    def report_skipped(self, report) -> None:
        report.notes.extend(self.skipped)

    def geometry_of(self, record):
        return record["geom"]

    def set_geometry(self, record, geometry):
        record["geom"] = geometry


@dataclass
class AssetMapping:
    municipality: Municipality
    asset_type: AssetType | None = None  # the whole file is one type ...
    type_field: str | None = None  # ... or a field gives each feature's type code
    id_fields: list[str] = field(default_factory=list)
    status_field: str | None = None
    attribute_fields: list[str] | None = None  # None: every other field


class AssetTarget(_KeyedTarget):
    def __init__(self, mapping: AssetMapping, *, skip_repeats: bool = False):
        super().__init__(skip_repeats=skip_repeats)
        self.mapping = mapping
        self.types = {t.code: t for t in AssetType.objects.filter(municipality=mapping.municipality)}

    def required_fields(self):
        m = self.mapping
        return [f for f in [m.type_field, m.status_field, *m.id_fields, *(m.attribute_fields or [])] if f]

    def convert(self, feature):
        m = self.mapping
        asset_type = m.asset_type
        if m.type_field:
            code = text_of(feature, m.type_field, required=True)
            asset_type = self.types.get(code)
            if asset_type is None:
                raise RowError(f"asset type '{code}' is not one of {m.municipality.code}'s: {', '.join(sorted(self.types))}")
        geometry = feature.geometry
        if geometry is None:
            raise RowError("has no geometry")
        if asset_type.geometry_kind == AssetType.GeometryKind.POINT and not isinstance(geometry, Point):
            raise RowError(f"is a {geometry.geom_type}, but {asset_type.name} assets are points")
        if asset_type.geometry_kind == AssetType.GeometryKind.LINE:
            if isinstance(geometry, MultiLineString) and len(geometry) == 1:
                geometry = geometry[0]
            if not isinstance(geometry, LineString):
                raise RowError(f"is a {geometry.geom_type}, but {asset_type.name} assets are lines")
        status = text_of(feature, m.status_field) or Asset.Status.IN_SERVICE
        if status not in Asset.Status.values:
            raise RowError(f"status '{status}' is not one of {', '.join(Asset.Status.values)}")
        external_id = external_id_of(feature, m.id_fields)
        self._once(f"{asset_type.code}/{external_id}", feature)
        skip = {m.type_field, m.status_field, *m.id_fields}
        names = m.attribute_fields if m.attribute_fields is not None else [f for f in feature.properties if f not in skip]
        attributes = {name: _jsonable(feature.properties.get(name)) for name in names}
        return {"asset_type": asset_type, "external_id": external_id, "geom": geometry, "status": status,
                "attributes": attributes}

    def write(self, records, report):
        keys = {(r["asset_type"].pk, r["external_id"]) for r in records}
        existing = set(Asset.objects.filter(asset_type__in={r["asset_type"] for r in records},
                                            external_id__in={k[1] for k in keys})
                       .values_list("asset_type_id", "external_id"))
        Asset.objects.bulk_create(
            [Asset(municipality=self.mapping.municipality, **r) for r in records],
            update_conflicts=True, unique_fields=["asset_type", "external_id"],
            update_fields=["geom", "status", "attributes", "municipality"],
        )
        updated = len(keys & existing)
        report.updated += updated
        report.created += len(records) - updated

    def finish(self, report):
        self.report_skipped(report)


@dataclass
class FacilityMapping:
    name_field: str
    type_field: str | None = None
    facility_type: FacilityType | None = None
    id_fields: list[str] = field(default_factory=list)
    address_field: str | None = None
    phone_field: str | None = None
    email_field: str | None = None
    hours_field: str | None = None
    services_field: str | None = None
    source_field: str | None = None
    default_name: str | None = None  # for unnamed points, e.g. "School"; "{type}" is the type's name


class FacilityTarget(_KeyedTarget):
    def __init__(self, mapping: FacilityMapping, *, skip_repeats: bool = False):
        super().__init__(skip_repeats=skip_repeats)
        self.mapping = mapping
        facility_types_ensure_standard()
        self.type_by_spelling = {}
        for facility_type in FacilityType.objects.all():
            for spelling in [facility_type.code, facility_type.name, *facility_type.aliases]:
                self.type_by_spelling[spelling.strip().lower()] = facility_type
        self.periods: dict[str, list] = {}

    def required_fields(self):
        m = self.mapping
        return [f for f in [m.name_field, m.type_field, m.address_field,
                            m.phone_field, m.email_field, m.hours_field, m.services_field, m.source_field,
                            *m.id_fields] if f]

    def convert(self, feature):
        m = self.mapping
        facility_type = m.facility_type
        if m.type_field:
            spelling = text_of(feature, m.type_field, required=True)
            facility_type = self.type_by_spelling.get(spelling.lower())
            if facility_type is None:
                raise RowError(f"facility type '{spelling}' is unknown; add it (or an alias) in the admin")
        if not isinstance(feature.geometry, Point):
            raise RowError("needs a point location")
        name = text_of(feature, m.name_field) if m.name_field else ""
        name = name or (m.default_name or "").replace("{type}", facility_type.name)
        if not name:
            raise RowError(f"field '{m.name_field}' is empty")
        hours = text_of(feature, m.hours_field)
        external_id = external_id_of(feature, m.id_fields)
        self._once(external_id, feature)
        try:
            parse_opening_hours(hours, coordinates=(feature.geometry.y, feature.geometry.x))
        except OpeningHoursError as exc:
            raise RowError(f"opening hours: {exc}", kind="opening hours not in OpenStreetMap syntax") from None
        self.periods[external_id] = hours
        return {"external_id": external_id, "facility_type": facility_type, "name": name[:160], "geom": feature.geometry,
                "address": text_of(feature, m.address_field)[:255], "phone": text_of(feature, m.phone_field)[:40],
                "email": text_of(feature, m.email_field), "services": text_of(feature, m.services_field),
                "opening_hours": hours, "source": text_of(feature, m.source_field)[:255]}

    def write(self, records, report):
        ids = [r["external_id"] for r in records]
        existing = set(Facility.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
        saved = Facility.objects.bulk_create(
            [Facility(location=r.pop("geom"), **r) for r in records],
            update_conflicts=True, unique_fields=["external_id"],
            update_fields=["facility_type", "name", "location", "address", "phone", "email", "services",
                           "opening_hours", "source"],
        )
        pks = dict(Facility.objects.filter(external_id__in=ids).values_list("external_id", "pk"))
        facility_opening_hours_replace(facilities_periods={pks[f.external_id]: self.periods[f.external_id] for f in saved})
        report.updated += len(existing)
        report.created += len(records) - len(existing)

    def finish(self, report):
        self.report_skipped(report)
        facilities_assign_municipality(external_ids=list(self._seen))
        for first, second, metres in facility_likely_duplicates(external_ids=list(self._seen)):
            report.notes.append(f"possible duplicate: '{first}' and '{second}', {metres:.0f} m apart")


def facilities_assign_municipality(*, external_ids: list[str]) -> None:
    """Each facility belongs to the municipality covering it (the lowest code on a shared edge)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE assets_facility f SET municipality_id = (
                SELECT m.id FROM wards_municipality m WHERE ST_Covers(m.boundary, f.location) ORDER BY m.code LIMIT 1)
            WHERE f.external_id = ANY(%s)
            """,
            [external_ids],
        )


def facility_likely_duplicates(*, external_ids: list[str], metres: float = 250):
    """Pairs of same-type facilities with the same name (ignoring case) within `metres`: public
    registers often list one clinic two or three times. Reported, never merged silently."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.name, b.name, ST_Distance(a.location::geography, b.location::geography)
            FROM assets_facility a JOIN assets_facility b
              ON a.id < b.id AND a.facility_type_id = b.facility_type_id
             AND lower(a.name) = lower(b.name)
             AND ST_DWithin(a.location::geography, b.location::geography, %s)
            WHERE a.external_id = ANY(%s) OR b.external_id = ANY(%s)
            ORDER BY a.name
            """,
            [metres, external_ids, external_ids],
        )
        return cursor.fetchall()


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

