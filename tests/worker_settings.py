"""The settings of the Celery workers the tests of background work start (tests/background.py): the
tests' own, on the test database, with an instant channel that records each send in a file."""

import os

from gisplatform.settings_test import *  # noqa: F403
from gisplatform.settings_test import DATABASES, IMBIZO

DATABASES["default"]["NAME"] = os.environ["IMBIZO_WORKER_DATABASE"]
IMBIZO = {**IMBIZO, "CHANNELS": dict.fromkeys(("email", "sms", "push"), "tests.background.FileRecordingChannel")}
