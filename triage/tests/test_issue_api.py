"""The issues API as residents, reporters, dispatchers and department staff use it."""

import json

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point

from accounts.models import Department, User
from triage.intake.services import Report, issue_create
from triage.issues.models import Issue
from triage.tests.conftest import HEIDELBERG

REPORTER = {"name": "Sipho Reporter-Ndlovu", "phone": "+27831112233", "email": "sipho.private@example.org"}


def post_report(client, pothole, **overrides):
    body = {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x, "description": "Deep pothole",
            "answers": {"size": "large"}}
    body.update(overrides)
    headers = {}
    if "idempotency_key" in body:
        headers["HTTP_IDEMPOTENCY_KEY"] = body.pop("idempotency_key")
    return client.post("/api/v1/issues", json.dumps(body), content_type="application/json", **headers)


@pytest.mark.django_db
def test_report_returns_the_reference_at_once(client, pothole):
    response = post_report(client, pothole)
    assert response.status_code == 201, response.content
    body = response.json()
    issue = Issue.objects.get()
    assert body["reference"] == issue.reference
    assert response["Location"] == f"/api/v1/issues/{issue.reference}"
    assert body["ward"]["number"] == issue.ward.number
    assert body["status"] == "submitted" and body["tracking_key"] == issue.tracking_key
    assert issue.channel == "web"


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    ({"lat": "north"}, "lat", "valid number"),
    ({"lat": 95}, "lat", "less than or equal to 90"),
    ({"category": 999999}, "category", "No category has the id 999999"),
    ({"lat": -26.2041, "lon": 28.0473}, "location", "outside Lesedi"),
    ({"answers": {}}, "answers.size", "An answer is required"),
    ({"reporter_phone": "12"}, "reporter_phone", "is not a phone number"),
    ({"reporter_email": "not-an-email"}, "reporter_email", "valid email"),
    ({"channel": "staff"}, "channel", "Only municipal staff"),
    ({"channel": "pigeon"}, "channel", '"pigeon" is not a valid choice'),
    ({"category": "pothole"}, "category", "valid integer"),
    ({"lon": None}, "lon", "may not be null"),
    ({"answers": ["large"]}, "answers", "Expected a dictionary"),
    ({"description": {"text": "hole"}}, "description", "Not a valid string"),
    ({"media_url": "https://example.org/" + "p" * 200}, "media_url", "no more than 200 characters"),
    ({"media_url": "not a url"}, "media_url", "valid URL"),
])
def test_bad_reports_get_field_level_400s_and_file_nothing(client, pothole, overrides, field, fragment):
    response = post_report(client, pothole, **overrides)
    assert response.status_code == 400
    assert fragment in " ".join(response.json()[field])
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_every_bad_field_is_named_at_once(client, pothole):
    response = post_report(client, pothole, lat="north", lon=200, reporter_email="x@", answers=None)
    assert response.status_code == 400
    assert set(response.json()) == {"lat", "lon", "reporter_email", "answers"}
    missing = client.post("/api/v1/issues", json.dumps({}), content_type="application/json").json()
    assert missing["category"] == missing["lat"] == missing["lon"] == ["This field is required."]
    not_an_object = client.post("/api/v1/issues", json.dumps([1, 2]), content_type="application/json")
    assert not_an_object.status_code == 400 and "not list" in not_an_object.json()["non_field_errors"][0]


@pytest.mark.django_db
def test_a_signed_in_resident_gets_the_same_answers_as_an_anonymous_one(client, pothole, resident):
    bad = {"lat": "north", "reporter_email": "x@", "channel": "pigeon", "answers": {}}
    anonymous = post_report(client, pothole, **bad)
    broken_anonymous = client.post("/api/v1/issues", '{"category": 1,', content_type="application/json")
    client.force_login(resident)
    signed_in = post_report(client, pothole, **bad)
    broken_signed_in = client.post("/api/v1/issues", '{"category": 1,', content_type="application/json")
    assert anonymous.status_code == signed_in.status_code == 400
    assert anonymous.json() == signed_in.json()
    assert broken_anonymous.status_code == broken_signed_in.status_code == 400
    assert broken_anonymous.json() == broken_signed_in.json()
    assert broken_anonymous.json()["detail"].startswith("JSON parse error - ")
    filed = post_report(client, pothole)
    assert filed.status_code == 201 and Issue.objects.get().reporter == resident


@pytest.mark.django_db
def test_a_signed_in_report_still_needs_its_csrf_token(pothole, resident):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert post_report(browser, pothole).status_code == 201  # nobody signed in: no session to protect
    browser.force_login(resident)
    refused = post_report(browser, pothole)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert Issue.objects.filter(reporter=resident).count() == 0


