"""Reads off the primary, against a real streaming replica of the project-local PostGIS.

The module makes the replica the way an operator would (docs/operations.md, "Read replica"):
`pg_basebackup -R` from the local cluster into var/replica, started on a free port, and adds it to
Django as the "replica" alias with gisplatform.replica.ReplicaRouter installed. Replay is paused on the
replica (`pg_wal_replay_pause()`) to tell the two servers apart: a row committed on the primary then
is seen through the replica only after replay resumes. Skipped only when DATABASE_URL names a server
of its own (no local cluster to copy)."""

import copy
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connections
from django.http import JsonResponse
from django.test import RequestFactory

from tests.background import ROOT, wait_until
from toolkit.replica import REPLICA, forget_replica_status, read_alias, reads_from_replica, replica_status
from wards.models import Municipality

VAR = ROOT / "var"
PGDATA = VAR / "pgdata"
REPLICA_DIR = VAR / "replica"
ITEMS = "/ogc/collections/municipalities/items"
both_databases = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def as_pg(*command) -> list[str]:
    """A server command as the cluster's OS user (postgres when run as root), as ./imbizo runs them."""
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else list(command)


def primary_socket_dir() -> str:
    folder = str(VAR / "run")  # ./imbizo's PG_SOCKET_DIR, under /tmp for a deep checkout
    return folder if len(folder) <= 80 else f"/tmp/imbizo-pg-{hashlib.sha256(str(PGDATA).encode()).hexdigest()[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Replica:
    def __init__(self, pgbin: str, port: int, socket_dir: str):
        self.pgbin, self.port, self.socket_dir = pgbin, port, socket_dir

    def pg_ctl(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(as_pg(f"{self.pgbin}/pg_ctl", "-D", str(REPLICA_DIR), *args),
                              capture_output=True, text=True, timeout=120)

    def running(self) -> bool:
        return self.pg_ctl("status").returncode == 0

    def stop(self) -> None:
        if self.running():
            self.pg_ctl("-m", "immediate", "-w", "stop")

    def admin(self, sql: str) -> str:
        """SQL as the superuser over the replica's socket (pausing replay needs it)."""
        result = subprocess.run(as_pg(f"{self.pgbin}/psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir,
                                      "-p", str(self.port), "-d", "postgres", "-c", sql),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def pause(self) -> None:
        self.admin("SELECT pg_wal_replay_pause()")
        assert wait_until(lambda: self.admin("SELECT pg_get_wal_replay_pause_state()") == "paused", 30)

    def resume(self) -> None:
        self.admin("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    port_file = VAR / "pg.port"
    local = (url.hostname in ("127.0.0.1", "localhost") and port_file.exists()
             and str(url.port) == port_file.read_text().strip() and (PGDATA / "postmaster.pid").exists())
    if not local:
        pytest.skip("DATABASE_URL names a PostgreSQL server of its own: the replica is made from the project-local "
                    "PostGIS that ./imbizo test starts (var/pgdata)")
    pgbin = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))[-1]
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute("SHOW max_connections")  # a hot standby needs at least the primary's
        (max_connections,) = cursor.fetchone()
    socket_dir = tempfile.mkdtemp(prefix="imbizo-replica-")
    server = Replica(pgbin, free_port(), socket_dir)
    if REPLICA_DIR.exists():  # left over from a run that was killed
        server.stop()
        shutil.rmtree(REPLICA_DIR)
    REPLICA_DIR.mkdir(mode=0o700)
    (VAR / "log").mkdir(exist_ok=True)
    if os.getuid() == 0:
        for folder in (REPLICA_DIR, socket_dir):
            shutil.chown(folder, "postgres", "postgres")
    superuser = subprocess.run(as_pg("id", "-un"), capture_output=True, text=True, check=True).stdout.strip()
    backup = subprocess.run(as_pg(f"{pgbin}/pg_basebackup", "-D", str(REPLICA_DIR), "-R", "-X", "stream", "-c", "fast",
                                  "-h", primary_socket_dir(), "-p", port_file.read_text().strip(), "-U", superuser),
                            capture_output=True, text=True, timeout=600)
    assert backup.returncode == 0, f"pg_basebackup failed (./imbizo allows replication over the socket): {backup.stderr}"
    log = VAR / "log" / "replica.log"
    started = server.pg_ctl("-l", str(log), "-w", "-t", "60", "-o",
                            f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories='{socket_dir}'"
                            f" -c unix_socket_permissions=0700 -c max_connections={max_connections}"
                            " -c hot_standby=on -c hot_standby_feedback=on", "start")
    assert started.returncode == 0, started.stderr + (log.read_text()[-2000:] if log.exists() else "")
    primary = connections["default"].settings_dict
    connections.settings[REPLICA] = {**copy.deepcopy(primary), "HOST": "127.0.0.1", "PORT": server.port,
                                     "TEST": {**primary["TEST"], "MIRROR": "default"},
                                     "OPTIONS": {**primary["OPTIONS"], "connect_timeout": 2}}
    try:
        yield server
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        forget_replica_status()
        server.stop()
        shutil.rmtree(REPLICA_DIR, ignore_errors=True)
        shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture
def routed(replica, settings, imbizo_settings):
    """The router installed, the replica caught up and replaying, and the health status checked only when
    a test asks (REPLICA_CHECK_INTERVAL_S is long)."""
    settings.DATABASE_ROUTERS = ["gisplatform.replica.ReplicaRouter"]
    imbizo_settings(REPLICA_CHECK_INTERVAL_S=300, REPLICA_MAX_LAG_S=60)
    if replica.running():
        replica.resume()
        marker = Municipality.objects.create(code="SYNC", name="Replayed")
        assert wait_until(lambda: replica_sees("SYNC"), 60), "the replica did not replay the primary's commit"
        marker.delete()
    forget_replica_status()
    yield replica
    if replica.running():
        replica.resume()
    forget_replica_status()


def replica_sees(code: str) -> bool:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT FROM wards_municipality WHERE code = %s)", [code])
        return cursor.fetchone()[0]


