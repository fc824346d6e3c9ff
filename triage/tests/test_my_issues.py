"""My issues: claiming past anonymous reports (verified email or phone, or this browser's tracking
keys), the list with status and time taken, following and unfollowing."""

import pytest
from allauth.account.models import EmailAddress

from triage.intake.services import Report, issue_create
from triage.issues.services import issue_transition
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.shared_data


def anonymous_report(category, **reporter):
    return issue_create(report=Report(category=category, location=HEIDELBERG, answers={"size": "small"},
                                      **reporter)).issue


@pytest.fixture
def me(django_user_model, client):
    user = django_user_model.objects.create_user("lerato@example.org", "a-long-passphrase-42", phone="+27825550000")
    client.force_login(user)
    return user


def test_reports_with_my_verified_email_or_phone_are_claimed(pothole, me, client):
    by_email = anonymous_report(pothole, reporter_email="lerato@example.org")
    by_phone = anonymous_report(pothole, reporter_phone="+27825550000")
    someone_elses = anonymous_report(pothole, reporter_email="other@example.org")
    # Unverified: nothing is claimed (anyone can type an address into a report form).
    assert client.post("/api/v1/me/issues/claim", {}, content_type="application/json").json() == []
    EmailAddress.objects.create(user=me, email="lerato@example.org", verified=True, primary=True)
    assert client.post("/api/v1/me/issues/claim", {}, content_type="application/json").json() == [by_email.reference]
    me.phone_verified = True
    me.save()
    assert client.post("/api/v1/me/issues/claim", {}, content_type="application/json").json() == [by_phone.reference]
    listed = {row["reference"] for row in client.get("/api/v1/me/issues").json()}
    assert listed == {by_email.reference, by_phone.reference} and someone_elses.reference not in listed


def test_reports_tracked_in_this_browser_are_claimed_with_their_keys_only(pothole, me, client):
    mine = anonymous_report(pothole)
    guessed = anonymous_report(pothole)
    answer = client.post("/api/v1/me/issues/claim", {"tracked": [[mine.reference, mine.tracking_key],
                                                                 [guessed.reference, "not-the-key"]]},
                         content_type="application/json")
    assert answer.json() == [mine.reference]
    mine.refresh_from_db()
    guessed.refresh_from_db()
    assert mine.reporter == me and guessed.reporter is None


def test_my_issues_show_status_and_time_taken_and_follow(pothole, me, client, dispatcher):
    mine = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"}, reporter=me)).issue
    for step in ("acknowledged", "in_progress", "resolved"):
        issue_transition(issue=mine, to_status=step, actor=dispatcher, public_note="Filled")
    other = anonymous_report(pothole)
    assert client.post(f"/api/v1/me/issues/{other.reference}/follow").status_code == 204
    rows = {row["reference"]: row for row in client.get("/api/v1/me/issues").json()}
    assert rows[mine.reference]["status"] == "resolved" and rows[mine.reference]["rateable"]
    assert rows[mine.reference]["time_taken_seconds"] >= 0 and rows[mine.reference]["reported"]
    assert rows[other.reference]["followed"] and not rows[other.reference]["reported"]
    page = client.get("/me/issues/").content.decode()
    assert mine.reference in page and "Resolved" in page
    assert client.delete(f"/api/v1/me/issues/{other.reference}/follow").status_code == 204
    assert other.reference not in {row["reference"] for row in client.get("/api/v1/me/issues").json()}


def test_my_issues_need_a_log_in(client, db):
    assert client.get("/api/v1/me/issues").status_code == 403
    assert client.get("/me/issues/").status_code == 302
