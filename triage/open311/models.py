"""Systems that use the Open311 API with a key."""

import hashlib

from django.db import models

KEY_PREFIX = "o311_"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_start(key: str) -> str:
    """The first characters shown to recognise a key: the prefix and four more of a generated key, four of
    an older one."""
    return key[:len(KEY_PREFIX) + 4] if key.startswith(KEY_PREFIX) else key[:4]


class ApiClient(models.Model):
    """A system allowed to POST through Open311 (a mobile app, a back office). Only its api_key's SHA-256
    is kept: the key is generated and shown once, when the client is made (triage.open311.services), so a
    copy of the database hands out no working key. Setting `key` (ApiClient(key=...)) stores its digest:
    for a key a client already has."""

    name = models.CharField(max_length=120)
    key_digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the api_key.")
    key_start = models.CharField(max_length=16, editable=False, help_text="The api_key's first characters.")
    municipality = models.ForeignKey(
        "wards.Municipality", null=True, blank=True, on_delete=models.CASCADE, related_name="api_clients",
        help_text="Empty: any municipality.",
    )
    may_post_updates = models.BooleanField(default=False, help_text="May push status updates (back office).")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.name} ({self.key_start}…)"

    @property
    def key(self):
        raise AttributeError("An api_key is not kept, only its SHA-256 (key_digest).")

    @key.setter
    def key(self, value: str) -> None:
        self.key_digest, self.key_start = key_digest(value), key_start(value)
