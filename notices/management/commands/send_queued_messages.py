import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from notices.models import OutboundMessage
from notices.outbound import WAITING
from notices.worker import follow, sweep


class Command(BaseCommand):
    help = ("Send queued messages and retry failed ones, once (from cron) or, with --follow, as the "
            "delivery worker: woken as each message is queued, retrying failed ones every --interval.")

    def add_arguments(self, parser):
        parser.add_argument("--follow", action="store_true",
                            help="Keep running: the delivery worker `./imbizo run` starts.")
        parser.add_argument("--interval", type=float, default=60.0,
                            help="With --follow: seconds between retries of failed messages (default 60).")

    def handle(self, *args, **options):
        if not options["follow"]:
            waiting = OutboundMessage.objects.filter(state__in=WAITING).count()
            counts = sweep(total=waiting, progress=options["verbosity"] >= 1)
            self.stdout.write(f"{counts['sent']} sent, {counts['failed']} failed of {waiting} waiting")
            return
        if options["interval"] <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("Delivery worker: sending messages as they are queued (Ctrl-C stops it).")
        follow(interval=options["interval"], stop=stop,
               report=self.stdout.write if options["verbosity"] >= 1 else lambda line: None)
