"""What `./imbizo` sets up, checked from inside the run it set up (CI runs `./imbizo test`): the
project-local PostgreSQL lets the application in as an ordinary role with a password only, and the
secrets it generates are readable by their owner alone."""

import os
import stat

import psycopg
import pytest
from django.conf import settings
from django.db import connection

VAR = settings.BASE_DIR / "var"


def local_cluster_port() -> int | None:
    """The project-local cluster's port when the tests run against it; None when DATABASE_URL names
    another server (./imbizo then starts no cluster, and var/pg.port, if any, is another port's)."""
    database = settings.DATABASES["default"]
    port_file = VAR / "pg.port"
    if database["HOST"] != "127.0.0.1" or not port_file.exists():
        return None
    port = int(port_file.read_text())
    return port if int(database["PORT"] or 5432) == port else None


local_cluster = pytest.mark.skipif(local_cluster_port() is None,
                                   reason="DATABASE_URL names a server that ./imbizo did not set up")


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@local_cluster
def test_the_application_role_is_no_superuser_and_owns_nothing_of_the_system(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole, rolreplication, rolbypassrls, rolcreatedb FROM pg_roles"
                       " WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False, False, False, True)  # CREATEDB: the tests make their database
        # The owner of the system functions may call even those kept from everyone else (pg_read_file).
        cursor.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace"
                       " AND proowner = current_user::regrole")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT has_function_privilege('pg_read_file(text)', 'EXECUTE')")
        assert cursor.fetchone() == (False,)
        cursor.execute("SELECT pg_get_userbyid(datdba) = current_user FROM pg_database WHERE datname = current_database()")
        assert cursor.fetchone() == (True,)
        # PostGIS was there before the test database was: the superuser put it into template1.
        cursor.execute("SELECT pg_get_userbyid(extowner) <> current_user FROM pg_extension WHERE extname = 'postgis'")
        assert cursor.fetchone() == (True,)


@local_cluster
@pytest.mark.parametrize(("role", "password"), [("imbizo", None), ("imbizo", "not-the-password"), ("postgres", None)])
def test_no_connection_without_the_password(role, password):
    database = settings.DATABASES["default"]
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host=database["HOST"], port=database["PORT"], dbname=database["NAME"], user=role,
                        password=password, passfile=os.devnull, connect_timeout=10).close()


@local_cluster
def test_the_database_password_is_readable_by_its_owner_alone():
    password_file = VAR / "pg_password"
    assert password_file.read_text().strip() == settings.DATABASES["default"]["PASSWORD"]
    assert mode_of(password_file) == 0o600


def test_the_generated_secret_key_is_readable_by_its_owner_alone():
    key_file = VAR / "secret_key"
    if not key_file.exists() or os.environ.get("SECRET_KEY") != key_file.read_text().strip():
        pytest.skip("SECRET_KEY was given: ./imbizo generated none")
    assert mode_of(key_file) == 0o600


def local_redis_port() -> int | None:
    """The project-local Redis's port when the tests run against it (REDIS_URL not set by hand)."""
    port_file = VAR / "redis.port"
    if not port_file.exists() or not settings.REDIS_URL.startswith("redis://:"):
        return None
    port = int(port_file.read_text())
    return port if settings.REDIS_URL.rsplit(":", 1)[1].split("/")[0] == str(port) else None


local_redis = pytest.mark.skipif(local_redis_port() is None, reason="REDIS_URL names a Redis that ./imbizo did not set up")


@local_redis
def test_the_local_redis_answers_only_with_its_password():
    import redis

    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=local_redis_port(), socket_connect_timeout=2).ping()
    assert redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    assert mode_of(VAR / "redis_password") == 0o600 and mode_of(VAR / "redis") == 0o700
