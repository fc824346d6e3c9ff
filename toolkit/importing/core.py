from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, transaction

from toolkit.importing.sources import SourceError, SourceFeature

MAX_ROW_ERRORS_LISTED = 25


class ImportFailed(Exception):
    """Nothing was imported; the message names the file, the field or the rows at fault."""


class RowError(Exception):
    """One feature cannot become a record; the importer adds which feature it was."""


class SkipFeature(Exception):  # noqa: N818 - a signal, not an error
    """A target chose to leave a feature out; it must say so in the report's notes itself."""


@dataclass
class ImportReport:
    source: str
    layer: str
    crs: str
    read: int = 0
    created: int = 0
    updated: int = 0
    repaired: list[str] = field(default_factory=list)  # "feature 3: Self-intersection[...]"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{self.source} (layer {self.layer}, {self.crs}): {self.read} read, "
            f"{self.created} created, {self.updated} updated, {len(self.repaired)} geometries repaired."
        ]
        lines += [f"  repaired {entry}" for entry in self.repaired]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


class ImportTarget(Protocol):
    """What a kind of record supplies to `run`."""

    def required_fields(self) -> list[str]: ...
    def convert(self, feature: SourceFeature) -> Any: ...  # raises RowError
    def geometry_of(self, record: Any): ...
    def set_geometry(self, record: Any, geometry) -> None: ...
    def write(self, records: list, report: ImportReport) -> None: ...
    def finish(self, report: ImportReport) -> None: ...


def run(source, target: ImportTarget, *, progress: Callable[[int], None] | None = None,
        batch_size: int = 1000, polygonal: bool = False) -> ImportReport:
    """Import every feature of `source` through `target`, all or nothing.

    Every feature is converted before anything is kept: if any is wrong, ImportFailed lists them
    (up to MAX_ROW_ERRORS_LISTED) and the transaction leaves the database as it was.
    """
    report = ImportReport(source=source.path.name, layer=source.layer_name, crs=source.crs_name)
    missing = [name for name in target.required_fields() if name not in source.fields]
    if missing:
        raise ImportFailed(
            f"{source.path.name}: field {', '.join(repr(m) for m in missing)} not found in layer "
            f"'{source.layer_name}'; its fields are: {', '.join(source.fields)}."
        )
    errors: list[str] = []
    try:
        with transaction.atomic():
            batch: list[tuple[SourceFeature, Any]] = []
            for feature in source.features():
                report.read += 1
                try:
                    if feature.problems:
                        raise RowError("; ".join(feature.problems))
                    batch.append((feature, target.convert(feature)))
                except SkipFeature:
                    pass
                except RowError as exc:
                    errors.append(f"{feature.label}: {exc}")
                if len(batch) >= batch_size:
                    _write(batch, target, report, polygonal, errors)
                    batch = []
                if progress:
                    progress(1)
            _write(batch, target, report, polygonal, errors)
            if errors:
                raise _failure(source, errors)
            target.finish(report)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from None
    return report


def _failure(source, errors: list[str]) -> ImportFailed:
    listed = errors[:MAX_ROW_ERRORS_LISTED]
    more = len(errors) - len(listed)
    lines = [f"{source.path.name}: {len(errors)} feature(s) cannot be imported; nothing was changed."]
    lines += [f"  {error}" for error in listed]
    if more:
        lines.append(f"  ... and {more} more")
    return ImportFailed("\n".join(lines))


def _write(batch, target, report: ImportReport, polygonal: bool, errors: list[str]) -> None:
    # Once any row has failed the import is doomed: keep converting (to list every bad row) but
    # stop writing.
    if not batch or errors:
        return
    geometries = [target.geometry_of(record) for _, record in batch]
    for (feature, record), (geometry, reason) in zip(
        batch, repair_geometries(geometries, polygonal=polygonal), strict=True
    ):
        if reason:
            report.repaired.append(f"{feature.label}: {reason}")
            target.set_geometry(record, geometry)
    target.write([record for _, record in batch], report)


def repair_geometries(geometries: Iterable, *, polygonal: bool) -> list[tuple[Any, str | None]]:
    """Check every geometry in PostGIS and repair the invalid ones with ST_MakeValid.

    Returns (geometry, None) for a valid one and (repaired geometry, ST_IsValidReason) for a
    repaired one. Polygon layers keep only the polygonal part of a repair, as a MultiPolygon.
    """
    from django.contrib.gis.geos import GEOSGeometry

    geometries = list(geometries)
    wkbs = [bytes(g.ewkb) if g is not None else None for g in geometries]
    if not wkbs:
        return []
    repair = "ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3))" if polygonal else "ST_MakeValid(g)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT n, ST_IsValidReason(g), ST_AsEWKB({repair})
            FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(b, n),
                 LATERAL (SELECT ST_GeomFromEWKB(b) AS g) AS geom
            WHERE b IS NOT NULL AND NOT ST_IsValid(g)
            """,
            [wkbs],
        )
        repaired = {n - 1: (GEOSGeometry(memoryview(wkb)), reason) for n, reason, wkb in cursor.fetchall()}
    return [repaired.get(i, (geometry, None)) for i, geometry in enumerate(geometries)]
