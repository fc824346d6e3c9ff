"""Failed log-ins lock out (django-axes with accounts.lockout): after LOGIN_FAILURE_LIMIT failures
a login name is refused on that address, right password included, until the cool-off ends; the
next lockout of the address lasts twice as long; a success clears the streak; GIS tools' Basic
log-ins count too; and log-in posts are rate-limited besides."""

import base64
import time

import pytest
from axes.models import AccessAttempt

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-admin-passphrase"


@pytest.fixture
def admin_user():
    return User.objects.create_user("admin@lesedi.example", PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def limits(imbizo_settings):
    imbizo_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_COOL_OFF=2, LOGIN_COOL_OFF_MAX=3600)


def log_in(client, password: str, *, username: str = "admin@lesedi.example", address: str = "192.0.2.10"):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_failures_lock_the_name_on_that_address_until_the_cool_off(client, admin_user, limits):
    assert [log_in(client, "wrong").status_code for _ in range(2)] == [200, 200]  # the form again, with an error
    locked = log_in(client, "wrong")
    assert locked.status_code == 429
    assert locked.json()["limit"] == "login failures per login name and IP address"
    assert locked["Retry-After"] == "2"
    refused = log_in(client, PASSWORD)  # the right password changes nothing while locked
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert logged_in(log_in(client, PASSWORD, username="ADMIN@lesedi.example ", address="192.0.2.11"))  # elsewhere
    client.logout()
    assert log_in(client, PASSWORD, username="Admin@Lesedi.example").status_code == 429  # any spelling of the name
    time.sleep(2.2)
    assert logged_in(log_in(client, PASSWORD))


def test_each_lockout_of_an_address_lasts_twice_as_long_as_the_last(client, admin_user, limits):
    for _ in range(3):
        first = log_in(client, "wrong")
    assert first["Retry-After"] == "2"
    time.sleep(2.2)
    for _ in range(3):
        second = log_in(client, "wrong")
    assert second.status_code == 429 and second["Retry-After"] == "4"
    time.sleep(2.2)
    assert log_in(client, PASSWORD).status_code == 429  # the first cool-off is over, this one is not
    time.sleep(2)
    assert logged_in(log_in(client, PASSWORD))


def test_a_success_clears_the_streak(client, admin_user, limits):
    for _ in range(2):
        log_in(client, "wrong")
    assert logged_in(log_in(client, PASSWORD))
    client.logout()
    for _ in range(2):
        assert log_in(client, "wrong").status_code == 200
    assert logged_in(log_in(client, PASSWORD))
    assert not AccessAttempt.objects.filter(failures_since_start__gt=0).exists()


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"admin@lesedi.example:{password}".encode()).decode()


def test_gis_tools_and_api_clients_logging_in_with_basic_credentials_count_too(client, admin_user, limits):
    def layers(password):
        return client.get("/ogc/collections", HTTP_AUTHORIZATION=basic(password), REMOTE_ADDR="192.0.2.10")

    def api(password):
        return client.get("/api/v1/municipalities/", HTTP_AUTHORIZATION=basic(password), REMOTE_ADDR="192.0.2.10")

    assert api(PASSWORD).status_code == 200
    assert [layers("wrong").status_code for _ in range(2)] == [401, 401]
    assert layers("wrong").status_code == 429
    assert layers(PASSWORD).status_code == 429
    assert api(PASSWORD).status_code == 403  # DRF refuses as for wrong credentials
    assert log_in(client, PASSWORD).status_code == 429  # the same name on the same address, whatever the door


def test_log_in_posts_are_rate_limited_per_address(client, admin_user, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"login": {"client": "100/day", "ip": "2/day"}})
    assert log_in(client, "wrong", username="a@example.org").status_code == 200
    assert log_in(client, "wrong", username="b@example.org").status_code == 200
    refused = log_in(client, PASSWORD)
    assert refused.status_code == 429 and refused.json()["limit"] == "login per IP address"
    assert client.get("/admin/login/", REMOTE_ADDR="192.0.2.10").status_code == 200  # the form itself is a read
