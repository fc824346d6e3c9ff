from django.core.management.base import BaseCommand

from channels.services import handle_waiting_inbound


class Command(BaseCommand):
    help = ("Answer SMS, WhatsApp and USSD messages stored more than --older-than seconds ago whose "
            "conversation never ran (a lost task, a worker that died): the safety net, every minute.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=60)

    def handle(self, *args, older_than, **options):
        handled = handle_waiting_inbound(older_than_seconds=older_than)
        if options["verbosity"]:
            self.stdout.write(f"{handled} waiting message(s) handled")
