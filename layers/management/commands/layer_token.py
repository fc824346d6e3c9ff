"""Make, list or revoke a person's layer tokens (for QGIS, ogr2ogr and scripts on the staff layers)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layers.models import LayerToken
from layers.services import layer_token_create, layer_token_revoke


class Command(BaseCommand):
    help = "Make a layer token for a staff member (printed once), list their tokens, or revoke one."

    def add_arguments(self, parser):
        parser.add_argument("login", help="The person's email address.")
        parser.add_argument("--name", default="GIS tools", help="What the token is for.")
        parser.add_argument("--list", action="store_true", help="List the person's tokens instead.")
        parser.add_argument("--revoke", type=int, metavar="ID", help="Revoke the token with this id.")

    def handle(self, *args, login: str, **options):
        user = get_user_model().objects.filter(email__iexact=login.strip()).first()
        if user is None:
            raise CommandError(f"Nobody logs in as '{login}'.")
        tokens = LayerToken.objects.filter(user=user)
        if options["list"]:
            for token in tokens:
                state = "active" if token.is_active else "revoked"
                self.stdout.write(f"{token.pk}\t{token.key_start}…\t{token.name}\t{state}\tlast used {token.last_used_at}")
            return
        if options["revoke"] is not None:
            token = tokens.filter(pk=options["revoke"]).first()
            if token is None:
                raise CommandError(f"{login} has no token {options['revoke']}.")
            layer_token_revoke(token=token)
            self.stdout.write(f"Revoked {token}.")
            return
        if not user.is_staff:
            self.stderr.write(f"Note: {login} is not staff, so the token opens only the public layers.")
        _, key = layer_token_create(user=user, name=options["name"])
        self.stdout.write(key)
