from django.core.management.base import CommandError

from assets.importers import FacilityMapping, FacilityTarget, add_external_id_arguments
from assets.models import FacilityType
from assets.services import facility_types_ensure_standard
from toolkit.importing.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import public facilities (clinics, libraries, offices, ...) from a GIS file or a CSV with "
        "lat/lon columns, in one transaction. Each facility's municipality is found spatially; "
        "re-importing updates by external id; likely duplicates are reported."
    )

    def add_mapping_arguments(self, parser):
        parser.add_argument("--name-field", help="Field with the facility name.")
        parser.add_argument("--default-name", help="Name for features without one (e.g. 'School').")
        parser.add_argument("--type", dest="facility_type", help="Facility type code for every feature.")
        parser.add_argument("--type-field", help="Field with each feature's type (code, name or alias).")
        add_external_id_arguments(parser)
        parser.add_argument("--address-field")
        parser.add_argument("--phone-field")
        parser.add_argument("--email-field")
        parser.add_argument("--hours-field", help="Opening hours, e.g. 'Mo-Fr 08:00-16:30; Sa 08:00-12:00'.")
        parser.add_argument("--services-field")
        parser.add_argument("--source-field", help="Field naming the dataset each feature came from.")

    def build_target(self, options, source):
        if not (options["name_field"] or options["default_name"]):
            raise CommandError("Give --name-field or --default-name.")
        if bool(options["facility_type"]) == bool(options["type_field"]):
            raise CommandError("Give exactly one of --type and --type-field.")
        facility_types_ensure_standard()
        facility_type = None
        if options["facility_type"]:
            facility_type = FacilityType.objects.filter(code=options["facility_type"]).first()
            if facility_type is None:
                known = ", ".join(FacilityType.objects.values_list("code", flat=True))
                raise CommandError(f"No facility type '{options['facility_type']}' (known: {known}).")
        return FacilityTarget(FacilityMapping(
            name_field=options["name_field"], default_name=options["default_name"], type_field=options["type_field"],
            facility_type=facility_type, id_fields=options["id_field"], address_field=options["address_field"],
            phone_field=options["phone_field"], email_field=options["email_field"], hours_field=options["hours_field"],
            services_field=options["services_field"], source_field=options["source_field"],
        ), skip_repeats=options["skip_repeated_ids"])
