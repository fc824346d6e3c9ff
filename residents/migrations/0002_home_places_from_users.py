"""Each user's home (accounts.User.home_location and home_address) becomes their home Place, the
one place residents' code reads. The user's columns stay for the staff admin until they are dropped."""

from django.db import migrations


def homes_to_places(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Place = apps.get_model("residents", "Place")
    has_home = set(Place.objects.filter(is_home=True).values_list("user_id", flat=True))
    Place.objects.bulk_create([
        Place(user_id=user.pk, name="Home", is_home=True, point=user.home_location, address=user.home_address)
        for user in User.objects.exclude(home_location=None).only("pk", "home_location", "home_address")
        if user.pk not in has_home
    ], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial"), ("accounts", "0002_user_phone_verified")]
    operations = [migrations.RunPython(homes_to_places, migrations.RunPython.noop)]
