import datetime

from django.core.management.base import BaseCommand, CommandError

from heatmaps.scheduled import MAX_ATTEMPTS, reports_send_due


class Command(BaseCommand):
    help = (
        "Make and send the planners' scheduled reports whose week or month has ended (run it from cron, e.g. "
        f"hourly). Failed reports are logged and retried by the next run, up to {MAX_ATTEMPTS} attempts; the "
        "command exits with an error whenever one failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Act as if it were this ISO 8601 moment (to catch up or to test).")

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            try:
                now = datetime.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now '{options['now']}' is not an ISO 8601 date and time.") from None
            if now.tzinfo is None:
                raise CommandError("--now needs a time zone, e.g. 2026-06-01T06:00:00+02:00.")
        outcome = reports_send_due(now=now)
        self.stdout.write(f"{outcome['scheduled']} report runs scheduled, {outcome['sent']} sent, "
                          f"{len(outcome['failed'])} failed (will be retried), {len(outcome['gave_up'])} given up")
        problems = [f"failed: {line}" for line in outcome["failed"]] + [f"gave up: {line}" for line in outcome["gave_up"]]
        if problems:
            raise CommandError("Some scheduled reports were not sent:\n  " + "\n  ".join(problems))
