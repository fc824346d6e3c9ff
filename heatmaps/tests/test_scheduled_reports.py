"""Scheduled reports: subscribe through the API; `send_scheduled_reports` mails each ended week or
month once, with the report attached; a failure is logged, retried, and finally given up loudly."""

import datetime
import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from heatmaps.models import ReportRun, ReportSubscription
from heatmaps.refresh import summary_refresh
from heatmaps.scheduled import MAX_ATTEMPTS
from heatmaps.tests.conftest import file_issues
from notices.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]
SAST = datetime.timezone(datetime.timedelta(hours=2))


@pytest.fixture
def history(categories, ward_frame):
    file_issues(categories, ward_frame, count=40, days=120, seed=8)
    summary_refresh(full=True)


def subscribe(client, **fields):
    return client.post("/api/v1/heatmaps/subscriptions", {"municipality": "GT423", **fields},
                       content_type="application/json")


def made_on(subscription_id: int, moment: datetime.datetime) -> None:
    ReportSubscription.objects.filter(pk=subscription_id).update(created_at=moment)


def send(now: datetime.datetime):
    call_command("send_scheduled_reports", now=now.isoformat(), stdout=io.StringIO())


def test_a_weekly_ward_report_arrives_once_per_week_with_its_pdfs(planner_client, planner, history,
                                                                   django_capture_on_commit_callbacks):
    response = subscribe(planner_client, frequency="weekly", file_format="pdf", wards=["74203008", "74203001"],
                         filters={"category": "pothole"})
    assert response.status_code == 201, response.content
    assert set(response.json()["wards"]) == {"74203001", "74203008"}
    made_on(response.json()["id"], datetime.datetime(2026, 5, 6, 9, 0, tzinfo=SAST))  # a Wednesday
    with django_capture_on_commit_callbacks(execute=True):
        send(datetime.datetime(2026, 5, 18, 1, 0, tzinfo=SAST))  # Monday after two whole weeks
    runs = list(ReportRun.objects.order_by("period_start").values_list("period_start", "period_end", "state"))
    assert runs == [(datetime.date(2026, 5, 4), datetime.date(2026, 5, 10), "sent"),
                    (datetime.date(2026, 5, 11), datetime.date(2026, 5, 17), "sent")]
    assert len(mail.outbox) == 2
    email = mail.outbox[0]
    assert email.to == [planner.email]
    assert "04 May 2026 to 10 May 2026" in email.subject
    names = [name for name, _, _ in email.attachments]
    assert names == ["GT423-74203001-report-20260504-20260510.pdf", "GT423-74203008-report-20260504-20260510.pdf"]
    assert all(content.startswith(b"%PDF-") and kind == "application/pdf" for _, content, kind in email.attachments)
    with django_capture_on_commit_callbacks(execute=True):
        send(datetime.datetime(2026, 5, 18, 2, 0, tzinfo=SAST))  # the next hour: nothing new
    assert len(mail.outbox) == 2 and ReportRun.objects.count() == 2


def test_a_monthly_excel_report_of_the_municipality(planner_client, history, django_capture_on_commit_callbacks):
    subscription_id = subscribe(planner_client, frequency="monthly", file_format="xlsx").json()["id"]
    made_on(subscription_id, datetime.datetime(2026, 3, 15, 12, 0, tzinfo=SAST))
    with django_capture_on_commit_callbacks(execute=True):
        send(datetime.datetime(2026, 5, 1, 0, 30, tzinfo=SAST))
    assert [run.period_start for run in ReportRun.objects.order_by("period_start")] == [
        datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]
    name, content, kind = mail.outbox[-1].attachments[0]
    assert name == "GT423-figures-20260401-20260430.xlsx"
    assert kind.endswith("spreadsheetml.sheet") and content[:2] == b"PK"


@pytest.mark.parametrize("fields, field", [
    ({"wards": ["99999999"]}, "wards"),
    ({"filters": {"category": "sinkholes"}}, "filters.category"),
    ({"filters": {"colour": "red"}}, "filters"),
    ({"frequency": "daily"}, "frequency"),
    ({"file_format": "docx"}, "file_format"),
    ({"municipality": "XX999"}, "municipality"),
])
def test_a_bad_subscription_is_a_400_naming_the_field(planner_client, categories, fields, field):
    response = subscribe(planner_client, **fields)
    assert response.status_code == 400
    assert field in response.json()


def test_planners_list_and_stop_their_subscriptions(planner_client, categories):
    subscription_id = subscribe(planner_client).json()["id"]
    assert [s["id"] for s in planner_client.get("/api/v1/heatmaps/subscriptions").json()] == [subscription_id]
    assert planner_client.delete(f"/api/v1/heatmaps/subscriptions/{subscription_id}").status_code == 204
    assert not ReportSubscription.objects.get().is_active


def test_a_failing_report_is_logged_retried_and_finally_given_up(planner_client, planner, history, monkeypatch, caplog,
                                                                  django_capture_on_commit_callbacks):
    subscription_id = subscribe(planner_client, frequency="monthly").json()["id"]
    made_on(subscription_id, datetime.datetime(2026, 4, 2, tzinfo=SAST))

    def broken(query):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("heatmaps.reports.report_pdf", broken)
    now = datetime.datetime(2026, 5, 1, 6, 0, tzinfo=SAST)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with (caplog.at_level(logging.ERROR, logger="heatmaps.scheduled"), pytest.raises(CommandError) as failure,
              django_capture_on_commit_callbacks(execute=True)):
            send(now)
        run = ReportRun.objects.get()
        assert run.attempts == attempt
        assert run.last_error == "RuntimeError: the disk is full"
        assert "the disk is full" in str(failure.value)
        assert "the disk is full" in caplog.text
        caplog.clear()
    assert run.state == "gave_up"
    told = OutboundMessage.objects.get(subject__startswith="Your report for")
    assert told.address == planner.email and "failed 5 times" in told.body
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        send(now)  # a given-up run is not tried again, and the command is quiet
    assert ReportRun.objects.get().attempts == MAX_ATTEMPTS


def test_a_planner_who_lost_the_role_gets_no_report(planner_client, planner, history, django_capture_on_commit_callbacks):
    subscription_id = subscribe(planner_client, frequency="monthly").json()["id"]
    made_on(subscription_id, datetime.datetime(2026, 4, 2, tzinfo=SAST))
    planner.groups.clear()
    with pytest.raises(CommandError, match="may no longer read GT423"):
        send(datetime.datetime(2026, 5, 1, 6, 0, tzinfo=SAST))
    assert ReportRun.objects.get().state == "gave_up"
