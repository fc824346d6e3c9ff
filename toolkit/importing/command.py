"""The management-command front end of the importer: shared arguments, a progress bar, and
errors as CommandError messages that name the file, the field or the rows."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from toolkit.importing import core
from toolkit.importing.sources import SourceError, open_source


class ImportCommand(BaseCommand):
    polygonal = False

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoJSON, Shapefile (.shp or .zip), GeoPackage, or CSV with lat/lon columns.")
        parser.add_argument("--layer", help="Layer name, for files with several (GeoPackage).")
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates, where the file does not say.")
        parser.add_argument("--lon-field", help="CSV only: the column of longitudes (or eastings with --srid).")
        parser.add_argument("--lat-field", help="CSV only: the column of latitudes (or northings with --srid).")
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
        with tqdm(total=source.feature_count, unit="feature", disable=not show_progress,
                  file=sys.stderr, desc=source.path.name) as bar:
            try:
                report = core.run(source, target, progress=bar.update, polygonal=self.polygonal)
            except core.ImportFailed as exc:
                raise CommandError(str(exc)) from None
        if show_progress:
            self.stdout.write(report.summary())
        return
