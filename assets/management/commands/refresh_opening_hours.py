from django.core.management.base import BaseCommand

from assets.services import OPEN_INTERVAL_WINDOW, facility_opening_intervals_refresh


class Command(BaseCommand):
    help = (f"Recompute every facility's open intervals (\"open now\") from its opening hours for the next "
            f"{OPEN_INTERVAL_WINDOW[1].days} days, with its country's public holidays and the sun at its point. "
            "Run daily.")

    def handle(self, *args, **options):
        count = facility_opening_intervals_refresh()
        if options["verbosity"] >= 1:
            self.stdout.write(f"{count} open intervals written.")
