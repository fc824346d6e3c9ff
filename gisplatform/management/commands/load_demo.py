from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from assets.demo import demo_load_assets
from directory.demo import demo_load_directory
from notices.demo import demo_load_notices
from toolkit.conf import shared_data_dir
from toolkit.fixtures import demo_fixture
from triage.demo import ISSUES_PER_MUNICIPALITY, demo_load_issues
from wards.demo import demo_load

DEMO_ADMINISTRATOR = demo_fixture("administrator")
DEMO_ADMIN_EMAIL = DEMO_ADMINISTRATOR["email"]
DEMO_ADMIN_PASSWORD = DEMO_ADMINISTRATOR["password"]


class Command(BaseCommand):
    help = (
        "Load the seeded, repeatable demo data: real Lesedi wards from ../shared/data when present "
        "and a generated Drakenstein. Safe to run again; never overwrites imported real data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--issues", type=int, default=ISSUES_PER_MUNICIPALITY,
                            help=f"Demo issues to generate per municipality (default {ISSUES_PER_MUNICIPALITY}).")

    def handle(self, *args, **options):
        log = self.stdout.write if options["verbosity"] >= 1 else (lambda message: None)
        with transaction.atomic():
            demo_load(shared_data=shared_data_dir(), log=log)
            demo_load_assets(shared_data=shared_data_dir(), log=log)
            demo_load_issues(per_municipality=options["issues"], log=log)
            demo_load_directory(log=log)
            demo_load_notices(log=log)
            if not User.objects.filter(email=DEMO_ADMIN_EMAIL).exists():
                User.objects.create_superuser(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, full_name=DEMO_ADMINISTRATOR["full_name"])
        log(f"Demo administrator: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD} (http://127.0.0.1:8000/admin/)")
