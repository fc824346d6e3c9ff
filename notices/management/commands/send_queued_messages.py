from django.core.management.base import BaseCommand
from tqdm import tqdm

from notices.models import OutboundMessage
from notices.outbound import deliver


class Command(BaseCommand):
    help = "Send queued messages and retry failed ones (run it from cron or a worker every minute)."

    def handle(self, *args, **options):
        pending = OutboundMessage.objects.filter(
            state__in=[OutboundMessage.State.QUEUED, OutboundMessage.State.FAILED]
        ).order_by("created_at")
        total = pending.count()
        counts = {"sent": 0, "failed": 0}
        with tqdm(total=total, disable=options["verbosity"] < 1 or not total, unit="msg") as progress:
            for message in pending.iterator(chunk_size=200):
                for outcome, number in deliver([message]).items():
                    counts[outcome] += number
                progress.update(1)
        self.stdout.write(f"{counts['sent']} sent, {counts['failed']} failed of {total} waiting")
