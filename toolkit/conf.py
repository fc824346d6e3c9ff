"""Imbizo's own settings: one namespaced dict, `settings.IMBIZO`, read through `imbizo_setting(name)`.

DEFAULTS lists every setting with its default; a deployment's `IMBIZO` overrides any of them (as DRF's
`api_settings` reads `REST_FRAMEWORK`). gisplatform/settings.py fills `IMBIZO` from the environment.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    # The one storage SRID: every geometry column is WGS 84 longitude/latitude.
    "STORAGE_SRID": 4326,
    # Where the real reference data lives (tests and the demo); absent in a user's own clone.
    "SHARED_DATA": str(Path(__file__).resolve().parents[2] / "shared" / "data"),
    # The municipality code the public home page shows when the URL names none ("": the first with real boundaries).
    "DEFAULT_MUNICIPALITY": "",
    # The address residents reach the site at, for links in messages.
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # An optional base-map tile URL ("": none, the maps work offline) and the attribution it requires.
    "TILE_URL": "",
    "TILE_ATTRIBUTION": "",
    # Outbound channels (notices.channels): channel name -> dotted path of a class with deliver(message).
    "CHANNELS": {"email": "notices.channels.EmailChannel"},
    # Who sends messages (notices.outbound): "worker", the delivery worker, or "on_commit", the request itself.
    "DELIVERY": "worker",
    # Issue media (triage.media): the largest upload per kind, in bytes, and files per issue.
    "MEDIA_LIMITS": {"image": 15 * 2**20, "video": 50 * 2**20, "audio": 20 * 2**20, "pdf": 10 * 2**20},
    "MEDIA_PER_ISSUE": 10,
    # Days a follow-by-email confirmation link stays valid (triage.issues.services.issue_follow).
    "FOLLOW_CONFIRMATION_DAYS": 7,
}


def imbizo_setting(name: str):
    """`settings.IMBIZO[name]`, else its default; a name not in DEFAULTS is a mistake, not a None."""
    if name not in DEFAULTS:
        raise ImproperlyConfigured(f"'{name}' is not an Imbizo setting (toolkit.conf.DEFAULTS lists them).")
    return getattr(settings, "IMBIZO", {}).get(name, DEFAULTS[name])


def storage_srid() -> int:
    """The SRID of every geometry column."""
    return imbizo_setting("STORAGE_SRID")


# For geometry field declarations: read once, as the models load. Migrations record the number, so a
# different storage SRID needs migrations of its own.
STORAGE_SRID: int = storage_srid()


def shared_data_dir() -> Path:
    """The real reference data beside the project (../shared/data) or IMBIZO_SHARED_DATA."""
    return Path(imbizo_setting("SHARED_DATA"))
