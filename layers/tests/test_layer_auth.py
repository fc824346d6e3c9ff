"""GIS tools on the staff layers: a layer token or Basic credentials with every request, checked by
the layer endpoints themselves (they are plain Django views, outside DRF's authentication)."""

import base64
import os
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from layers.models import LayerToken
from layers.services import layer_token_create, layer_token_revoke
from layers.tests.conftest import HEIDELBERG
from layers.tests.test_vector_tiles import tile_of

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase"


@pytest.fixture
def gis_staff(lesedi, django_user_model):
    """Staff whose role reads every issue of the municipality, private ones included (a dispatcher)."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("gis@lesedi.example", PASSWORD, is_staff=True, municipality=lesedi)
    user.groups.add(Group.objects.get(name="dispatcher"))
    return user


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def staff_urls() -> list[str]:
    return ["/ogc/collections/issues-staff/items", "/ogc/collections/issues-staff",
            "/tiles/issues-staff/14/{}/{}.mvt".format(*tile_of(*HEIDELBERG, 14)), "/tiles/issues-staff.json"]


def test_a_token_a_token_as_basic_password_or_the_password_open_staff_layers(reported_issues, gis_staff):
    _, key = layer_token_create(user=gis_staff, name="QGIS")
    for header in (f"Bearer {key}", f"Token {key}", basic("anyone", key), basic("gis@lesedi.example", PASSWORD)):
        client = Client(HTTP_AUTHORIZATION=header)
        for url in staff_urls():
            assert client.get(url).status_code == 200, (header[:12], url)
        listed = {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
        assert "issues-staff" in listed
        assert len(client.get("/ogc/collections/issues-staff/items").json()["features"]) == 4
    assert LayerToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("role", ["GIS analyst", "planner"])
def test_private_issues_are_on_the_staff_layer_only_for_staff_who_read_internal_notes(reported_issues, gis_staff,
                                                                                      lesedi, django_user_model, role):
    from django.contrib.auth.models import Group

    analyst = django_user_model.objects.create_user("analyst@lesedi.example", PASSWORD, is_staff=True,
                                                    municipality=lesedi)
    analyst.groups.add(Group.objects.get(name=role))
    private = reported_issues["private"].reference

    def references(login: str) -> set[str]:
        page = Client(HTTP_AUTHORIZATION=basic(login, PASSWORD)).get("/ogc/collections/issues-staff/items").json()
        return {feature["id"] for feature in page["features"]}

    assert private in references("gis@lesedi.example")  # the dispatcher
    assert references("analyst@lesedi.example") == references("gis@lesedi.example") - {private}


def test_anonymous_is_a_401_that_asks_for_credentials_and_residents_are_403(reported_issues, django_user_model):
    for url in staff_urls():
        response = Client().get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith('Basic realm="Imbizo layers"'), url
    resident = reported_issues["resident"]
    _, key = layer_token_create(user=resident, name="curious")
    for header in (f"Bearer {key}", basic(resident.email, PASSWORD)):
        for url in staff_urls():
            assert Client(HTTP_AUTHORIZATION=header).get(url).status_code == 403, url


@pytest.mark.parametrize("header", [
    "Bearer imbizo_not-a-real-token", "Bearer something-else", basic("gis@lesedi.example", "wrong password"),
    "Basic !!!not-base64", "Digest username=gis", basic("nobody@example.org", PASSWORD),
])
def test_wrong_credentials_are_a_401_even_on_public_layers(gis_staff, header):
    for url in ("/ogc/collections/wards/items", "/tiles/wards.json", "/layers/project.qgs"):
        response = Client(HTTP_AUTHORIZATION=header).get(url)
        assert response.status_code == 401, (header, url)
        assert response.json()["code"] == "NotAuthenticated"


def test_a_revoked_token_stops_working(reported_issues, gis_staff):
    token, key = layer_token_create(user=gis_staff, name="QGIS")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(staff_urls()[0]).status_code == 200
    layer_token_revoke(token=token)
    assert client.get(staff_urls()[0]).status_code == 401


def test_only_the_digest_is_stored_and_the_command_prints_the_key_once(gis_staff):
    output = StringIO()
    call_command("layer_token", "gis@lesedi.example", "--name", "QGIS at the office", stdout=output)
    key = output.getvalue().strip()
    token = LayerToken.objects.get()
    assert key.startswith("imbizo_") and len(key) > 40 and token.name == "QGIS at the office"
    assert key not in {token.key_digest, token.key_start} and key.startswith(token.key_start)
    listing = StringIO()
    call_command("layer_token", "gis@lesedi.example", "--list", stdout=listing)
    assert token.key_start in listing.getvalue() and key not in listing.getvalue()
    call_command("layer_token", "gis@lesedi.example", "--revoke", str(token.pk), stdout=StringIO())
    assert not LayerToken.objects.get().is_active


def ogrinfo(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **environment})


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (Debian's gdal-bin) is not installed")
def test_ogrinfo_reads_the_staff_layer_with_a_token_header_or_basic_credentials(reported_issues, gis_staff,
                                                                               live_server):
    _, key = layer_token_create(user=gis_staff, name="GDAL")
    source = f"OAPIF:{live_server.url}/ogc"
    ways = {
        "token header": {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {key}"},
        "basic password": {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"gis@lesedi.example:{PASSWORD}"},
        "basic token": {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"gdal:{key}"},
    }
    for way, environment in ways.items():
        result = ogrinfo("-so", source, "issues-staff", environment=environment)
        assert result.returncode == 0, (way, result.stderr)
        assert "Layer name: issues-staff" in result.stdout and "reference: String" in result.stdout, way
        every = ogrinfo("-al", "-q", source, "issues-staff", environment=environment)
        assert every.stdout.count("OGRFeature(issues-staff)") == 4, way
    anonymous = ogrinfo("-so", source, "issues-staff", environment={})
    assert anonymous.returncode != 0
