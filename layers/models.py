"""Personal layer tokens: how QGIS, ogr2ogr and scripts read the staff layers without a browser
session. A token stands for its person (same access, same municipality); only its SHA-256 is kept,
so the key is shown once, when made (`manage.py layer_token`), and a copy of the database does not
hand out working keys."""

import hashlib

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "imbizo_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class LayerToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="layer_tokens")
    name = models.CharField(max_length=80, help_text="What it is for, e.g. 'QGIS on the GIS office PC'.")
    key_digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the key.")
    key_start = models.CharField(max_length=16, editable=False, help_text="The key's first characters, to recognise it.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True, help_text="Untick to revoke the token at once.")

    class Meta:
        ordering = ["user", "-created_at"]

    def __str__(self):
        return f"{self.name} ({self.key_start}…)"
