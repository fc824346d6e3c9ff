"""Import targets for areas: how a feature becomes a municipality, a ward or a suburb."""

from dataclasses import dataclass

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from toolkit.importing import RowError, SourceFeature
from wards import services
from wards.models import Municipality, Suburb, Ward, validate_timezone

LEVELS = ("municipality", "ward", "suburb")


@dataclass
class AreaMapping:
    """Which source fields give what. Where a value is the same for the whole file (the
    municipality, the demarcation year) it may be given instead of a field."""

    level: str
    code_field: str | None = None
    name_field: str | None = None
    number_field: str | None = None
    municipality: str | None = None
    municipality_field: str | None = None
    municipality_name_field: str | None = None
    year: int | None = None
    year_field: str | None = None
    source_name: str = ""
    # A new municipality's name and settings (those not given come from its country).
    municipality_name: str | None = None
    country: str | None = None
    timezone: str | None = None
    emergency_number: str | None = None

    @property
    def municipality_settings(self) -> dict:
        return {key: value for key, value in (("country", self.country), ("timezone", self.timezone),
                                              ("emergency_number", self.emergency_number)) if value}

    def _settings_problems(self) -> list[str]:
        if self.timezone:
            try:
                validate_timezone(self.timezone)
            except ValidationError as exc:
                return [f"--timezone: {exc.messages[0]}"]
        if self.country:
            try:
                services.municipality_settings(**self.municipality_settings)
            except ValidationError as exc:
                return [f"--country: {exc.messages[0]}"]
        return []

    def problems(self) -> list[str]:
        needs = {
            "municipality": ["code_field", "name_field"],
            "ward": ["code_field", "number_field"],
            "suburb": ["name_field"],
        }[self.level]
        found = [f"--{name.replace('_', '-')} is required for --level {self.level}" for name in needs
                 if not getattr(self, name)]
        if self.level in ("ward", "suburb") and not (self.municipality or self.municipality_field):
            found.append(f"--municipality or --municipality-field is required for --level {self.level}")
        if self.level == "ward" and not (self.year or self.year_field):
            found.append("--year or --year-field is required for --level ward (the demarcation year)")
        found += self._settings_problems()
        return found


def as_multipolygon(geometry: GEOSGeometry | None) -> MultiPolygon:
    if geometry is None:
        raise RowError("has no geometry")
    if isinstance(geometry, Polygon):
        return MultiPolygon(geometry, srid=geometry.srid)
    if isinstance(geometry, MultiPolygon):
        return geometry
    raise RowError(f"is a {geometry.geom_type}, but areas must be polygons")


def text_value(feature: SourceFeature, field: str) -> str:
    value = feature.properties.get(field)
    if value is None or str(value).strip() == "":
        raise RowError(f"field '{field}' is empty")
    return str(value).strip()


def whole_number(feature: SourceFeature, field: str) -> int:
    raw = text_value(feature, field)
    try:
        number = float(raw)
    except ValueError:
        raise RowError(f"field '{field}' is '{raw}', not a number") from None
    if number != int(number) or number < 0:
        raise RowError(f"field '{field}' is '{raw}', not a whole number")
    return int(number)


class _AreaTarget:
    def __init__(self, mapping: AreaMapping):
        self.mapping = mapping
        self._seen: dict[tuple, str] = {}
        self.municipality_codes: set[str] = set()

    def required_fields(self) -> list[str]:
        m = self.mapping
        return [f for f in (m.code_field, m.name_field, m.number_field, m.municipality_field,
                            m.municipality_name_field, m.year_field) if f]

    def geometry_of(self, record):
        return record["geom"]

    def set_geometry(self, record, geometry):
        record["geom"] = geometry

    def _once(self, key: tuple, feature: SourceFeature, what: str) -> None:
        if key in self._seen:
            raise RowError(f"{what} is already used by {self._seen[key]} of this file")
        self._seen[key] = feature.label

    def _municipality_code(self, feature: SourceFeature) -> str:
        m = self.mapping
        return m.municipality or text_value(feature, m.municipality_field)

    def _municipality_name(self, feature: SourceFeature) -> str | None:
        field = self.mapping.municipality_name_field
        return text_value(feature, field) if field else None

    def _municipalities(self, records) -> dict[str, Municipality]:
        found = {}
        for record in records:
            code = record["municipality_code"]
            if code not in found:
                found[code], _ = services.municipality_get_or_create(
                    code=code, name=record.get("municipality_name") or self.mapping.municipality_name,
                    **self.mapping.municipality_settings)
                self.municipality_codes.add(code)
        return found


