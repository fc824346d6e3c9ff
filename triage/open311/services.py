"""Open311 API clients: made and their keys replaced only here (see triage/open311/models.py)."""

import secrets

from django.db import transaction

from triage.open311.models import KEY_PREFIX, ApiClient


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_client_create(*, name: str, municipality=None, may_post_updates: bool = False) -> tuple[ApiClient, str]:
    """A new client with a generated api_key; returns it and the key, which is never stored and cannot be
    shown again."""
    key = _new_key()
    client = ApiClient.objects.create(name=name, key=key, municipality=municipality, may_post_updates=may_post_updates)
    return client, key


@transaction.atomic
def api_client_new_key(*, client: ApiClient) -> str:
    """Replace the client's api_key (a lost or leaked one stops working at once); returns the new key."""
    key = _new_key()
    client.key = key
    client.save(update_fields=["key_digest", "key_start"])
    return key
