"""The site's settings refuse to start without a secret key, in debug mode too, whatever runs them (a
test runner included); the production environment that docs/operations.md documents passes Django's
deployment check; the tests run with their own settings module."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_python_with_site_settings(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    """Python with the site's settings and only `environment`, as a service would run, nothing of the tests'."""
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "gisplatform.settings", **environment})


def load_site_settings(**environment: str) -> subprocess.CompletedProcess:
    return run_python_with_site_settings("-c", "import gisplatform.settings", **environment)


@pytest.mark.parametrize("debug", ["false", "true"])
def test_without_a_secret_key_the_site_refuses_to_start(debug):
    result = load_site_settings(PYTEST_VERSION="9.2.0", DEBUG=debug)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def documented_production_environment() -> dict[str, str]:
    """The variables of the sh block under "## Production" in docs/operations.md, each <placeholder>
    filled in with a fresh random value as an operator would."""
    section = (ROOT / "docs" / "operations.md").read_text().split("\n## Production\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    variables = (line.split("=", 1) for line in block.splitlines() if line.strip() and not line.startswith("#"))
    return {name: re.sub(r"<[^>]*>", lambda _: secrets.token_urlsafe(50), value) for name, value in variables}


def test_the_documented_production_environment_passes_the_deployment_check():
    environment = documented_production_environment()
    assert {"SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"} <= set(environment)
    result = run_python_with_site_settings("manage.py", "check", "--deploy", "--fail-level", "DEBUG", **environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def site_policy(**environment: str) -> dict[str, list[str]]:
    """The Content-Security-Policy the site's settings build in `environment`, directive by directive."""
    show = "import django; django.setup(); from csp.utils import build_policy; print(build_policy())"
    result = run_python_with_site_settings("-c", show, SECRET_KEY=secrets.token_urlsafe(50), **environment)
    assert result.returncode == 0, result.stderr
    return {name: sources for name, *sources in (part.split() for part in result.stdout.split(";"))}


def test_the_policy_names_the_base_maps_tile_server_and_upgrades_links_behind_https():
    development = site_policy()  # OpenStreetMap's tiles are the default base map
    assert development["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert site_policy(IMBIZO_TILE_URL="")["img-src"] == ["'self'", "data:"]
    assert "upgrade-insecure-requests" not in development and "report-uri" not in development
    production = site_policy(IMBIZO_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png", SECURE_SSL_REDIRECT="true",
                             CSP_REPORT_URI="https://reports.example.org/csp")
    assert production["img-src"] == ["'self'", "data:", "https://*.tile.example.org"]
    assert production["upgrade-insecure-requests"] == []
    assert production["report-uri"] == ["https://reports.example.org/csp"]


def test_the_tests_run_on_their_own_database_and_send_messages_after_each_commit(db):
    assert settings.SETTINGS_MODULE == "gisplatform.settings_test"
    assert settings.IMBIZO["DELIVERY"] == "on_commit"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["TEST"]["NAME"]
