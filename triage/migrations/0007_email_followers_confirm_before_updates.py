from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0006_board_pages_from_the_index_alone_recently_changed_and_all_municipalities'),
    ]

    operations = [
        migrations.AddField(
            model_name='follower',
            name='confirmed_at',
            field=models.DateTimeField(blank=True, help_text="When the follower confirmed (accounts, and reporters' own addresses, at once); empty: no updates yet.", null=True),
        ),
        # Everyone following before confirmation existed keeps getting updates.
        migrations.RunSQL(
            "UPDATE triage_follower SET confirmed_at = created_at WHERE confirmed_at IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
