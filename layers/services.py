"""Layer tokens: made and revoked only here (see layers/models.py)."""

import secrets

from django.db import transaction

from layers.models import TOKEN_PREFIX, LayerToken, digest


@transaction.atomic
def layer_token_create(*, user, name: str) -> tuple[LayerToken, str]:
    """A new token for `user`; returns it and its key, which is never stored and cannot be shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = LayerToken.objects.create(user=user, name=name, key_digest=digest(key), key_start=key[:12])
    return token, key


def layer_token_revoke(*, token: LayerToken) -> None:
    LayerToken.objects.filter(pk=token.pk).update(is_active=False)
