"""Imbizo's own settings: every one documented with a default in toolkit.conf, read by name, a
misspelt name refused; every geometry column in the one storage SRID."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import ImproperlyConfigured

from toolkit.conf import DEFAULTS, STORAGE_SRID, imbizo_setting, storage_srid


def test_every_setting_the_project_sets_is_documented_with_a_default():
    assert set(settings.IMBIZO) <= set(DEFAULTS)


def test_a_setting_the_deployment_leaves_out_takes_its_default(imbizo_settings, settings):
    settings.IMBIZO = {key: value for key, value in settings.IMBIZO.items() if key != "PUBLIC_URL"}
    assert imbizo_setting("PUBLIC_URL") == DEFAULTS["PUBLIC_URL"]
    imbizo_settings(PUBLIC_URL="https://imbizo.lesedi.example")
    assert imbizo_setting("PUBLIC_URL") == "https://imbizo.lesedi.example"


def test_a_name_that_is_not_a_setting_is_refused():
    with pytest.raises(ImproperlyConfigured, match="'PUBLIC_URI' is not an Imbizo setting"):
        imbizo_setting("PUBLIC_URI")


def test_every_geometry_column_is_stored_in_the_storage_srid():
    columns = {f"{model._meta.label}.{field.name}": field.srid for model in apps.get_models()
               for field in model._meta.fields if isinstance(field, GeometryField)}
    assert len(columns) > 5
    assert {label: srid for label, srid in columns.items() if srid != storage_srid()} == {}
    assert storage_srid() == STORAGE_SRID
