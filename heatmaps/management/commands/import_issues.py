from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import CommandError

from heatmaps.import_mapping import MappingError, parse_pairs, read_category_map, read_mapping_file
from heatmaps.importers import HistoryMapping, HistoryTarget
from toolkit.importing.command import ImportCommand
from triage.issues.models import Channel
from triage.issues.workflow import Status
from wards.models import Municipality


class Command(ImportCommand):
    help = (
        "Import past issues from an earlier system (CSV with lon/lat columns, GeoJSON, or any GDAL format), in one "
        "transaction: a wrong row stops the import, every kind of problem is listed with its count and first rows, "
        "and nothing is kept (--skip-invalid imports the good rows instead; --dry-run only reports). Rows without a "
        "usable location are kept and counted under 'no location'; points outside the municipality keep their "
        "coordinates and are counted outside the areas. Re-importing the same file updates the same issues."
    )

    def add_mapping_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="Municipality code, e.g. GT423.")
        parser.add_argument("--reference-field", required=True, help="Field with the issue's reference in the earlier system.")
        parser.add_argument("--category-field", required=True, help="Field with the category (mapped to ours).")
        parser.add_argument("--category", action="append", default=[], metavar="THEIRS=OURS",
                            help="Map one of their categories to one of our category codes (repeat). Without a "
                                 "mapping, their value must be our code or name.")
        parser.add_argument("--map-category", action="append", default=[], metavar="THEIRS=OURS[,...]",
                            help="Several --category pairs in one option, comma-separated.")
        parser.add_argument("--category-map", help="CSV with a header row: their category, our category code.")
        parser.add_argument("--mapping-file", help="CSV with a header row and three columns: what (category, status "
                                                   "or channel), their value, ours.")
        parser.add_argument("--create-categories", action="store_true",
                            help="Their categories that map to none of ours become new categories (named as theirs; "
                                 "complete them in the admin).")
        parser.add_argument("--created-field", required=True, help="Field with when it was reported.")
        parser.add_argument("--acknowledged-field", help="Field with when it was first acknowledged.")
        parser.add_argument("--resolved-field", help="Field with when it was resolved.")
        parser.add_argument("--closed-field", help="Field with when it was closed.")
        parser.add_argument("--status-field", help="Field with its status; without it the status follows the times.")
        parser.add_argument("--status", action="append", default=[], metavar="THEIRS=OURS",
                            help=f"Map one of their statuses to ours ({', '.join(Status.values)}); repeat.")
        parser.add_argument("--map-status", action="append", default=[], metavar="THEIRS=OURS[,...]",
                            help="Several --status pairs in one option, e.g. \"Closed=closed,Logged=submitted\".")
        parser.add_argument("--channel-field", help="Field with how it was reported (default: import).")
        parser.add_argument("--channel", action="append", default=[], metavar="THEIRS=OURS",
                            help=f"Map one of their channels to ours ({', '.join(Channel.values)}); repeat.")
        parser.add_argument("--map-channel", action="append", default=[], metavar="THEIRS=OURS[,...]",
                            help="Several --channel pairs in one option, e.g. \"Phone=phone,Counter=phone\".")
        parser.add_argument("--date-format", help="strptime format of the times, e.g. '%%d/%%m/%%Y %%H:%%M' "
                                                  "(default ISO 8601). Times without a zone are local.")
        parser.add_argument("--timezone", help="Time zone of times written without one, e.g. UTC (default: the "
                                               "municipality's).")
        parser.add_argument("--clamp-closed-before-created", action="store_true",
                            help="A time before the report time becomes the report time, with a warning listing "
                                 "the rows (without it such a row is refused).")

    def build_target(self, options, source):
        municipality = Municipality.objects.defer("boundary").filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"No municipality has the code '{options['municipality']}'.")
        if options["timezone"]:
            try:
                ZoneInfo(options["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                raise CommandError(f"--timezone '{options['timezone']}' is not a time zone name "
                                   "(e.g. UTC, Africa/Johannesburg, America/Los_Angeles).") from None
        try:
            from_file = (read_mapping_file(options["mapping_file"], {"category": None, "status": Status.values,
                                                                     "channel": Channel.values})
                         if options["mapping_file"] else {"category": {}, "status": {}, "channel": {}})
            category_map = read_category_map(options["category_map"]) if options["category_map"] else {}
            category_map.update(from_file["category"])
            category_map.update(parse_pairs(options["category"] + options["map_category"], "--category"))
            status_map = {**from_file["status"],
                          **parse_pairs(options["status"] + options["map_status"], "--status", Status.values)}
            channel_map = {**from_file["channel"],
                           **parse_pairs(options["channel"] + options["map_channel"], "--channel", Channel.values)}
            mapping = HistoryMapping(
                municipality=municipality, reference_field=options["reference_field"],
                category_field=options["category_field"], created_field=options["created_field"],
                acknowledged_field=options["acknowledged_field"], resolved_field=options["resolved_field"],
                closed_field=options["closed_field"], status_field=options["status_field"],
                channel_field=options["channel_field"], category_map=category_map,
                status_map=status_map, channel_map=channel_map,
                date_format=options["date_format"], source_name=source.path.name, timezone=options["timezone"],
                create_categories=options["create_categories"],
                clamp_times=options["clamp_closed_before_created"],
            )
            return HistoryTarget(mapping)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
