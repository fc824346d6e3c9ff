"""Real Celery workers for the tests of background work: subprocesses (`celery -A gisplatform worker`)
on the tests' Redis database and the test database, as `./imbizo run` starts them. No eager mode."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SENT_LOG = "IMBIZO_TEST_SENT_LOG"


class FileRecordingChannel:
    """An instant channel: each send is one line (address, worker process) appended to a file all the
    workers share. An address starting with "down@" fails, as a refusing gateway would."""

    def deliver(self, message) -> None:
        if message.address.startswith("down@"):
            raise ConnectionError("the gateway refused it")
        fd = os.open(os.environ[SENT_LOG], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{message.address} {os.getpid()}\n".encode())  # one write: lines never interleave
        finally:
            os.close(fd)


def wait_until(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def redis_queues(settings):
    """The tests' Redis database, empty before and after. `./imbizo test` starts Redis and exports REDIS_URL."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at REDIS_URL ({type(exc).__name__}): run the tests with ./imbizo test, which starts one")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@contextlib.contextmanager
def broker_away():
    """This process's Celery app talks to a broker address nothing listens on, as when Redis is down."""
    from gisplatform.celery import app

    def reset_pools():  # the pools are made again, for the broker address of the moment
        app._pool = app.amqp._producer_pool = None

    broker = app.conf.broker_url
    reset_pools()
    app.conf.broker_url = "redis://127.0.0.1:9/15"
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url = broker


class Workers:
    def __init__(self, log_dir: Path, database: str):
        self.log_dir, self.database = log_dir, database
        self.sent_log = log_dir / "sent.log"
        self.sent_log.touch()
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1, *, concurrency: int = 1, queues: str = "messages,fanout,reports,maintenance") -> None:
        from gisplatform.celery import app

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.worker_settings", "IMBIZO_WORKER_DATABASE": self.database,
               SENT_LOG: str(self.sent_log)}
        names = []
        for _ in range(count):
            name = f"test{len(self.processes)}-{os.getpid()}@localhost"
            names.append(name)
            output = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 - the worker writes to it until stopped
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "gisplatform", "worker", "-Q", queues, "-c", str(concurrency),
                 "-n", name, "-l", "warning", "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))

        def answering():
            replies = app.control.ping(timeout=0.5)
            return set(names) <= {name for reply in replies for name in reply}

        assert wait_until(answering, 60), "the Celery workers did not start:\n" + self.output()

    def sent(self) -> list[tuple[str, int]]:
        return [(address, int(pid)) for address, pid in
                (line.split() for line in self.sent_log.read_text().splitlines())]

    def output(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in sorted(self.log_dir.glob("*@localhost.log")))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


@pytest.fixture
def celery_workers(transactional_db, redis_queues, imbizo_settings, tmp_path):
    """Start real workers with `celery_workers.start(count, concurrency=...)`; requests send their
    messages through Celery (DELIVERY "celery"). Stopped (a warm shutdown) after the test."""
    from django.db import connection

    imbizo_settings(DELIVERY="celery")
    workers = Workers(tmp_path, connection.settings_dict["NAME"])
    yield workers
    workers.stop()
