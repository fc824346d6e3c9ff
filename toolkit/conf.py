"""One place to read Imbizo's own settings (the IMBIZO dict in settings.py)."""

from pathlib import Path

from django.conf import settings


def imbizo_setting(name: str):
    return settings.IMBIZO[name]


def storage_srid() -> int:
    return imbizo_setting("STORAGE_SRID")


def shared_data_dir() -> Path:
    """The real reference data beside the project (../shared/data) or IMBIZO_SHARED_DATA."""
    return Path(imbizo_setting("SHARED_DATA"))
