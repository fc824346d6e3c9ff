"""Deleting a municipality or its issues at scale: in batches by id (never every row at once), the
planners' figures right after it, the other municipalities untouched; the admin refuses its own
all-in-memory delete of a big municipality and purges it in the background on a real worker."""

import datetime
import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from gisplatform.purge import municipality_purge
from heatmaps.refresh import summary_refresh
from notices.models import OutboundAttachment, OutboundMessage
from tests.background import wait_until
from triage.issues.models import Category, Channel, Issue
from wards.models import Municipality

SUMMARY_TABLES = ["heatmaps_issuefact", "heatmaps_dailysummary", "heatmaps_monthlysummary", "heatmaps_dailyareasummary",
                  "heatmaps_monthlyareasummary", "heatmaps_monthlyhexsummary"]


def municipality_with_issues(code: str, count: int, *, x: float = 28.0) -> Municipality:
    square = Polygon.from_bbox((x, -26.6, x + 0.2, -26.4))
    municipality = Municipality.objects.create(code=code, name=f"Test {code}", boundary=MultiPolygon(square, srid=4326))
    categories = [Category.objects.create(municipality=municipality, code=f"c{index}", name=f"Category {index}",
                                          sla_hours=48) for index in range(3)]
    now = timezone.now()
    issues = []
    for index in range(count):
        created = now - datetime.timedelta(hours=7 * index)
        resolved = created + datetime.timedelta(hours=30) if index % 3 == 0 else None
        issues.append(Issue(
            municipality=municipality, reference=f"{code}-{index:06d}", tracking_key=f"k{index}",
            category=categories[index % 3], kind="fault", location=Point(x + 0.0001 * (index % 1000), -26.5, srid=4326),
            channel=Channel.IMPORT if index % 2 else Channel.WEB, status="resolved" if resolved else "submitted",
            created_at=created, updated_at=resolved or created, resolved_at=resolved,
            time_to_resolve=resolved - created if resolved else None))
    Issue.objects.bulk_create(issues, batch_size=1000)
    return municipality


def snapshot(exclude_municipality: int | None = None) -> dict[str, list[tuple]]:
    tables = {}
    with connection.cursor() as cursor:
        for table in SUMMARY_TABLES:
            cursor.execute(f"SELECT * FROM {table} WHERE municipality_id IS DISTINCT FROM %s ORDER BY 1", [exclude_municipality])
            # Ids of the rows aside (a rebuild numbers them anew): the figures themselves.
            tables[table] = sorted(row[1:] for row in cursor.fetchall())
    return tables


def issue_ids_in(sql: str) -> int:
    """How many ids the largest IN (...) list of a statement names."""
    return max((len(found.split(",")) for found in re.findall(r"IN \(([^)]*)\)", sql)), default=0)


@pytest.mark.django_db
def test_a_municipality_is_purged_in_batches_and_the_figures_stay_right():
    doomed = municipality_with_issues("TS001", 3000)
    kept = municipality_with_issues("TS002", 200, x=29.0)
    summary_refresh(full=True)
    kept_before = snapshot(exclude_municipality=doomed.pk)
    # The messages each spoke for: the doomed one's go (a notice's fan-out, a report with its file), the rest stay.
    OutboundMessage.objects.bulk_create(
        [OutboundMessage(channel="sms", address=f"+278255{index:05d}", body="Water off", topic="notice:1:v1",
                         municipality=municipality) for municipality in (doomed, kept) for index in range(600)]
        + [OutboundMessage(channel="sms", address="+27825559999", body="Before municipalities were named")])
    report = OutboundMessage.objects.create(channel="email", address="planner@example.org", body="Attached",
                                            municipality=doomed)
    OutboundAttachment.objects.create(message=report, filename="report.pdf", content_type="application/pdf",
                                      content=b"%PDF", size=4)
    with CaptureQueriesContext(connection) as queries:
        counts = municipality_purge(doomed, batch=500)
    assert counts == {"issues": 3000, "unlocated issues": 0, "assets": 0, "messages": 601, "municipalities": 1}
    assert OutboundMessage.objects.filter(municipality=kept).count() == 600
    assert OutboundMessage.objects.filter(municipality=None).count() == 1 and not OutboundAttachment.objects.exists()
    message_deletes = [query["sql"] for query in queries if query["sql"].startswith('DELETE FROM "notices_outboundmessage"')]
    assert sum(issue_ids_in(sql) for sql in message_deletes) == 601
    assert all(0 < issue_ids_in(sql) <= 500 for sql in message_deletes)  # never all of them at once
    issue_statements = [query["sql"] for query in queries if '"triage_issue"' in query["sql"]]
    batches = [sql for sql in issue_statements if sql.startswith('SELECT "triage_issue"."id"') and "LIMIT 500" in sql]
    assert len(batches) == 7  # 3,000 issues, 500 at a time, and the look that found none left
    deletes = [sql for sql in issue_statements if sql.startswith('DELETE FROM "triage_issue"')]
    assert sum(issue_ids_in(sql) for sql in deletes) == 3000
    for sql in issue_statements:  # no statement reads or deletes more than a batch of issues
        assert "LIMIT 500" in sql or "COUNT(*)" in sql or 0 < issue_ids_in(sql) <= 500, sql
    assert not Municipality.objects.filter(pk=doomed.pk).exists()
    assert Issue.objects.filter(municipality=kept).count() == 200
    # The figures: as a full rebuild would make them, and the other municipality's unchanged.
    after = snapshot()
    assert after == snapshot(exclude_municipality=doomed.pk) == kept_before
    summary_refresh(full=True)
    assert snapshot() == after


