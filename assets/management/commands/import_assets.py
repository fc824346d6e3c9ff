from django.core.management.base import CommandError

from assets.importers import AssetMapping, AssetTarget, add_external_id_arguments
from assets.models import AssetType
from toolkit.importing.command import ImportCommand
from wards.models import Municipality


class Command(ImportCommand):
    help = (
        "Import an asset layer (streetlights, pipes, ...) from a GIS file or a CSV with lat/lon "
        "columns, in one transaction. Re-importing updates assets by their external id."
    )

    def add_mapping_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="Municipality code, e.g. GT423.")
        parser.add_argument("--type", dest="asset_type", help="Asset type code for every feature (e.g. streetlight).")
        parser.add_argument("--type-field", help="Field with each feature's asset type code.")
        add_external_id_arguments(parser)
        parser.add_argument("--status-field", help="Field with the status (in_service, faulty, ...).")
        parser.add_argument("--attribute-field", action="append", dest="attribute_fields",
                            help="Field kept in the asset's attributes (repeat); all other fields by default.")

    def build_target(self, options, source):
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"No municipality has the code '{options['municipality']}'.")
        if bool(options["asset_type"]) == bool(options["type_field"]):
            raise CommandError("Give exactly one of --type and --type-field.")
        asset_type = None
        if options["asset_type"]:
            asset_type = AssetType.objects.filter(municipality=municipality, code=options["asset_type"]).first()
            if asset_type is None:
                known = ", ".join(municipality.asset_types.values_list("code", flat=True)) or "none yet"
                raise CommandError(f"{municipality.code} has no asset type '{options['asset_type']}' (it has: {known}).")
        return AssetTarget(AssetMapping(
            municipality=municipality, asset_type=asset_type, type_field=options["type_field"],
            id_fields=options["id_field"], status_field=options["status_field"],
            attribute_fields=options["attribute_fields"],
        ), skip_repeats=options["skip_repeated_ids"])