@pytest.mark.django_db
def test_a_report_may_come_as_a_form(client, pothole):
    response = client.post("/api/v1/issues", {"category": pothole.pk, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x,
                                              "answers.size": "large"})
    assert response.status_code == 201, response.content
    assert Issue.objects.get().answers == {"size": "large"}


@pytest.mark.django_db
def test_idempotency_key_retry_returns_the_same_issue_over_http(client, pothole):
    first = post_report(client, pothole, idempotency_key="phone-7f3a")
    retry = post_report(client, pothole, idempotency_key="phone-7f3a")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["reference"] == retry.json()["reference"]
    other = post_report(client, pothole, idempotency_key="phone-7f3a", description="A different hole")
    assert other.status_code == 409
    assert Issue.objects.count() == 1



@pytest.mark.django_db
def test_a_question_added_in_the_admin_is_asked_of_the_next_report(client, pothole):
    assert post_report(client, pothole).status_code == 201  # the category is now kept by this process
    pothole.questions.create(code="lanes", prompt="How many lanes are blocked?", datatype="number", required=True)
    response = post_report(client, pothole)
    assert response.status_code == 400
    assert response.json()["answers.lanes"] == ["An answer is required: How many lanes are blocked?"]
    assert post_report(client, pothole, answers={"size": "large", "lanes": 2}).status_code == 201

@pytest.mark.django_db
def test_staff_log_issues_from_the_field(client, pothole, dispatcher):
    client.force_login(dispatcher)
    response = post_report(client, pothole, channel="staff")
    assert response.status_code == 201
    issue = Issue.objects.get()
    assert issue.channel == "staff" and issue.reporter == dispatcher


def file(category, **fields) -> Issue:
    fields.setdefault("answers", {"size": "small"})
    return issue_create(report=Report(category=category, location=fields.pop("location", HEIDELBERG), **fields)).issue


@pytest.mark.django_db
def test_list_pages_by_keyset_and_returns_every_issue_once(client, pothole):
    references = {file(pothole).reference for _ in range(7)}
    seen, after, pages = [], "", 0
    while True:
        response = client.get(f"/api/v1/issues?municipality=GT423&limit=3{after}")
        assert response["Content-Type"] == "application/geo+json"
        page = response.json()
        seen += [feature["id"] for feature in page["features"]]
        pages += 1
        if page["next"] is None:
            break
        after = f"&after={page['next']}"
    assert pages == 3
    assert sorted(seen) == sorted(references) and len(seen) == 7


@pytest.mark.django_db
def test_list_filters_by_status_and_bbox(client, pothole, dispatcher):
    far = file(pothole, location=Point(28.60, -26.30, srid=4326))
    near = file(pothole)
    from triage.issues.services import issue_transition

    issue_transition(issue=far, to_status="rejected", actor=dispatcher, public_note="Not ours.")
    open_ids = [f["id"] for f in client.get("/api/v1/issues?status=open").json()["features"]]
    assert open_ids == [near.reference]
    box = f"{HEIDELBERG.x - 0.01},{HEIDELBERG.y - 0.01},{HEIDELBERG.x + 0.01},{HEIDELBERG.y + 0.01}"
    assert [f["id"] for f in client.get(f"/api/v1/issues?bbox={box}").json()["features"]] == [near.reference]
    bad = client.get("/api/v1/issues?status=fixed")
    assert bad.status_code == 400 and "'fixed' is not a status" in bad.json()["status"][0]
    assert client.get("/api/v1/issues?bbox=1,2,3").status_code == 400


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_issues(client, pothole, django_assert_max_num_queries):
    for _ in range(30):
        file(pothole)
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/issues?limit=20").json()["features"]) == 20


@pytest.mark.django_db
def test_private_issues_hide_their_location_and_stay_off_the_map(client, private_category, pothole):
    hidden = file(private_category, address="12 Voortrekker Street", answers={"description-of-risk": "x"}
                  if private_category.questions.exists() else {})
    file(pothole)
    detail = client.get(f"/api/v1/issues/{hidden.reference}").json()
    assert detail["location"] is None and detail["address"] == "" and detail["location_hidden"]
    listed = [f["id"] for f in client.get("/api/v1/issues").json()["features"]]
    assert hidden.reference not in listed and len(listed) == 1


