from django.core.management.base import CommandError

from toolkit.importing.command import ImportCommand
from wards.importers import LEVELS, AreaMapping, area_target


class Command(ImportCommand):
    help = (
        "Import municipalities, wards or suburbs from a GIS file, in one transaction. Re-importing "
        "updates in place (keyed by code); a newer ward demarcation year becomes current and older "
        "ones stay queryable."
    )
    polygonal = True

    def add_mapping_arguments(self, parser):
        parser.add_argument("--level", required=True, choices=LEVELS)
        parser.add_argument("--code-field", help="Field with the area code (MDB code, ward id, ...).")
        parser.add_argument("--name-field", help="Field with the area name.")
        parser.add_argument("--number-field", help="Wards: field with the ward number.")
        parser.add_argument("--municipality", help="Code of the municipality every feature belongs to.")
        parser.add_argument("--municipality-field", help="Field with each feature's municipality code.")
        parser.add_argument("--municipality-name-field", help="Field with the municipality's name.")
        parser.add_argument("--year", type=int, help="Wards: the demarcation year of the whole file.")
        parser.add_argument("--year-field", help="Wards: field with each feature's demarcation year.")
        parser.add_argument("--name", help="The name of the municipality --municipality names, when it is new.")
        parser.add_argument("--country", help="A new municipality's country (ISO 3166 alpha-2, e.g. US); its time "
                                              "zone and emergency number default from it.")
        parser.add_argument("--timezone", help="A municipality's time zone (IANA name, e.g. America/Los_Angeles).")
        parser.add_argument("--emergency-number", help="A municipality's emergency number.")

    def build_target(self, options, source):
        mapping = AreaMapping(
            level=options["level"], code_field=options["code_field"], name_field=options["name_field"],
            number_field=options["number_field"], municipality=options["municipality"],
            municipality_field=options["municipality_field"],
            municipality_name_field=options["municipality_name_field"],
            year=options["year"], year_field=options["year_field"], source_name=source.path.name,
            municipality_name=options["name"], country=options["country"], timezone=options["timezone"],
            emergency_number=options["emergency_number"],
        )
        problems = mapping.problems()
        if problems:
            raise CommandError("; ".join(problems))
        return area_target(mapping)
