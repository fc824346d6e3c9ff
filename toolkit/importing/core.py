from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, transaction

from toolkit.importing.sources import SourceError, SourceFeature

MAX_KINDS_LISTED = 100
EXAMPLES_PER_KIND = 3


class ImportFailed(Exception):
    """Nothing was imported; the message names the file, the field or the rows at fault."""


class RowError(Exception):
    """One feature cannot become a record; the importer adds which feature it was.

    `kind` groups rows with the same problem in the report (e.g. "unknown category 'Sinkholes'"),
    so a file with 40,000 bad rows reads as a few kinds with counts; without it the message is the kind."""

    def __init__(self, message: str, *, kind: str | None = None):
        super().__init__(message)
        self.kind = kind or message
        self.parts = [(message, self.kind)]

    @classmethod
    def several(cls, errors: list["RowError"]) -> "RowError":
        """One row's several problems, each counted under its own kind."""
        combined = cls("; ".join(str(error) for error in errors), kind=errors[0].kind)
        combined.parts = [part for error in errors for part in error.parts]
        return combined


@dataclass
class Problems:
    """Every refused row, grouped by kind: a count and the first examples of each, in file order."""

    count: int = 0
    kinds: dict[str, list] = field(default_factory=dict)  # kind -> [count, [examples]]

    def add(self, label: str, error: RowError) -> None:
        self.count += 1
        for message, kind in error.parts:
            entry = self.kinds.setdefault(kind, [0, []])
            entry[0] += 1
            if len(entry[1]) < EXAMPLES_PER_KIND:
                entry[1].append(f"{label}: {message}")

    def __bool__(self) -> bool:
        return self.count > 0

    def lines(self) -> list[str]:
        lines = []
        for kind, (count, examples) in list(self.kinds.items())[:MAX_KINDS_LISTED]:
            lines.append(f"  {kind}: {count} row(s)" + (", first:" if count > len(examples) else ":"))
            lines += [f"    {example}" for example in examples]
        if len(self.kinds) > MAX_KINDS_LISTED:
            lines.append(f"  ... and {len(self.kinds) - MAX_KINDS_LISTED} more kinds of problem")
        return lines


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
    refused: Problems = field(default_factory=Problems)
    dry_run: bool = False

    def summary(self) -> str:
        lines = [
            ("Dry run, nothing was changed: " if self.dry_run else "")
            + f"{self.source} (layer {self.layer}, {self.crs}): {self.read} read, "
            f"{self.created} {'would be ' if self.dry_run else ''}created, {self.updated} "
            f"{'would be ' if self.dry_run else ''}updated, {len(self.repaired)} geometries repaired"
            + (f", {self.refused.count} refused." if self.refused else ".")
        ]
        lines += [f"  repaired {entry}" for entry in self.repaired]
        lines += [f"  {note}" for note in self.notes]
        if self.refused:
            lines.append(f"  {self.refused.count} feature(s) refused, {len(self.refused.kinds)} kind(s) of problem:")
            lines += [f"  {line}" for line in self.refused.lines()]
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
        batch_size: int = 1000, polygonal: bool = False, dry_run: bool = False,
        refuse: Callable[[SourceFeature, str], None] | None = None) -> ImportReport:
    """Import every feature of `source` through `target`, all or nothing.

    Every feature is converted before anything is kept: if any is wrong, ImportFailed lists every
    kind of problem with its count and first rows, and the transaction leaves the database as it was.
    With `refuse`, the good features are imported and each bad one is handed to it with its reason.
    A dry run does all the work, reports what it found (refused rows included) and rolls it back.
    """
    report = ImportReport(source=source.path.name, layer=source.layer_name, crs=source.crs_name, dry_run=dry_run)
    missing = [name for name in target.required_fields() if name not in source.fields]
    if missing:
        raise ImportFailed(
            f"{source.path.name}: field {', '.join(repr(m) for m in missing)} not found in layer "
            f"'{source.layer_name}'; its fields are: {', '.join(source.fields)}."
        )
    all_or_nothing = refuse is None and not dry_run
    try:
        with transaction.atomic():
            batch: list[tuple[SourceFeature, Any]] = []
            for feature in source.features():
                report.read += 1
                try:
                    if feature.problems:
                        raise RowError("; ".join(feature.problems), kind="unreadable location")
                    batch.append((feature, target.convert(feature)))
                except SkipFeature:
                    pass
                except RowError as exc:
                    report.refused.add(feature.label, exc)
                    if refuse is not None:
                        refuse(feature, str(exc))
                if len(batch) >= batch_size:
                    _write(batch, target, report, polygonal, doomed=all_or_nothing and bool(report.refused))
                    batch = []
                if progress:
                    progress(1)
            _write(batch, target, report, polygonal, doomed=all_or_nothing and bool(report.refused))
            if all_or_nothing and report.refused:
                raise _failure(source, report.refused)
            target.finish(report)
            if dry_run:
                transaction.set_rollback(True)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from None
    return report


def _failure(source, refused: Problems) -> ImportFailed:
    lines = [f"{source.path.name}: {refused.count} feature(s) cannot be imported; nothing was changed. "
             f"{len(refused.kinds)} kind(s) of problem:"]
    return ImportFailed("\n".join(lines + refused.lines()))


def _write(batch, target, report: ImportReport, polygonal: bool, *, doomed: bool) -> None:
    # Once any row has failed an all-or-nothing import it is doomed: keep converting (to list
    # every bad row) but stop writing.
    if not batch or doomed:
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