@pytest.mark.django_db
def test_no_reporter_personal_data_in_any_public_endpoint(client, pothole, resident, dispatcher):
    """Every public read, scanned as raw bytes for the reporters' names, phones, emails, ids."""
    anonymous = file(pothole, reporter_name=REPORTER["name"], reporter_phone=REPORTER["phone"],
                     reporter_email=REPORTER["email"], description="Deep")
    with_account = file(pothole, reporter=resident)
    from triage.issues.services import issue_comment_add, issue_transition

    issue_comment_add(issue=with_account, body="Still there", author=resident)
    issue_comment_add(issue=anonymous, body="Reporter's number is in the file", author=dispatcher, internal=True)
    issue_transition(issue=anonymous, to_status="acknowledged", actor=dispatcher, internal_note=REPORTER["phone"])

    urls = ["/api/v1/issues", "/api/v1/issues?municipality=GT423", "/api/v1/categories?municipality=GT423",
            f"/api/v1/issues/preview?category={pothole.pk}&lat={HEIDELBERG.y}&lon={HEIDELBERG.x}"]
    for issue in (anonymous, with_account):
        urls += [f"/api/v1/issues/{issue.reference}", f"/api/v1/issues/{issue.reference}/history",
                 f"/api/v1/issues/{issue.reference}/comments"]
    secrets = [REPORTER["name"], REPORTER["phone"], REPORTER["email"], "Sipho", resident.full_name, resident.email,
               resident.phone, "Thandi", anonymous.tracking_key, with_account.tracking_key]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, f"{secret!r} leaked by {url}"
        assert f'"user_id": {resident.pk}' not in body and '"reporter"' not in body
        assert "Reporter's number" not in body


@pytest.mark.django_db
def test_dispatcher_sees_reporter_contact_and_internal_notes(client, pothole, dispatcher):
    issue = file(pothole, reporter_name=REPORTER["name"], reporter_email=REPORTER["email"])
    client.force_login(dispatcher)
    from triage.issues.services import issue_comment_add

    issue_comment_add(issue=issue, body="Call before visiting", author=dispatcher, internal=True)
    detail = client.get(f"/api/v1/issues/{issue.reference}").json()
    assert detail["reporter"]["email"] == REPORTER["email"]
    assert [c["body"] for c in client.get(f"/api/v1/issues/{issue.reference}/comments").json()] == ["Call before visiting"]