def municipality(code: str) -> Municipality:
    return Municipality.objects.create(code=code, name=f"Municipality {code}",
                                       boundary=MultiPolygon(Polygon.from_bbox((28.0, -26.5, 28.1, -26.4)), srid=4326))


def listed(client) -> set[str]:
    response = client.get(ITEMS, {"limit": 1000})
    assert response.status_code == 200, response.content[:500]
    return {feature["id"] for feature in response.json()["features"]}


@both_databases
def test_public_ogc_items_read_from_the_replica(routed, client):
    municipality("RP001")
    assert wait_until(lambda: replica_sees("RP001"), 60)
    assert replica_status(force=True)["healthy"]
    routed.pause()
    municipality("RP002")  # committed on the primary, not replayed on the replica
    assert listed(client) >= {"RP001"} and "RP002" not in listed(client)
    routed.resume()
    assert wait_until(lambda: "RP002" in listed(client), 60)

    @reads_from_replica
    def where(request):
        with connections[read_alias()].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            return JsonResponse({"in_recovery": cursor.fetchone()[0]})

    assert json.loads(where(RequestFactory().get("/")).content) == {"in_recovery": True}
    # A POST of a marked view, and an unmarked view, read from the primary.
    assert json.loads(where(RequestFactory().post("/")).content) == {"in_recovery": False}


@both_databases
def test_a_public_vector_tile_reads_from_the_replica(routed, client):
    import mapbox_vector_tile

    from layers.tests.test_vector_tiles import tile_of

    column, row = tile_of(28.05, -26.45, 12)

    def codes() -> set[str]:
        response = client.get(f"/tiles/municipalities/12/{column}/{row}.mvt")
        assert response.status_code == 200
        layers = mapbox_vector_tile.decode(response.content)
        return {feature["properties"]["code"] for layer in layers.values() for feature in layer["features"]}

    municipality("RP009")
    assert wait_until(lambda: replica_sees("RP009"), 60)
    assert replica_status(force=True)["healthy"]
    routed.pause()
    municipality("RP010")  # on the primary only, in the same tile
    assert codes() == {"RP009"}
    routed.resume()
    assert wait_until(lambda: codes() == {"RP009", "RP010"}, 60)


