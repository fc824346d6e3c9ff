from django.db import migrations

def add_types(apps, schema_editor):
    from assets.facility_types import STANDARD_FACILITY_TYPES

    FacilityType = apps.get_model("assets", "FacilityType")
    for code, name, aliases in STANDARD_FACILITY_TYPES:
        FacilityType.objects.update_or_create(code=code, defaults={"name": name, "aliases": aliases})


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]
    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
