"""The settings the test suite runs with (pyproject.toml): the site's own, and what only tests change."""

import os

TEST_SECRET_KEY = "insecure-test-key-never-use-in-production"
# Set before the import: the site's settings refuse to load without a key, and tests need no real one.
os.environ.setdefault("SECRET_KEY", TEST_SECRET_KEY)

from gisplatform.settings import *  # noqa: E402, F403
from gisplatform.settings import DATABASES, IMBIZO  # noqa: E402

SECRET_KEY = TEST_SECRET_KEY
# Tests need no durability: commits don't wait for the disk (the server itself stays durable, so a
# resident's report served by `./imbizo run` is on disk before its reference is shown).
DATABASES["default"]["OPTIONS"]["options"] += " -c synchronous_commit=off"
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_imbizo")}
# Each request sends its messages after its commit, so a test sees them sent without a delivery worker.
IMBIZO = {**IMBIZO, "DELIVERY": "on_commit"}
# Background work: the tests' queues in their own Redis database (15), so a test that empties it never
# touches the queues of a site (`./imbizo run`) sharing that Redis.
from gisplatform.settings import REDIS_URL  # noqa: E402

CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL.rsplit("/", 1)[0] + "/15"
# The suite runs as a fully offline installation (no base map) unless IMBIZO_TILE_URL says otherwise;
# tests of the street map set a tile URL themselves and block its host.
if "IMBIZO_TILE_URL" not in os.environ:
    IMBIZO["TILE_URL"] = ""
    LEAFLET_CONFIG = {**LEAFLET_CONFIG, "TILES": []}  # noqa: F405
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = ["'self'", "data:"]  # noqa: F405