def staff(lesedi, email, role, department=None) -> User:
    user = User.objects.create_user(email, "pw-staff-12", municipality=lesedi, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if department:
        user.departments.add(department)
    return user


def set_status(client, issue, status, **fields):
    return client.post(f"/api/v1/issues/{issue.reference}/status", {"status": status, **fields},
                       content_type="application/json")


@pytest.mark.django_db
def test_status_changes_follow_the_role(client, pothole, lesedi, roads, dispatcher):
    issue = file(pothole)
    assert set_status(client, issue, "acknowledged").status_code == 403  # anonymous

    worker = staff(lesedi, "worker@lesedi.example", "department staff", roads)
    outsider_department = Department.objects.create(municipality=lesedi, code="water", name="Water")
    other_worker = staff(lesedi, "water@lesedi.example", "department staff", outsider_department)

    client.force_login(worker)
    assert set_status(client, issue, "acknowledged").status_code == 403  # only dispatchers triage
    client.force_login(dispatcher)
    assert set_status(client, issue, "acknowledged").status_code == 200
    client.force_login(other_worker)
    assert set_status(client, issue, "in_progress").status_code == 403  # not their department
    client.force_login(worker)
    assert set_status(client, issue, "in_progress").status_code == 200
    response = set_status(client, issue, "closed")
    assert response.status_code == 403
    assert set_status(client, issue, "resolved").status_code == 200
    issue.refresh_from_db()
    assert issue.status == "resolved"


@pytest.mark.django_db
def test_illegal_transition_over_http_is_a_400_naming_status(client, pothole, dispatcher):
    issue = file(pothole)
    client.force_login(dispatcher)
    response = set_status(client, issue, "closed")
    assert response.status_code == 400
    assert "from submitted it may go to: acknowledged, duplicate, rejected" in response.json()["status"][0]


@pytest.mark.django_db
def test_reporter_confirms_or_reopens_a_resolved_issue_with_the_tracking_key(client, pothole, dispatcher):
    issue = file(pothole)
    Issue.objects.filter(pk=issue.pk).update(status="resolved")
    assert set_status(client, issue, "reopened", tracking_key="wrong").status_code == 403
    assert set_status(client, issue, "reopened", public_note="Still broken",
                      tracking_key=issue.tracking_key).status_code == 200
    history = client.get(f"/api/v1/issues/{issue.reference}/history").json()
    assert history[-1] == {"at": history[-1]["at"], "action": "status", "by": "Reporter", "from_status": "resolved",
                           "to_status": "reopened", "public_note": "Still broken"}


@pytest.mark.django_db
def test_rating_over_http(client, pothole):
    issue = file(pothole)
    url = f"/api/v1/issues/{issue.reference}/rating"
    assert client.post(url, {"stars": 5, "tracking_key": issue.tracking_key}).status_code == 400  # not resolved
    Issue.objects.filter(pk=issue.pk).update(status="resolved")
    assert client.post(url, {"stars": 5}).status_code == 403
    assert client.post(url, {"stars": 0, "tracking_key": issue.tracking_key}).status_code == 400
    assert client.post(url, {"stars": 5, "tracking_key": issue.tracking_key}).status_code == 201
    again = client.post(url, {"stars": 4, "tracking_key": issue.tracking_key})
    assert again.status_code == 400 and "already rated" in again.json()["stars"][0]


@pytest.mark.django_db
def test_me_too_and_follow_over_http(client, pothole, resident):
    issue = file(pothole)
    url = f"/api/v1/issues/{issue.reference}/upvote"
    assert client.post(url).status_code == 400  # no client id, not logged in
    assert client.post(url, HTTP_X_CLIENT_ID="device-1").json() == {"upvotes": 1, "counted": True}
    assert client.post(url, HTTP_X_CLIENT_ID="device-1").json() == {"upvotes": 1, "counted": False}
    follow = f"/api/v1/issues/{issue.reference}/follow"
    # By email: a confirmation link first (triage/tests/test_issue_follow.py), the same answer every time.
    assert client.post(follow, {"email": "neighbour@example.org"}).status_code == 202
    assert client.post(follow, {"email": "neighbour@example.org"}).status_code == 202
    assert client.post(follow, {}).status_code == 400
    client.force_login(resident)
    assert client.post(follow).status_code == 201
    assert client.post(follow).status_code == 200


@pytest.mark.django_db
def test_dispatcher_assigns_and_prioritises(client, pothole, dispatcher, lesedi):
    Department.objects.create(municipality=lesedi, code="water", name="Water and Sanitation")
    issue = file(pothole)
    url = f"/api/v1/issues/{issue.reference}/assignment"
    assert client.post(url, {"department": "water"}).status_code == 403
    client.force_login(dispatcher)
    assert client.post(url, {"department": "sewers"}).status_code == 400
    response = client.post(url, {"department": "water", "priority": "high"})
    assert response.status_code == 200
    assert (response.json()["department"], response.json()["priority"], response.json()["status"]) == (
        "Water and Sanitation", "high", "assigned")


@pytest.mark.django_db
def test_unknown_reference_is_a_404(client, pothole):
    assert client.get("/api/v1/issues/GT423-2026-999999").status_code == 404


@pytest.mark.django_db
def test_preview_shows_ward_and_outside(client, pothole):
    inside = client.get(f"/api/v1/issues/preview?category={pothole.pk}&lat={HEIDELBERG.y}&lon={HEIDELBERG.x}").json()
    assert inside["inside"] and inside["ward"]["number"] >= 1
    outside = client.get(f"/api/v1/issues/preview?category={pothole.pk}&lat=-26.2&lon=28.04").json()
    assert not outside["inside"] and "outside Lesedi" in outside["message"]
    assert client.get("/api/v1/issues/preview?category=x&lat=1&lon=1").status_code == 400


@pytest.mark.django_db
def test_track_page_progress_marks_skipped_steps(client, pothole, dispatcher):
    """Acknowledged, then straight to in progress: 'assigned' is shown as passed, not as done."""
    from triage.issues.services import issue_transition

    issue = file(pothole)
    issue_transition(issue=issue, to_status="acknowledged", actor=dispatcher)
    issue_transition(issue=issue, to_status="in_progress", actor=dispatcher)
    page = client.get(f"/track/{issue.reference}/").content.decode()
    steps = page[page.index('id="progress"'):page.index("</ol>", page.index('id="progress"'))]
    states = [chunk.split('"')[0] for chunk in steps.split('<li class="step-')[1:]]
    assert states == ["done", "done", "skipped", "current", "todo", "todo"]


@pytest.mark.django_db
def test_the_category_list_takes_the_same_queries_however_many_categories_snap_to_assets(
        client, pothole, streetlight_out, streetlights, lesedi, django_assert_max_num_queries):
    from triage.issues.models import Category

    for number in range(5):
        Category.objects.create(municipality=lesedi, code=f"light-{number}", name=f"Light {number}",
                                asset_type=streetlights)
    with django_assert_max_num_queries(2):  # the categories with their asset types, then their questions
        response = client.get("/api/v1/categories?municipality=GT423")
    snapping = [c for c in response.json() if c["snaps_to"] == "Streetlight"]
    assert len(snapping) == 6
