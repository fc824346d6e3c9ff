"""Write a published layer to a file with GDAL: the same SQL and formats as the download URL."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from layers import exports, features
from layers.registry import registry
from toolkit.params import BadParameter


class Command(BaseCommand):
    help = "Export a layer (see /ogc/collections for the keys) to GeoPackage, Shapefile, GeoJSON, CSV or KML."

    def add_arguments(self, parser):
        parser.add_argument("layer", help="The layer key, e.g. wards.")
        parser.add_argument("path", help="The file to write (a Shapefile is written as a .zip).")
        parser.add_argument("--format", choices=sorted(exports.EXPORT_FORMATS),
                            help="The file format; by default from the file's extension, else gpkg.")
        parser.add_argument("--bbox", help="minLon,minLat,maxLon,maxLat in WGS 84.")
        parser.add_argument("--datetime", help="An RFC 3339 instant or interval (start/end, '..' for open).")
        parser.add_argument("--where", action="append", default=[], metavar="PROPERTY=VALUE",
                            help="Keep features whose published property has this value (repeatable).")

    def handle(self, *args, layer: str, path: str, **options):
        found = registry.get(layer)
        if found is None:
            known = ", ".join(each.key for each in registry)
            raise CommandError(f"There is no layer '{layer}'; the layers are: {known}.")
        destination = Path(path)
        key = options["format"] or {"zip": "shp"}.get(destination.suffix.lstrip("."), destination.suffix.lstrip("."))
        export_format = exports.EXPORT_FORMATS.get(key) or exports.EXPORT_FORMATS["gpkg"]
        params = {"bbox": options["bbox"], "datetime": options["datetime"]}
        for condition in options["where"]:
            name, equals, value = condition.partition("=")
            if not equals or name not in found.properties:
                raise CommandError(
                    f"--where '{condition}': expected PROPERTY=VALUE, PROPERTY one of {', '.join(found.properties)}."
                )
            params[name] = value
        try:
            rows = features.filtered(found, features.parse_filter(found, params))
            show = options["verbosity"] > 0
            if show:
                self.stdout.write(f"Exporting {found.title} as {export_format.title} ", ending="")
            exports.write(found, rows, export_format, destination,
                          progress=(lambda text: self.stdout.write(text, ending="")) if show else None)
        except BadParameter as error:
            raise CommandError(str(error)) from None
        except exports.ExportFailed as error:
            raise CommandError(f"{destination}: {error}") from None
        if show:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Wrote {destination}"))
