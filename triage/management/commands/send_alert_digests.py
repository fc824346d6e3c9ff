from django.core.management.base import BaseCommand

from triage.residents.alerts import send_daily_digests


class Command(BaseCommand):
    help = "Send each daily-digest area alert the public issues filed in its area in the last 24 hours (run once a day)."

    def handle(self, *args, **options):
        self.stdout.write(f"{send_daily_digests()} digest(s) queued.")