@both_databases
def test_a_streamed_download_reads_from_the_replica_while_it_streams(routed, client):
    assert replica_status(force=True)["healthy"]
    routed.pause()
    municipality("RP007")  # on the primary only
    response = client.get("/layers/municipalities/download", {"format": "geojson"})
    assert response.streaming
    codes = {feature["properties"]["code"] for feature in json.loads(b"".join(response.streaming_content))["features"]}
    assert "RP007" not in codes
    routed.resume()
    assert wait_until(lambda: replica_sees("RP007"), 60)
    response = client.get("/layers/municipalities/download", {"format": "geojson"})
    assert "RP007" in {feature["properties"]["code"] for feature in json.loads(b"".join(response.streaming_content))["features"]}


@both_databases
def test_a_request_that_wrote_reads_its_own_write_from_the_primary(routed):
    assert replica_status(force=True)["healthy"]
    routed.pause()
    seen = {}

    @reads_from_replica
    def write_then_read(request):
        seen["before"] = Municipality.objects.filter(code="RP003").db
        Municipality.objects.create(code="RP003", name="Written in this request")
        seen["after"] = Municipality.objects.filter(code="RP003").db
        seen["found"] = Municipality.objects.filter(code="RP003").exists()
        return JsonResponse({})

    write_then_read(RequestFactory().get("/"))
    assert seen == {"before": "replica", "after": "default", "found": True}
    assert not replica_sees("RP003")  # the replica has not replayed it: the read went to the primary


@both_databases
def test_a_lagging_replica_sends_reads_to_the_primary(routed, client, imbizo_settings):
    imbizo_settings(REPLICA_MAX_LAG_S=0.5)
    routed.pause()
    municipality("RP004")
    time.sleep(1.2)  # replay has stood still past the limit while the primary moved on
    assert "RP004" in listed(client)
    status = client.get("/readyz").json()["replica"]
    assert status["healthy"] is False and status["lag_seconds"] > 0.5, status
    routed.resume()
    assert wait_until(lambda: replica_sees("RP004"), 60)
    forget_replica_status()
    assert client.get("/readyz").json()["replica"] == {"healthy": True, "lag_seconds": 0.0, "reason": ""}


@both_databases
def test_a_replica_that_is_down_never_shows_an_error_page(routed, client):
    municipality("RP005")
    assert wait_until(lambda: replica_sees("RP005"), 60)
    assert replica_status(force=True)["healthy"]
    assert "RP005" in listed(client)  # through the replica, its connection kept open
    routed.stop()
    municipality("RP006")
    # The status still says healthy: the query fails on the replica mid-request and the view runs again on the primary.
    assert {"RP005", "RP006"} <= listed(client)
    assert replica_status()["healthy"] is False
    # The next check finds it down (connection refused) and every read goes to the primary.
    forget_replica_status()
    assert client.get(f"{ITEMS}/RP006").status_code == 200
    assert {"RP005", "RP006"} <= listed(client)
    assert "unreachable" in client.get("/readyz").json()["replica"]["reason"]


def test_database_replica_url_adds_the_replica_and_its_router():
    import sys

    script = ("import django; django.setup(); from django.conf import settings; r = settings.DATABASES['replica']; "
              "print(r['HOST'], r['PORT'], r['NAME'], r['TEST']['MIRROR'], r['OPTIONS']['connect_timeout'], "
              "settings.DATABASE_ROUTERS, settings.IMBIZO['REPLICA_MAX_LAG_S'])")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "gisplatform.settings", "SECRET_KEY": "x",
                   "DATABASE_REPLICA_URL": "postgis://imbizo:secret@10.0.0.9:5433/imbizo", "IMBIZO_REPLICA_MAX_LAG_S": "2.5"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env=environment)
    assert result.stdout.split() == ["10.0.0.9", "5433", "imbizo", "default", "2",
                                     "['gisplatform.replica.ReplicaRouter']", "2.5"], result.stderr
    environment.pop("DATABASE_REPLICA_URL")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                             "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)"],
                            cwd=ROOT, capture_output=True, text=True, env=environment)
    assert result.stdout.strip() == "['default'] []", result.stderr
