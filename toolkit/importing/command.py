"""The management-command front end of the importer: shared arguments, a progress bar, and
errors as CommandError messages that name the file, the field or the rows."""

import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from toolkit.importing import core
from toolkit.importing.sources import SourceError, SourceFeature, open_source


class RefusedRows:
    """The refused features as a CSV that can be fixed and imported again: a CSV source's own
    columns as written (a GIS file's attributes and its geometry as WKT), then where it was and why."""

    def __init__(self, path: str, source):
        self.path = Path(path)
        self.columns = list(source.fields) if hasattr(source, "lon_field") else [*source.fields, "wkt"]
        self.handle = None
        self.count = 0

    def __call__(self, feature: SourceFeature, reason: str) -> None:
        if self.handle is None:
            self.handle = self.path.open("w", newline="", encoding="utf-8")
            self.writer = csv.writer(self.handle)
            self.writer.writerow([*self.columns, "refused_feature", "refused_reason"])
        values = dict(feature.raw if feature.raw is not None else feature.properties)
        if feature.raw is None:
            values["wkt"] = feature.geometry.wkt if feature.geometry is not None else ""
        self.writer.writerow([_cell(values.get(name)) for name in self.columns] + [feature.label, reason])
        self.count += 1

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _cell(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class ImportCommand(BaseCommand):
    polygonal = False

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoJSON, Shapefile (.shp or .zip), GeoPackage, or CSV with lat/lon columns.")
        parser.add_argument("--layer", help="Layer name, for files with several (GeoPackage).")
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates, where the file does not say.")
        parser.add_argument("--lon-field", help="CSV only: the column of longitudes (or eastings with --srid).")
        parser.add_argument("--lat-field", help="CSV only: the column of latitudes (or northings with --srid).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Do everything, report every kind of problem with counts and first rows, keep nothing.")
        parser.add_argument("--skip-invalid", metavar="FILE",
                            help="Import the good rows and write the refused ones, with their reasons, to this CSV "
                                 "(without it a single bad row stops the whole import).")
        self.add_mapping_arguments(parser)

    def add_mapping_arguments(self, parser):
        raise NotImplementedError

    def build_target(self, options, source):
        """Return the import target; raise CommandError for a bad mapping."""
        raise NotImplementedError

    def handle(self, *args, **options):
        try:
            source = open_source(options["path"], layer=options["layer"], srid=options["srid"],
                                 lon_field=options["lon_field"], lat_field=options["lat_field"])
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        target = self.build_target(options, source)
        show_progress = options["verbosity"] >= 1
        refused = RefusedRows(options["skip_invalid"], source) if options.get("skip_invalid") else None
        with tqdm(total=source.feature_count, unit="feature", disable=not show_progress,
                  file=sys.stderr, desc=source.path.name) as bar:
            try:
                report = core.run(source, target, progress=bar.update, polygonal=self.polygonal,
                                  dry_run=options.get("dry_run", False), refuse=refused)
            except core.ImportFailed as exc:
                raise CommandError(str(exc)) from None
            finally:
                if refused is not None:
                    refused.close()
        if show_progress:
            self.stdout.write(report.summary())
            if refused is not None and refused.count:
                self.stdout.write(f"  {refused.count} refused row(s) written to {refused.path}.")
