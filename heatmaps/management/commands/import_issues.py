from django.core.management.base import CommandError

from heatmaps.importers import HistoryMapping, HistoryTarget, MappingError, parse_pairs, read_category_map
from toolkit.importing.command import ImportCommand
from triage.issues.models import Channel
from triage.issues.workflow import Status
from wards.models import Municipality


class Command(ImportCommand):
    help = (
        "Import past issues from an earlier system (CSV with lon/lat columns, GeoJSON, or any GDAL format), in one "
        "transaction: a wrong row stops the import naming it, and nothing is kept. Rows without a usable location "
        "are kept and counted under 'no location'. Re-importing the same file updates the same issues."
    )

    def add_mapping_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="Municipality code, e.g. GT423.")
        parser.add_argument("--reference-field", required=True, help="Field with the issue's reference in the earlier system.")
        parser.add_argument("--category-field", required=True, help="Field with the category (mapped to ours).")
        parser.add_argument("--category", action="append", default=[], metavar="THEIRS=OURS",
                            help="Map one of their categories to one of our category codes (repeat). Without a "
                                 "mapping, their value must be our code or name.")
        parser.add_argument("--category-map", help="CSV with a header row: their category, our category code.")
        parser.add_argument("--created-field", required=True, help="Field with when it was reported.")
        parser.add_argument("--acknowledged-field", help="Field with when it was first acknowledged.")
        parser.add_argument("--resolved-field", help="Field with when it was resolved.")
        parser.add_argument("--closed-field", help="Field with when it was closed.")
        parser.add_argument("--status-field", help="Field with its status; without it the status follows the times.")
        parser.add_argument("--status", action="append", default=[], metavar="THEIRS=OURS",
                            help=f"Map one of their statuses to ours ({', '.join(Status.values)}); repeat.")
        parser.add_argument("--channel-field", help="Field with how it was reported (default: import).")
        parser.add_argument("--channel", action="append", default=[], metavar="THEIRS=OURS",
                            help=f"Map one of their channels to ours ({', '.join(Channel.values)}); repeat.")
        parser.add_argument("--date-format", help="strptime format of the times, e.g. '%%d/%%m/%%Y %%H:%%M' "
                                                  "(default ISO 8601). Times without a zone are local.")

    def build_target(self, options, source):
        municipality = Municipality.objects.defer("boundary").filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"No municipality has the code '{options['municipality']}'.")
        try:
            category_map = read_category_map(options["category_map"]) if options["category_map"] else {}
            category_map.update(parse_pairs(options["category"], "--category"))
            mapping = HistoryMapping(
                municipality=municipality, reference_field=options["reference_field"],
                category_field=options["category_field"], created_field=options["created_field"],
                acknowledged_field=options["acknowledged_field"], resolved_field=options["resolved_field"],
                closed_field=options["closed_field"], status_field=options["status_field"],
                channel_field=options["channel_field"], category_map=category_map,
                status_map=parse_pairs(options["status"], "--status", Status.values),
                channel_map=parse_pairs(options["channel"], "--channel", Channel.values),
                date_format=options["date_format"], source_name=source.path.name,
            )
            return HistoryTarget(mapping)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
