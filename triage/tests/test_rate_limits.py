"""Writes are rate-limited per client and per address, end to end through the URLs: reports,
comments, "me too", follows, media, Open311 posts and log-ins answer 429 with Retry-After and a
body naming the limit; reads and staff are never counted; "me too" and follows cannot be inflated
by sending a new X-Client-Id each time."""

import json

import pytest

from triage.intake.services import Report, issue_create
from triage.issues.models import Issue
from triage.open311.models import ApiClient
from triage.tests.conftest import HEIDELBERG

pytestmark = pytest.mark.django_db


def report(client, pothole, *, client_id: str = "", address: str = "127.0.0.1"):
    body = {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x, "answers": {"size": "large"}}
    headers = {"HTTP_X_CLIENT_ID": client_id} if client_id else {}
    return client.post("/api/v1/issues", json.dumps(body), content_type="application/json", REMOTE_ADDR=address,
                       **headers)


def assert_refused(response, limit: str, rate: str):
    assert response.status_code == 429, response.content
    body = response.json()
    assert (body["limit"], body["rate"]) == (limit, rate)
    assert limit in body["detail"]
    assert 0 < int(response["Retry-After"]) == body["retry_after"]


def test_reports_are_limited_per_client_and_per_address(client, pothole, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"report": {"client": "2/day", "ip": "4/day"}})
    assert [report(client, pothole, client_id="phone-a").status_code for _ in range(2)] == [201, 201]
    assert_refused(report(client, pothole, client_id="phone-a"), "report per client", "2/day")
    assert report(client, pothole, client_id="phone-b").status_code == 201  # every try counts: the address's fourth
    assert_refused(report(client, pothole, client_id="phone-c"), "report per IP address", "4/day")
    assert_refused(report(client, pothole), "report per IP address", "4/day")  # no client id: the address still counts
    assert report(client, pothole, client_id="phone-c", address="192.0.2.44").status_code == 201
    assert Issue.objects.count() == 4


def test_an_account_is_one_client_whatever_device_id_it_sends(client, pothole, resident, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"report": {"client": "1/day", "ip": "100/day"}})
    client.force_login(resident)
    assert report(client, pothole, client_id="phone-a").status_code == 201
    assert_refused(report(client, pothole, client_id="phone-b"), "report per client", "1/day")


def test_comments_are_limited_but_reads_and_staff_are_never_counted(client, pothole, dispatcher, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"comment": {"client": "5/day", "ip": "2/day"}})
    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"})).issue
    url = f"/api/v1/issues/{issue.reference}/comments"
    assert [client.post(url, {"body": f"Still there {n}"}).status_code for n in range(2)] == [201, 201]
    assert_refused(client.post(url, {"body": "And again"}), "comment per IP address", "2/day")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    client.force_login(dispatcher)  # a call centre shares one address: its staff are not limited
    assert [client.post(url, {"body": f"Noted {n}."}).status_code for n in range(3)] == [201, 201, 201]


def test_me_too_cannot_be_inflated_by_sending_a_new_client_id_each_time(client, pothole, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"upvote": {"client": "100/day", "ip": "100/day", "ip_target": "3/day"}})
    issue, other = (issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"})).issue
                    for _ in range(2))
    url = f"/api/v1/issues/{issue.reference}/upvote"
    answers = [client.post(url, HTTP_X_CLIENT_ID=f"made-up-{n}") for n in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429, 429]
    assert_refused(answers[3], "upvote per IP address and item", "3/day")
    issue.refresh_from_db()
    assert issue.upvotes == 3
    assert client.post(f"/api/v1/issues/{other.reference}/upvote", HTTP_X_CLIENT_ID="made-up-9").status_code == 200
    assert client.post(url, HTTP_X_CLIENT_ID="neighbour", REMOTE_ADDR="192.0.2.80").json()["upvotes"] == 4


def test_follows_are_limited_per_address_and_issue(client, pothole, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"follow": {"client": "100/day", "ip": "100/day", "ip_target": "2/day"}})
    issue = issue_create(report=Report(category=pothole, location=HEIDELBERG, answers={"size": "small"})).issue
    url = f"/api/v1/issues/{issue.reference}/follow"
    statuses = [client.post(url, {"email": f"person{n}@example.org"}, HTTP_X_CLIENT_ID=f"made-up-{n}").status_code
                for n in range(3)]
    assert statuses == [202, 202, 429]


def test_media_uploads_are_limited(client, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"media": {"client": "2/day", "ip": "10/day"}})
    answers = [client.post("/api/v1/photo-location", {}, HTTP_X_CLIENT_ID="phone-a") for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]  # each try counts, good or bad
    assert_refused(answers[2], "media per client", "2/day")


def open311_post(client, key: str, fmt: str = "json", address: str = "127.0.0.1"):
    data = {"api_key": key, "service_code": "pothole", "lat": str(HEIDELBERG.y), "long": str(HEIDELBERG.x),
            "attribute[size]": "large"}
    return client.post(f"/open311/v2/requests.{fmt}", data, REMOTE_ADDR=address)


def test_open311_posts_are_limited_per_api_key_and_per_address_in_open311s_own_format(client, pothole, lesedi,
                                                                                     imbizo_settings):
    ApiClient.objects.create(name="Lesedi app", key="app-key", municipality=lesedi)
    ApiClient.objects.create(name="Back office", key="office-key", municipality=lesedi)
    ApiClient.objects.create(name="Ward councillor app", key="ward-key", municipality=lesedi)
    imbizo_settings(RATE_LIMITS={"open311": {"client": "2/day", "ip": "4/day"}})
    assert [open311_post(client, "app-key").status_code for _ in range(2)] == [200, 200]
    refused = open311_post(client, "app-key")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    [error] = refused.json()
    assert error["code"] == 429 and "open311 per client" in error["description"]
    assert open311_post(client, "office-key").status_code == 200
    refused = open311_post(client, "office-key", fmt="xml")
    assert refused.status_code == 429 and b"<code>429</code>" in refused.content
    assert b"open311 per IP address" in refused.content
    assert open311_post(client, "ward-key", address="192.0.2.90").status_code == 200


def test_an_address_behind_a_proxy_is_believed_only_when_the_setting_says_so(client, pothole, imbizo_settings):
    imbizo_settings(RATE_LIMITS={"report": {"client": None, "ip": "1/day"}}, TRUSTED_PROXIES=0)
    assert report(client, pothole).status_code == 201
    spoofed = client.post("/api/v1/issues", json.dumps({"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x,
                                                        "answers": {"size": "large"}}),
                          content_type="application/json", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert spoofed.status_code == 429  # without trusted proxies the header is the client's own word
    imbizo_settings(TRUSTED_PROXIES=1)
    behind = client.post("/api/v1/issues", json.dumps({"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x,
                                                       "answers": {"size": "large"}}),
                         content_type="application/json", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert behind.status_code == 201