class MunicipalityTarget(_AreaTarget):
    def convert(self, feature):
        code = text_value(feature, self.mapping.code_field)
        self._once((code,), feature, f"municipality code {code}")
        return {"code": code, "name": text_value(feature, self.mapping.name_field),
                "geom": as_multipolygon(feature.geometry)}

    def write(self, records, report):
        codes = [r["code"] for r in records]
        existing = set(Municipality.objects.filter(code__in=codes).values_list("code", flat=True))
        Municipality.objects.bulk_create(
            [Municipality(code=r["code"], name=r["name"], boundary=r["geom"],
                          boundary_source=Municipality.BoundarySource.FILE) for r in records],
            update_conflicts=True, unique_fields=["code"], update_fields=["name", "boundary", "boundary_source"],
        )
        report.updated += len(existing)
        report.created += len(records) - len(existing)
        given = self.mapping.municipality_settings
        created = set(codes) - existing
        if created:
            Municipality.objects.filter(code__in=created).update(**services.municipality_settings(**given))
        if given and existing:
            Municipality.objects.filter(code__in=existing).update(**given)

    def finish(self, report):
        pass


class WardTarget(_AreaTarget):
    def convert(self, feature):
        m = self.mapping
        municipality_code = self._municipality_code(feature)
        year = m.year or whole_number(feature, m.year_field)
        code = text_value(feature, m.code_field)
        number = whole_number(feature, m.number_field)
        self._once(("code", municipality_code, year, code), feature, f"ward code {code}")
        self._once(("number", municipality_code, year, number), feature, f"ward number {number}")
        return {"municipality_code": municipality_code, "municipality_name": self._municipality_name(feature),
                "year": year, "code": code, "number": number, "geom": as_multipolygon(feature.geometry)}

    def write(self, records, report):
        municipalities = self._municipalities(records)
        sets = {}
        for record in records:
            key = (record["municipality_code"], record["year"])
            if key not in sets:
                sets[key] = services.boundary_set_get_or_create(
                    municipality=municipalities[key[0]], year=key[1], source=self.mapping.source_name
                )
        existing = set(
            Ward.objects.filter(boundary_set__in=sets.values(), code__in=[r["code"] for r in records])
            .values_list("boundary_set_id", "code")
        )
        wards = [
            Ward(boundary_set=sets[(r["municipality_code"], r["year"])],
                 municipality=municipalities[r["municipality_code"]],
                 code=r["code"], number=r["number"], geom=r["geom"])
            for r in records
        ]
        Ward.objects.bulk_create(wards, update_conflicts=True, unique_fields=["boundary_set", "code"],
                                 update_fields=["number", "geom", "municipality"])
        updated = sum(1 for w in wards if (w.boundary_set_id, w.code) in existing)
        report.updated += updated
        report.created += len(wards) - updated

    def finish(self, report):
        for municipality in Municipality.objects.filter(code__in=self.municipality_codes):
            current = services.boundary_sets_refresh_current(municipality=municipality)
            services.municipality_boundary_from_wards(municipality=municipality)
            report.notes.append(f"{municipality.code}: current wards are the {current.year} demarcation "
                                f"({current.wards.count()} wards).")


class SuburbTarget(_AreaTarget):
    def convert(self, feature):
        m = self.mapping
        municipality_code = self._municipality_code(feature)
        name = text_value(feature, m.name_field)
        code = slugify(text_value(feature, m.code_field) if m.code_field else name)
        if not code:
            raise RowError(f"'{name}' gives no usable code; add --code-field")
        self._once((municipality_code, code), feature, f"suburb code {code}")
        return {"municipality_code": municipality_code, "municipality_name": self._municipality_name(feature),
                "code": code, "name": name, "geom": as_multipolygon(feature.geometry)}

    def write(self, records, report):
        municipalities = self._municipalities(records)
        existing = set(Suburb.objects.filter(municipality__in=municipalities.values(),
                                             code__in=[r["code"] for r in records])
                       .values_list("municipality__code", "code"))
        Suburb.objects.bulk_create(
            [Suburb(municipality=municipalities[r["municipality_code"]], code=r["code"], name=r["name"],
                    geom=r["geom"]) for r in records],
            update_conflicts=True, unique_fields=["municipality", "code"], update_fields=["name", "geom"],
        )
        updated = sum(1 for r in records if (r["municipality_code"], r["code"]) in existing)
        report.updated += updated
        report.created += len(records) - updated

    def finish(self, report):
        pass


TARGETS = {"municipality": MunicipalityTarget, "ward": WardTarget, "suburb": SuburbTarget}


def area_target(mapping: AreaMapping):
    return TARGETS[mapping.level](mapping)
