from django.core.management.base import BaseCommand

from heatmaps.refresh import MAX_AGE, summary_refresh


class Command(BaseCommand):
    help = (
        "Bring the planners' figures up to date: re-read the issues changed since the last run and recompute "
        "only the days and months they touch. Run it from cron every minute; --full rebuilds everything "
        "(after bulk SQL changes or deletions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rebuild every fact and summary row.")

    def handle(self, *args, **options):
        result = summary_refresh(full=options["full"])
        kind = "full rebuild" if result.full else "incremental"
        self.stdout.write(
            f"{kind}: {result.changed} issues read, {result.days} days recomputed in {result.seconds:.2f} s; "
            f"figures include changes committed before {result.watermark:%Y-%m-%d %H:%M:%S %Z} and are at most "
            f"{int(MAX_AGE.total_seconds())} s behind while this runs every minute."
        )
