"""The intake benchmark compares the API with "the same work in raw SQL": if its raw column (or the
bare HTTP column serving it) stopped doing what intake does, every ratio it prints would be wrong
without anything failing. These file a report both ways at one point and compare the results."""

import io
import json

import pytest

from accounts.models import Department
from assets.models import Asset
from benchmarks import intake_site
from benchmarks.intake_site import RawIntake
from benchmarks.support import raw_connection
from notices.models import OutboundMessage
from triage.category_cache import category_for_intake
from triage.intake import Report, issue_create
from triage.models import Issue
from triage.tests.conftest import HEIDELBERG
from triage.tests.test_issue_create import moved

pytestmark = pytest.mark.django_db(transaction=True)  # the benchmark's own connections must see the rows


@pytest.fixture
def lamp_near_heidelberg(streetlight_out):
    return Asset.objects.create(asset_type=streetlight_out.asset_type, municipality=streetlight_out.municipality,
                                external_id="SL-BENCH-1", geom=moved(HEIDELBERG, metres=12))


def assert_filed_alike(reference: str, expected: Issue):
    filed = Issue.objects.get(reference=reference)
    assert (filed.municipality_id, filed.category_id, filed.ward_id, filed.suburb_id, filed.asset_id,
            filed.department_id, filed.kind, filed.priority, filed.status) == (
        expected.municipality_id, expected.category_id, expected.ward_id, expected.suburb_id, expected.asset_id,
        expected.department_id, expected.kind, expected.priority, expected.status)
    assert filed.asset_distance_m == pytest.approx(expected.asset_distance_m, abs=0.01)
    assert filed.events.count() == 1  # its history line
    department_email = Department.objects.get(pk=expected.department_id).email
    assert OutboundMessage.objects.filter(topic=f"issue:{reference}", address=department_email,
                                          state="queued").exists()


def test_the_raw_column_files_what_intake_files(streetlight_out, lamp_near_heidelberg):
    expected = issue_create(report=Report(category=streetlight_out, location=HEIDELBERG)).issue
    assert expected.asset_id == lamp_near_heidelberg.pk  # the point is one intake snaps

    with raw_connection() as connection:
        connection.autocommit = True
        reference = RawIntake.of(category_for_intake(streetlight_out.pk)).file(
            connection, HEIDELBERG.x, HEIDELBERG.y, "bench test", "bench-raw-1")

    assert reference == expected.reference.replace("-000001", "-000002")  # the municipality's next number
    assert_filed_alike(reference, expected)


def test_the_bare_http_column_files_what_intake_files(streetlight_out, lamp_near_heidelberg, monkeypatch):
    expected = issue_create(report=Report(category=streetlight_out, location=HEIDELBERG)).issue
    monkeypatch.setenv("IMBIZO_BENCH_CATEGORY", str(streetlight_out.pk))
    intake_site._intake.cache_clear()  # set up afresh for this test's category
    body = json.dumps({"lon": HEIDELBERG.x, "lat": HEIDELBERG.y, "description": "bench test"}).encode()
    answered = []

    try:
        chunks = intake_site.application(
            {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "HTTP_IDEMPOTENCY_KEY": "bench-http-1"},
            lambda status, headers: answered.append(status))
    finally:
        intake_site._intake.cache_clear()
        connection = getattr(intake_site._connections, "connection", None)
        if connection is not None:  # the site's own connection, kept per thread
            connection.close()
            del intake_site._connections.connection

    assert answered == ["201 Created"]
    assert_filed_alike(json.loads(b"".join(chunks))["reference"], expected)
