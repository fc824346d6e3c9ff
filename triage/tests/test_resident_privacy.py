"""POPIA: a resident downloads all their data and deletes the account (reports stay, anonymised);
residents' places, alerts and addresses never appear in public pages or APIs, nor to another resident."""

import pytest
from allauth.account.models import EmailAddress

from notices.models import OutboundMessage
from residents import services as residents_services
from residents.models import AreaAlert, Place
from triage.intake.services import Report, issue_create
from triage.issues.models import Issue
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.shared_data

SECRET_ADDRESS = "17 Secretbird Street"


@pytest.fixture
def lerato(django_user_model, lesedi):
    user = django_user_model.objects.create_user("lerato.private@example.org", "a-long-passphrase-42",
                                                 phone="+27825557777", full_name="Lerato Privatename")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    residents_services.consent_give(user=user, channel="email")
    Place.objects.create(user=user, name="Granny's house", is_home=True, point=HEIDELBERG, address=SECRET_ADDRESS)
    residents_services.alert_create(user=user, area={"place": user.places.get().pk, "radius_m": 750})
    return user


def test_the_export_holds_all_of_my_data(lerato, pothole, client):
    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"},
                                       reporter=lerato, description="Outside my gate")).issue
    client.force_login(lerato)
    answer = client.get("/api/v1/me/export")
    assert answer.status_code == 200 and "attachment" in answer["Content-Disposition"]
    data = answer.json()
    assert data["account"]["phone"] == "+27825557777" and data["places"][0]["address"] == SECRET_ADDRESS
    assert data["alerts"][0]["radius_m"] == 750 and data["alerts"][0]["area"]["type"] == "MultiPolygon"
    assert data["consents"][0]["channel"] == "email" and data["consents"][0]["wording"]
    assert data["issues_reported"][0]["reference"] == issue.reference
    assert any(message["subject"].startswith(issue.reference) for message in data["messages"])


def test_deleting_the_account_keeps_the_reports_anonymised(lerato, pothole, client):
    mine = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"},
                                      reporter=lerato)).issue
    before_signing_up = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"},
                                                   reporter_email=lerato.email, reporter_name="Lerato")).issue
    client.force_login(lerato)
    assert client.delete("/api/v1/me/account").status_code == 204
    for issue in (mine, before_signing_up):
        issue.refresh_from_db()
        assert (issue.reporter_id, issue.reporter_email, issue.reporter_name, issue.reporter_phone) == (None, "", "", "")
    assert Issue.objects.count() == 2
    assert not Place.objects.exists() and not AreaAlert.objects.exists()
    assert not OutboundMessage.objects.filter(address__in=[lerato.email, lerato.phone]).exists()
    assert client.get("/api/v1/me").status_code == 403


def test_staff_cannot_delete_their_account_here(client, dispatcher):
    client.force_login(dispatcher)
    assert client.delete("/api/v1/me/account").status_code == 403


def test_no_residents_personal_data_in_public_pages_apis_or_to_another_resident(lerato, pothole, client,
                                                                                django_user_model):
    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"},
                                       reporter=lerato)).issue
    residents_services.alert_create(email="anon.subscriber@example.org", area={"ward": issue.ward.code},
                                    municipality=issue.municipality)
    secrets = [SECRET_ADDRESS, "Granny's house", lerato.email, lerato.phone, "Privatename", "anon.subscriber"]
    public = ["/api/v1/issues", f"/api/v1/issues/{issue.reference}", f"/api/v1/issues/{issue.reference}/history",
              f"/track/{issue.reference}/", "/api/v1/wards/?municipality=GT423", "/m/GT423/", "/m/GT423/issues/",
              f"/api/v1/areas/lookup?lat={HEIDELBERG.y}&lon={HEIDELBERG.x}", "/accounts/login/", "/accounts/signup/"]
    other = django_user_model.objects.create_user("other.resident@example.org", "a-long-passphrase-42")
    resident_views = ["/api/v1/me", "/api/v1/me/places", "/api/v1/me/alerts", "/api/v1/me/issues", "/api/v1/me/export",
                      "/me/", "/me/alerts/", "/me/issues/", "/me/privacy/"]
    for viewer, urls in ((None, public), (other, resident_views)):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 200, url
            body = answer.content.decode()
            for secret in secrets:
                assert secret not in body, f"{secret!r} leaked by {url}"
