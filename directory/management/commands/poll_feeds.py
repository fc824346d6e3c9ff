from django.core.management.base import BaseCommand

from directory.models import Feed
from directory.services.feeds import feed_poll, feeds_poll_due


class Command(BaseCommand):
    help = "Poll the social feeds whose next poll time has come (--all: every active feed now)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Poll every active feed, due or not.")

    def handle(self, *args, **options):
        if options["all"]:
            results = {feed.pk: feed_poll(feed=feed) for feed in Feed.objects.filter(is_active=True)}
        else:
            results = feeds_poll_due()
        for feed_id, result in results.items():
            line = f"feed {feed_id}: {result.status}"
            line += f", {result.new_items} new" if result.status == "updated" else ""
            line += f" ({result.error})" if result.error else ""
            self.stdout.write(line)
        self.stdout.write(f"{len(results)} feed(s) polled.")
