from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0012_issue_channels_all'),
    ]

    operations = [
        migrations.AddField(
            model_name='issue',
            name='reporter_updates_stopped_at',
            field=models.DateTimeField(blank=True, help_text="When the reporter stopped this issue's updates (from their signed link); empty: they hear of every public change.", null=True),
        ),
    ]
