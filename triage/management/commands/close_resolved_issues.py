from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from triage.issues.housekeeping import issues_close_resolved
from triage.issues.models import Issue


class Command(BaseCommand):
    help = "Close issues resolved more than N days ago that nobody reopened (run daily from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--after-days", type=int, default=14, help="Days after resolution (default 14).")

    def handle(self, *args, after_days, verbosity, **options):
        if after_days < 1:
            raise CommandError(f"--after-days must be at least 1, not {after_days}.")
        due = Issue.objects.filter(status="resolved").count()
        with tqdm(total=due, disable=verbosity < 1 or not due, unit="issue") as bar:
            closed = issues_close_resolved(after_days=after_days, progress=lambda: bar.update(1))
        self.stdout.write(f"Closed {closed} issue(s) resolved more than {after_days} days ago.")
