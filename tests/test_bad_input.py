"""Input no endpoint can use is a 400 naming where it was, in the format of the interface asked, never
a 500: NUL characters in a path or parameter (toolkit.middleware), time zone offsets PostgreSQL cannot
store (toolkit.params.parse_datetime), JSON nested too deep or holding NUL (toolkit.api.JSONParser),
more fields than Django reads. Errors no view answered come in the interface's format too
(toolkit.errors), and a database that does not answer is a 503 with Retry-After."""

import json
import socket
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.test import Client

from accounts.models import User
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Question
from triage.open311.models import ApiClient
from wards.models import Municipality

API_KEY = "key-bad-input-0001"


@pytest.fixture
def world(db):
    """A municipality drawn as a small box, a category with one question, an issue, a dispatcher and an
    Open311 key: enough for every interface to reach its views."""
    municipality = Municipality.objects.create(code="AA001", name="Here",
                                               boundary=MultiPolygon(Polygon.from_bbox((28.0, -26.0, 28.1, -25.9)),
                                                                     srid=4326))
    category = Category.objects.create(municipality=municipality, code="pothole", name="Pothole")
    Question.objects.create(category=category, code="size", prompt="How big?", datatype="string")
    Question.objects.create(category=category, code="depth", prompt="How deep, in cm?", datatype="number")
    Question.objects.create(category=category, code="where", prompt="Where on the road?", datatype="multivaluelist",
                            choices=[{"key": "lane", "name": "In a lane"}, {"key": "verge", "name": "On the verge"}])
    issue = issue_create(report=Report(category=category, location=Point(28.05, -25.95, srid=4326),
                                       description="Deep")).issue
    dispatcher = User.objects.create_user("dispatch@here.example", None, municipality=municipality,
                                          is_staff=True)
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))
    ApiClient.objects.create(name="Back office", key=API_KEY, municipality=municipality, may_post_updates=True)
    return {"municipality": municipality, "category": category, "issue": issue, "dispatcher": dispatcher}


def staff(world) -> Client:
    client = Client()
    client.force_login(world["dispatcher"])
    return client


def open311_errors(response, fmt: str) -> list[str]:
    if fmt == "json":
        return [error["description"] for error in response.json()]
    return [error.findtext("description") for error in ET.fromstring(response.content)]


# --- NUL characters ------------------------------------------------------------------------------

# Each of these answered 500 before: the parameter (or the path) carrying %00, and where it is named.
NUL_IN_QUERY = [
    ("/api/v1/wards/?municipality=AA001%00", "municipality"),
    ("/api/v1/facilities/nearest?lat=-25.95&lon=28.05&type=B%00", "type"),
    ("/api/v1/facilities/?municipality=AA001&type=clinic%00", "type"),
    ("/api/v1/assets/nearest?lat=-25.95&lon=28.05&type=streetlight%00&municipality=AA001", "type"),
    ("/api/v1/categories?municipality=AA001%00", "municipality"),
    ("/api/v1/issues?category=pothole%00", "category"),
    ("/api/v1/issues/clusters?municipality=AA001%00", "municipality"),
    ("/api/v1/board/issues?q=deep%00", "q"),
    ("/api/v1/board/summary?municipality=AA001%00", "municipality"),
    ("/api/v1/issues?na%00me=1", "na%00me"),
]
NUL_IN_PATH = ["/api/v1/issues/AA001-2026-000001%00", "/api/v1/issues/AA001-2026-000001%00/history",
               "/api/v1/issues/preview%00"]
NUL_ON_PAGES = ["/m/AA001%00/report/", "/m/AA001%00/issues/", "/m/AA001%00/near/", "/m/AA001%00/",
                "/track/AA001-2026-000001%00/", "/track/?reference=AA001-2026-000001%00", "/board/AA001%00/",
                "/m/AA001%00/planning/"]


@pytest.mark.parametrize(("url", "named"), NUL_IN_QUERY)
def test_nul_in_a_query_parameter_is_a_400_naming_it(world, url, named):
    response = staff(world).get(url)
    assert response.status_code == 400
    assert list(response.json()) == [named]
    assert "NUL" in response.json()[named][0]


@pytest.mark.parametrize("url", NUL_IN_PATH)
def test_nul_in_an_api_path_is_a_400_in_json(world, url):
    response = staff(world).get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["path"][0]


