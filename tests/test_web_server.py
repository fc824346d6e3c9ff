"""The server `./imbizo run` starts keeps answering while clients stall their request bodies: nginx
reads each request in full before granian's threads see it (benchmarks/slow_bodies.py measures
300 stalled bodies against a 100 ms limit; this is the smaller check CI runs)."""

import shutil
import time
from urllib.parse import quote

import pytest
from django.db import connection

from benchmarks.slow_bodies import free_port, healthz, served, stalled_bodies


@pytest.fixture
def site(db):
    if not shutil.which("nginx") and not shutil.which("/usr/sbin/nginx"):
        pytest.skip("nginx is not installed (./imbizo installs Debian's nginx)")
    settings = connection.settings_dict
    login = f"{settings['USER']}:{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else settings["USER"]
    url = f"postgis://{login}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    port = free_port()
    with served(port, environment={"DATABASE_URL": url}):
        yield port


def test_thirty_stalled_bodies_do_not_stop_the_site_answering(site):
    with stalled_bodies(site, 30) as sockets:
        assert len(sockets) == 30
        durations = [healthz(site, timeout=5) for _ in range(10)]
    assert None not in durations, durations
    assert max(durations) < 1.0, durations


def test_the_server_drops_a_body_that_stalls(site):
    with stalled_bodies(site, 1) as [sock]:
        sock.settimeout(20)
        start = time.monotonic()
        answer = sock.recv(100)  # nginx's client_body_timeout (10 s) closes it
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - start < 15
