"""The raw column's work, and the same work served over HTTP with no Django in the way.

`RawIntake.file` is what benchmarks/intake.py times as raw SQL: intake's statement
(triage.intake.FILE_SQL) as intake runs it, then the department's message and COMMIT in one
message. `application` is a bare WSGI callable doing exactly that for each POSTed
{"lon", "lat", "description"}, behind the same granian as the platform: the gap between it and the
raw column is what HTTP and the server cost, and the gap between it and the API is what Django and
our Python cost. No Django view can beat it.

Never part of the app: granian loads `benchmarks.intake_site:application` only in the benchmark,
with the category to file into in IMBIZO_BENCH_CATEGORY.
"""

import datetime
import functools
import json
import os
import threading
import uuid
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

# The department's message and the COMMIT in one message, as intake sends them (notices.outbound,
# gisplatform.database.base.write_with_commit).
INSERT_MESSAGE_AND_COMMIT = """
INSERT INTO notices_outboundmessage (channel, address, subject, body, topic, state, attempts, last_error, created_at)
VALUES ('email', %s, %s, %s, %s, 'queued', 0, '', now()); COMMIT
"""


@dataclass(frozen=True)
class RawIntake:
    """Where every report of the benchmark goes: one category of one municipality, this year."""

    municipality_id: int
    category_id: int
    asset_type_id: int
    radius_m: float
    sequence: str
    prefix: str
    department_email: str

    @classmethod
    def of(cls, category) -> "RawIntake":
        from triage.intake.services import REFERENCE_SEQUENCE, reference_year

        municipality = category.municipality
        year = reference_year(municipality, datetime.datetime.now(datetime.UTC))  # as intake: the municipality's clock
        return cls(municipality_id=municipality.pk, category_id=category.pk, asset_type_id=category.asset_type_id,
                   radius_m=float(category.snap_radius_m),
                   sequence=REFERENCE_SEQUENCE.format(municipality=municipality.pk, year=year),
                   prefix=f"{municipality.code}-{year}-", department_email=category.default_department.email)

    def file(self, connection: psycopg.Connection, lon: float, lat: float, description: str, key: str) -> str:
        """File one report on an autocommit connection, as intake does; its reference."""
        from triage.intake.services import FILE_WITH_KEY

        connection.execute("BEGIN")
        with psycopg.RawCursor(connection) as cursor:
            cursor.execute(FILE_WITH_KEY.sql, FILE_WITH_KEY.bind({
                "lon": lon, "lat": lat, "municipality": self.municipality_id, "asset_type": self.asset_type_id,
                "radius": self.radius_m, "category": self.category_id, "sequence": self.sequence,
                "prefix": self.prefix, "token": uuid.uuid4(), "tracking_key": uuid.uuid4().hex[:22], "address": "",
                "description": description, "answers": Jsonb({}), "media_url": "", "channel": "web",
                "external_id": "", "reporter": None, "reporter_name": "", "reporter_phone": "", "reporter_email": "",
                "priority": "", "now": datetime.datetime.now(datetime.UTC), "actor_label": "Reporter", "key": key,
                "fingerprint": "x",
            }), prepare=True)
            row = cursor.fetchone()
        assert row[12] is not None, row  # an issue was filed
        reference = row[13]
        with psycopg.ClientCursor(connection) as both:  # client-side binding: one simple-query message
            both.execute(INSERT_MESSAGE_AND_COMMIT,
                         [self.department_email, f"New issue {reference}", description, f"issue:{reference}"])
        return reference


_connections = threading.local()
_setup_lock = threading.Lock()  # a worker's two threads must not both run django.setup() at once


@functools.cache
def _intake() -> RawIntake:
    """Set up on the first request, in the worker (granian imports this module before forking)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gisplatform.settings")
    import django

    django.setup()
    from triage.issues.models import Category

    category = Category.objects.select_related("municipality", "default_department").get(
        pk=int(os.environ["IMBIZO_BENCH_CATEGORY"]))
    return RawIntake.of(category)


def application(environ, start_response):
    with _setup_lock:
        intake = _intake()  # first: the connection below reads Django's settings
    if not hasattr(_connections, "connection"):
        from benchmarks.support import raw_connection

        _connections.connection = raw_connection()
        _connections.connection.autocommit = True
    report = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    reference = intake.file(_connections.connection, report["lon"], report["lat"], report["description"],
                            environ.get("HTTP_IDEMPOTENCY_KEY", ""))
    body = json.dumps({"reference": reference}).encode()
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