@pytest.mark.django_db
def test_the_command_purges_only_the_imported_issues_when_asked(capsys):
    municipality = municipality_with_issues("TS003", 400)
    summary_refresh(full=True)
    call_command("purge", "issues", "TS003", "--imported", "--batch", "150", verbosity=0)
    assert "Deleted 200 issues, 0 unlocated issues." in capsys.readouterr().out
    assert set(Issue.objects.filter(municipality=municipality).values_list("channel", flat=True)) == {"web"}
    after = snapshot()
    summary_refresh(full=True)
    assert snapshot() == after


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root@example.org", "pw-root-123456"))
    return client


@pytest.mark.django_db(transaction=True)
def test_the_admin_refuses_its_own_delete_of_a_big_municipality_and_purges_it_on_a_worker(
        superuser_client, celery_workers, monkeypatch):
    monkeypatch.setattr("gisplatform.admin_purge.ADMIN_DELETE_LIMIT", 50)
    municipality = municipality_with_issues("TS004", 120)
    response = superuser_client.get(f"/admin/wards/municipality/{municipality.pk}/delete/", follow=True)
    assert "has more than 50 issues" in response.content.decode()
    assert Municipality.objects.filter(pk=municipality.pk).exists()
    changelist = superuser_client.get("/admin/wards/municipality/").content.decode()
    assert 'value="delete_selected"' not in changelist and 'value="purge_in_background"' in changelist
    celery_workers.start()
    response = superuser_client.post("/admin/wards/municipality/", {
        "action": "purge_in_background", "_selected_action": [municipality.pk]}, follow=True)
    assert "is being purged in the background" in response.content.decode()
    assert wait_until(lambda: not Municipality.objects.filter(pk=municipality.pk).exists(), 60), celery_workers.output()
    assert not Issue.objects.filter(reference__startswith="TS004-").exists()


@pytest.mark.django_db
def test_the_admin_refuses_its_own_delete_of_a_municipality_with_many_messages(superuser_client, monkeypatch):
    monkeypatch.setattr("gisplatform.admin_purge.ADMIN_DELETE_LIMIT", 50)
    municipality = municipality_with_issues("TS005", 3)
    OutboundMessage.objects.bulk_create([OutboundMessage(channel="sms", address=f"+278255{index:05d}", body="Notice",
                                                         municipality=municipality) for index in range(51)])
    response = superuser_client.get(f"/admin/wards/municipality/{municipality.pk}/delete/", follow=True)
    assert "has more than 50 outbound messages" in response.content.decode()
    assert Municipality.objects.filter(pk=municipality.pk).exists()
    OutboundMessage.objects.filter(pk__in=OutboundMessage.objects.values("pk")[:1]).delete()  # 50: the admin may
    assert superuser_client.get(f"/admin/wards/municipality/{municipality.pk}/delete/").status_code == 200
