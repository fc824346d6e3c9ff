"""The site's settings refuse to start without a secret key unless in debug mode, whatever runs them
(a test runner included); the tests run with their own settings module."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def load_site_settings(**environment: str) -> subprocess.CompletedProcess:
    variables = {name: value for name, value in os.environ.items() if name not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run([sys.executable, "-c", "import gisplatform.settings"], env={**variables, **environment},
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_without_a_secret_key_the_site_refuses_to_start():
    result = load_site_settings(PYTEST_VERSION="9.2.0")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_in_debug_mode_the_site_starts_with_a_development_key():
    result = load_site_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_the_tests_run_on_their_own_database_and_send_messages_after_each_commit(db):
    assert settings.SETTINGS_MODULE == "gisplatform.settings_test"
    assert settings.IMBIZO["DELIVERY"] == "on_commit"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["TEST"]["NAME"]
