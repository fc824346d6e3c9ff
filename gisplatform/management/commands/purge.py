from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gisplatform.purge import BATCH, issues_purge, municipality_purge
from wards.models import Municipality


class Command(BaseCommand):
    help = ("Delete a municipality with everything in it, or its issues, in batches of --batch in constant memory, "
            "keeping the planners' figures right (gisplatform/purge.py). Safe to run again after an interruption. "
            "--background queues it for a Celery worker (queue 'maintenance') instead.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["municipality", "issues"],
                            help="'municipality': the municipality and everything in it; 'issues': its issues only.")
        parser.add_argument("code", help="The municipality's code, e.g. GT423.")
        parser.add_argument("--imported", action="store_true",
                            help="With 'issues': only those imported from an earlier system (import_issues).")
        parser.add_argument("--batch", type=int, default=BATCH, help=f"Rows per transaction (default {BATCH}).")
        parser.add_argument("--background", action="store_true", help="Queue the purge task and return.")

    def handle(self, *args, what, code, imported, batch, background, verbosity, **options):
        if batch < 1:
            raise CommandError(f"--batch must be at least 1, not {batch}.")
        if imported and what != "issues":
            raise CommandError("--imported goes with 'issues'.")
        municipality = Municipality.objects.defer("boundary").filter(code=code).first()
        if municipality is None:
            raise CommandError(f"No municipality has the code '{code}'.")
        if background:
            from gisplatform.tasks import purge

            purge.delay(what, code, imported_only=imported)
            self.stdout.write(f"Queued: the purge of {what} of {code} runs on a worker (queue 'maintenance').")
            return
        bars = {}

        def progress(kind: str, done: int, total: int) -> None:
            if verbosity < 1:
                return
            bar = bars.get(kind) or bars.setdefault(kind, tqdm(total=total, desc=kind, unit="row"))
            bar.update(done - bar.n)

        if what == "municipality":
            counts = municipality_purge(municipality, batch=batch, progress=progress)
        else:
            counts = issues_purge(municipality, imported_only=imported, batch=batch, progress=progress)
        for bar in bars.values():
            bar.close()
        self.stdout.write("Deleted " + ", ".join(f"{number} {kind}" for kind, number in counts.items()) + ".")
