"""The cache every worker process shares (toolkit.cache, settings.CACHES): a table in the database
unless CACHE_URL names another; increments from many connections at once all count, and keep the
key's expiry."""

import datetime
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.db import connection, connections
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent


def test_the_tests_count_in_the_shared_database_cache_not_in_process_memory(db):
    assert caches["default"].__class__.__module__ == "toolkit.cache"
    with connection.cursor() as cursor:  # made by migrate (gisplatform.apps)
        cursor.execute("SELECT to_regclass('imbizo_cache') IS NOT NULL")
        assert cursor.fetchone()[0]


@pytest.mark.parametrize(("url", "backend"), [
    ("", "toolkit.cache.DatabaseCache"),
    ("db://other_cache_table", "toolkit.cache.DatabaseCache"),
    ("redis://cache.internal:6379/2", "django.core.cache.backends.redis.RedisCache"),
])
def test_cache_url_names_the_cache(url, backend):
    environment = {**os.environ, "CACHE_URL": url} if url else {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    program = "import gisplatform.settings_test as s; print(s.CACHES['default']['BACKEND'])"
    result = subprocess.run([sys.executable, "-c", program], env=environment, cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == backend


@pytest.mark.django_db(transaction=True)
def test_increments_from_many_connections_at_once_all_count():
    cache.add("counter", 0, timeout=600)
    threads, rounds = 12, 10
    start = threading.Barrier(threads)

    def count():
        start.wait()
        try:
            for _ in range(rounds):
                cache.incr("counter")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=count) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert cache.get("counter") == threads * rounds
    cache.delete("counter")


@pytest.mark.django_db
def test_an_increment_keeps_the_expiry_the_key_was_added_with():
    cache.add("hourly", 0, timeout=3600)
    cache.incr("hourly")
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM imbizo_cache WHERE cache_key = %s", [cache.make_key("hourly")])
        expires = cursor.fetchone()[0]
    assert expires - timezone.now() > datetime.timedelta(minutes=59)
    with pytest.raises(ValueError):
        cache.incr("never-added")
