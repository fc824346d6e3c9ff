"""Imbizo behind a real PgBouncer (Debian's package) in transaction mode, as a deployment with many web
and worker processes runs it: requests, streamed querysets, the figures' refresh (temporary tables and
advisory locks inside one transaction), the outbox's SKIP LOCKED claims and a purge, from many clients
sharing two server connections. Skipped only where pgbouncer is not installed (./imbizo test installs it)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from notices.models import OutboundMessage
from notices.outbound import Recipient, notify
from tests.background import ROOT, wait_until

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pgbouncer(django_db_setup, django_db_blocker):
    """PgBouncer on a free port in front of the test database: transaction pooling, two server connections."""
    if not Path(PGBOUNCER).exists():
        pytest.skip("pgbouncer is not installed (./imbizo test installs it)")
    with django_db_blocker.unblock():
        database = dict(connection.settings_dict)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="imbizo-pgbouncer-"))
    (folder / "users.txt").write_text(f'"{database["USER"]}" "{database["PASSWORD"]}"\n')
    (folder / "pgbouncer.ini").write_text(f"""[databases]
* = host={database["HOST"]} port={database["PORT"]}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {folder}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
pidfile = {folder}/pgbouncer.pid
logfile = {folder}/pgbouncer.log
""")
    command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.getuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(folder, "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    os.chmod(folder / "users.txt", 0o600)
    process = subprocess.Popen(command)
    try:
        import psycopg

        def answers():
            psycopg.connect(host="127.0.0.1", port=port, dbname=database["NAME"], user=database["USER"],
                            password=database["PASSWORD"], connect_timeout=2).close()
            return True

        assert wait_until(lambda: _quietly(answers), 30), (folder / "pgbouncer.log").read_text()
        yield {"port": port, "database": database}
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _quietly(check) -> bool:
    try:
        return check()
    except Exception:  # noqa: BLE001 - not up yet
        return False


def bouncer_url(pgbouncer) -> str:
    database = pgbouncer["database"]
    return f"postgis://{database['USER']}:{database['PASSWORD']}@127.0.0.1:{pgbouncer['port']}/{database['NAME']}"


def manage(pgbouncer, *args) -> subprocess.CompletedProcess:
    """A management command in its own process, connected through PgBouncer as a deployment would be."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "gisplatform.settings", "DATABASE_URL": bouncer_url(pgbouncer),
                   "DATABASE_PGBOUNCER": "1", "SECRET_KEY": "test-pgbouncer", "IMBIZO_DELIVERY": "on_commit"}
    environment["IMBIZO_SHARED_DATA"] = os.environ.get("IMBIZO_SHARED_DATA", "")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=300)


CLIENTS = """
import threading
import django
django.setup()
from django.db import connections
from notices.models import OutboundMessage
counts, failures = [], []
def client():
    try:
        for _ in range(3):
            # iterator(): a server-side cursor unless DISABLE_SERVER_SIDE_CURSORS, which transaction pooling breaks.
            counts.append(sum(1 for _ in OutboundMessage.objects.iterator(chunk_size=500)))
    except Exception as exc:
        failures.append(repr(exc))
    finally:
        connections.close_all()
threads = [threading.Thread(target=client) for _ in range(12)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(sorted(set(counts)), len(counts), failures)
"""


def test_many_clients_share_two_server_connections_and_stream_querysets(pgbouncer, transactional_db):
    notify([Recipient(email=f"r{index}@example.org") for index in range(3000)], "Notice", "Text.")
    result = manage(pgbouncer, "shell", "-c", CLIENTS)
    assert result.stdout.strip().splitlines()[-1] == "[3000] 36 []", result.stdout[-2000:] + result.stderr[-2000:]


def test_the_outbox_sweep_figures_and_purge_run_through_pgbouncer(pgbouncer, transactional_db):
    from tests.test_purge import municipality_with_issues

    municipality_with_issues("PB001", 300)
    notify([Recipient(email="resident@example.org")], "Notice", "Text.")
    started = time.monotonic()
    for command in (["refresh_heatmap_summary", "--full"], ["send_queued_messages", "-v", "0"],
                    ["purge", "issues", "PB001", "--batch", "100", "-v", "0"]):
        result = manage(pgbouncer, *command)
        assert result.returncode == 0, result.stderr[-2000:]
    assert time.monotonic() - started < 300
    assert OutboundMessage.objects.get().state == "sent"
    from triage.issues.models import Issue

    assert not Issue.objects.filter(reference__startswith="PB001-").exists()


def test_the_site_sends_no_startup_options_behind_pgbouncer():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "d = settings.DATABASES['default']; "
                               "print(d['OPTIONS'].get('options'), d['DISABLE_SERVER_SIDE_CURSORS'])"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gisplatform.settings", "DATABASE_PGBOUNCER": "1", "SECRET_KEY": "x"})
    assert result.stdout.split() == ["None", "True"], result.stderr