@pytest.mark.parametrize("url", NUL_ON_PAGES)
def test_nul_on_a_page_is_a_400(world, url):
    response = staff(world).get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_nul_in_ogc_tiles_and_downloads_is_a_400_in_their_json(world):
    client = staff(world)
    for url, named in [("/ogc/collections/issues/items?status=submitted%00", "status"),
                       ("/layers/project.qgs?municipality=AA001%00", "municipality"),
                       ("/tiles/issues%00/14/9000/9000.mvt", "path")]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["code"] == "InvalidParameterValue"
        assert f"'{named}'" in response.json()["description"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_nul_in_open311_is_a_400_in_open311s_format(world, fmt):
    client = Client()
    response = client.get(f"/open311/v2/requests/AA001-2026-000001%00.{fmt}")
    assert response.status_code == 400
    assert open311_errors(response, fmt) == ["path: contains a NUL character (%00), which is never valid."]
    response = client.post(f"/open311/v2/requests.{fmt}", {"api_key": API_KEY, "service_code": "pothole",
                                                          "lat": "-25.95", "long": "28.05", "description": "a\x00b"})
    assert response.status_code == 400
    assert open311_errors(response, fmt) == ["description: contains a NUL character (%00), which is never valid."]
    assert world["category"].issues.count() == 1


# --- time zone offsets ---------------------------------------------------------------------------

BEYOND = "2026-01-01T00:00:00+16:00"
AT_THE_EDGE = "2026-01-01T00:00:00+15:59"


@pytest.mark.parametrize(("url", "parameter"), [
    ("/api/v1/issues", "updated_since"),
    ("/api/v1/board/issues", "updated_since"),
])
def test_an_offset_postgresql_cannot_store_is_a_400_in_the_rest_api(world, url, parameter):
    client = staff(world)
    for offset in (BEYOND, BEYOND.replace("+", "-"), "2026-01-01T00:00:00+23:59"):
        response = client.get(url, {parameter: offset})
        assert response.status_code == 400, offset
        assert "offset" in response.json()[parameter][0]
    assert client.get(url, {parameter: AT_THE_EDGE}).status_code == 200


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_offset_postgresql_cannot_store_is_a_400_in_open311(world, fmt):
    client = Client()
    for parameter in ("start_date", "end_date"):
        response = client.get(f"/open311/v2/requests.{fmt}", {parameter: BEYOND})
        assert response.status_code == 400
        (description,) = open311_errors(response, fmt)
        assert description.startswith(f"{parameter}: ") and "offset" in description
    assert client.get(f"/open311/v2/requests.{fmt}", {"start_date": AT_THE_EDGE}).status_code == 200
    update = client.post(f"/open311/v2/servicerequestupdates.{fmt}", {
        "api_key": API_KEY, "service_request_id": world["issue"].reference, "update_id": "u1", "status": "OPEN",
        "updated_datetime": "2026-01-01T00:00:00-16:00"})
    assert update.status_code == 400
    assert "offset" in open311_errors(update, fmt)[0]


def test_an_offset_postgresql_cannot_store_is_a_400_in_ogc_api(world):
    url = "/ogc/collections/issues/items"
    for value in (BEYOND, f"{BEYOND}/..", f"../{BEYOND}"):
        response = Client().get(url, {"datetime": value})
        assert response.status_code == 400, value
        assert "'datetime'" in response.json()["description"] and "offset" in response.json()["description"]
    assert Client().get(url, {"datetime": f"{AT_THE_EDGE}/.."}).status_code == 200


# --- JSON bodies ---------------------------------------------------------------------------------

def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
@pytest.mark.parametrize("url", ["/api/v1/issues", "/api/v1/board/actions", "/api/v1/issues/{reference}/comments",
                                 "/api/v1/issues/{reference}/status"])
def test_json_nested_too_deep_is_a_400(world, url, depth):
    body = '{"answers": ' + nested(depth) + "}"
    response = staff(world).post(url.format(reference=world["issue"].reference), body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["body"][0]


def test_a_nul_character_in_json_is_a_400_naming_where_it_is(world):
    client = Client()
    for answers, named in [({"size": "big\x00"}, "answers.size"), ({"si\x00ze": "big"}, "answers.si\\u0000ze")]:
        body = {"category": world["category"].pk, "lat": -25.95, "lon": 28.05, "answers": answers}
        response = client.post("/api/v1/issues", json.dumps(body), content_type="application/json")
        assert response.status_code == 400
        assert list(response.json()) == [named]
    assert world["category"].issues.count() == 1
    body = {"category": world["category"].pk, "lat": -25.95, "lon": 28.05, "answers": {"size": "big"}}
    assert client.post("/api/v1/issues", json.dumps(body), content_type="application/json").status_code == 201


# --- error bodies stay small ----------------------------------------------------------------------

def test_a_report_with_150000_answers_is_refused_in_a_short_answer(world):
    body = {"category": world["category"].pk, "lat": -25.95, "lon": 28.05,
            "answers": {f"k{number}": 1 for number in range(150_000)}}
    response = Client().post("/api/v1/issues", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"answers": ["At most 100 answers are taken, not 150,000."]}
    assert world["category"].issues.count() == 1


def test_at_most_20_field_errors_are_listed_then_how_many_more(world):
    body = {"category": world["category"].pk, "lat": -25.95, "lon": 28.05,
            "answers": {f"unknown-{number:02}": "x" for number in range(60)}}
    errors = Client().post("/api/v1/issues", json.dumps(body), content_type="application/json").json()
    assert len(errors) == 21
    assert errors["more_errors"] == ["…and 40 more fields with errors, not listed."]
    assert errors["answers.unknown-00"] == ["'Pothole' asks no question 'unknown-00'."]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_open311_error_quoting_a_huge_value_is_cut(world, fmt):
    fields = {"api_key": API_KEY, "service_code": "pothole", "lat": "-25.95", "long": "28.05", "email": "@" * 1_000_000}
    response = Client().post(f"/open311/v2/requests.{fmt}", fields)
    assert response.status_code == 400
    (description,) = open311_errors(response, fmt)
    assert description.startswith("email: '@@@") and len(description) == 1001


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_at_most_20_open311_errors_are_listed_then_how_many_more(world, fmt):
    fields = {"api_key": API_KEY, "service_code": "pothole", "lat": "-25.95", "long": "28.05",
              **{f"attribute[unknown-{number:02}]": "x" for number in range(60)}}
    response = Client().post(f"/open311/v2/requests.{fmt}", fields)
    assert response.status_code == 400
    descriptions = open311_errors(response, fmt)
    assert len(descriptions) == 21 and descriptions[-1] == "…and 40 more errors, not listed."
    assert descriptions[0] == "attribute[unknown-00]: 'Pothole' asks no question 'unknown-00'."


@pytest.mark.parametrize("answers", [{"x" * 1_000_000: "x"}, {"depth": "9x" * 500_000}, {"where": ["lane"] * 100_000},
                                     {"where": ["x" * 1_000_000]}])
def test_a_huge_answer_is_not_echoed_whole(world, answers):
    body = {"category": world["category"].pk, "lat": -25.95, "lon": 28.05, "answers": answers}
    response = Client().post("/api/v1/issues", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert len(response.content) < 500, response.content[:200]


# --- errors no view answered ---------------------------------------------------------------------

def test_an_unknown_path_is_a_404_in_the_interfaces_format(world):
    client = Client()
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "/api/v1/no-such-thing" in response.json()["detail"]
    for url in ("/ogc/no-such-thing", "/tiles/no-such-thing", "/layers/no-such-thing"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "NotFound", url
    assert client.get("/no-such-page/").status_code == 404
    assert "html" in client.get("/no-such-page/")["Content-Type"]


def test_an_uncaught_error_is_a_500_in_json_on_the_api(world, monkeypatch):
    from triage.issues.api import CategoryListView

    def broken(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(CategoryListView, "get", broken)
    response = Client(raise_request_exception=False).get("/api/v1/categories", {"municipality": "AA001"})
    assert response.status_code == 500
    assert "logged" in response.json()["detail"]
    assert "a bug" not in response.content.decode()


@pytest.mark.parametrize(("url", "fmt"), [("/api/v1/issues", "rest"), ("/open311/v2/requests.json", "open311")])
def test_more_fields_than_django_reads_is_a_400_in_the_interfaces_format(world, url, fmt):
    fields = {f"field{number}": "x" for number in range(1001)}
    response = Client().post(url, fields)
    assert response.status_code == 400
    message = response.json()["detail"] if fmt == "rest" else response.json()[0]["description"]
    assert message == "Too many fields in one request."


# --- the database away ---------------------------------------------------------------------------

def closed_port() -> int:
    """A port nothing listens on: bound by the system, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_away(django_db_setup, django_db_blocker):
    """The test database's connection pointed at a closed port: every query fails to connect, as when
    the database is down. No other database is reached: nothing listens there."""
    with django_db_blocker.unblock():
        connection.close()
        saved = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", closed_port()
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["HOST"], connection.settings_dict["PORT"] = saved


def test_with_the_database_away_each_interface_answers_503_with_retry_after(database_away):
    client = Client(raise_request_exception=False)
    checks = {
        "/api/v1/categories?municipality=AA001": lambda r: "database" in r.json()["detail"],
        "/api/v1/issues": lambda r: "database" in r.json()["detail"],
        "/ogc/collections/issues/items": lambda r: r.json()["code"] == "ServiceUnavailable",
        "/tiles/issues/14/9000/9000.mvt": lambda r: r.json()["code"] == "ServiceUnavailable",
        "/open311/v2/services.json": lambda r: r.json()[0]["code"] == 503,
        "/open311/v2/services.xml": lambda r: ET.fromstring(r.content).findtext("error/code") == "503",
        "/m/AA001/issues/": lambda r: "try again" in r.content.decode(),
    }
    for url, answers_in_its_format in checks.items():
        response = client.get(url)
        assert response.status_code == 503, url
        assert response["Retry-After"] == "30"
        assert answers_in_its_format(response), url
    response = client.post("/api/v1/issues", json.dumps({"category": 1, "lat": -25.95, "lon": 28.05}),
                           content_type="application/json")
    assert response.status_code == 503 and "database" in response.json()["detail"]
