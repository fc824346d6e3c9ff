"""Open311 api_keys are kept as their SHA-256 only: existing keys are hashed in place (their clients keep
working), and the plain column is dropped."""

import hashlib

from django.db import migrations, models


def hash_existing_keys(apps, schema_editor):
    ApiClient = apps.get_model("triage", "ApiClient")
    for client in ApiClient.objects.all():
        client.key_digest = hashlib.sha256(client.key.encode()).hexdigest()
        client.key_start = client.key[:4]
        client.save(update_fields=["key_digest", "key_start"])


class Migration(migrations.Migration):

    dependencies = [
        ("triage", "0007_email_followers_confirm_before_updates"),
    ]

    operations = [
        migrations.AddField(
            model_name="apiclient", name="key_digest",
            field=models.CharField(editable=False, help_text="SHA-256 of the api_key.", max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="apiclient", name="key_start",
            field=models.CharField(default="", editable=False, help_text="The api_key's first characters.",
                                   max_length=16),
            preserve_default=False,
        ),
        migrations.RunPython(hash_existing_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="apiclient", name="key"),
        migrations.AlterField(
            model_name="apiclient", name="key_digest",
            field=models.CharField(editable=False, help_text="SHA-256 of the api_key.", max_length=64, unique=True),
        ),
    ]
