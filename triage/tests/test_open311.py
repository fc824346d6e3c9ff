"""Open311 GeoReport v2 at /open311/v2/, end to end through the URLs, in XML and JSON: the
official JSON schemas, XML element names, time zones, the 90-day window and paging, filing with
attributes, back-office updates, every error answer, and no reporter details anywhere."""

import datetime
import json
import uuid
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from referencing import Registry
from referencing.jsonschema import DRAFT7

from toolkit.conf import imbizo_setting, shared_data_dir
from triage.intake.services import Report, issue_create
from triage.issues.models import Category, Channel, Issue, IssueEvent, Question
from triage.issues.services import issue_comment_add, issue_transition
from triage.issues.workflow import Status
from triage.open311.models import ApiClient
from triage.tests.conftest import HEIDELBERG
from wards.models import Municipality

ROOT = "/open311/v2/"
FORMATS = ["xml", "json"]
SAST = datetime.timedelta(hours=2)  # Lesedi's offset (Africa/Johannesburg, no daylight saving)

# What a reporter sends that must never come back out.
PII = {
    "first_name": "Nomvula",
    "last_name": "Zwane-Mokoenasecret",
    "phone": "082 555 0199",
    "email": "nomvula.private@example.org",
    "account_id": "acct-778899-secret",
    "device_id": "device-4455-secret",
}
PII_VALUES = [*PII.values(), "+27825550199", "0825550199", "Nomvula Zwane-Mokoenasecret"]

SPEC_REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                       "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                       "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
SPEC_SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def open311_schemas():
    directory = shared_data_dir() / "open311-schema"
    if not directory.is_dir():
        pytest.skip(f"the Open311 JSON schemas are not at {directory} (set IMBIZO_SHARED_DATA to validate against them)")
    contents = {path.name: json.loads(path.read_text()) for path in directory.glob("*.json") if path.name != "swagger.json"}
    # The schemas declare no $schema and point at each other by file name ("$ref": "request.json").
    registry = Registry().with_resources((name, DRAFT7.create_resource(schema)) for name, schema in contents.items())

    def validate(data, name: str):
        jsonschema.Draft7Validator(contents[name], registry=registry).validate(data)

    return validate


def url(path: str, fmt: str | None) -> str:
    return f"{ROOT}{path}.{fmt}" if fmt else f"{ROOT}{path}"


def parsed(response, fmt: str):
    """The body as Python data (JSON) or an Element (XML), after checking the content type and,
    for XML, the declaration and the absence of a namespace."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.content)
    assert not any(element.tag.startswith("{") for element in root.iter()), "no namespace"
    return root


def errors_of(response, fmt: str, status: int) -> list[str]:
    """The error descriptions, after checking the error body's shape in either format."""
    assert response.status_code == status, response.content
    body = parsed(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and body
        assert all(set(error) == {"code", "description"} and error["code"] == status for error in body)
        return [error["description"] for error in body]
    assert body.tag == "errors"
    assert [child.tag for child in body] == ["error"] * len(body) and len(body) >= 1
    for error in body:
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(status)
    return [error.findtext("description") for error in body]


def requests_of(response, fmt: str) -> list[dict]:
    """Service requests as dicts in either format (XML text values, None for empty elements)."""
    assert response.status_code == 200, response.content
    body = parsed(response, fmt)
    if fmt == "json":
        return body
    assert body.tag == "service_requests"
    assert all(child.tag == "request" for child in body)
    return [{child.tag: child.text if len(child) == 0 else child for child in request} for request in body]


def assert_local_time(value: str, offset: datetime.timedelta = SAST) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(value)
    assert moment.tzinfo is not None, f"{value} has no time zone"
    assert moment.utcoffset() == offset
    return moment


def file_issue(category, *, now=None, location=HEIDELBERG, **fields) -> Issue:
    fields.setdefault("answers", {"size": "small"} if category.code == "pothole" else {})
    return issue_create(report=Report(category=category, location=location, **fields), now=now).issue


@pytest.fixture
def app_client(lesedi):
    return ApiClient.objects.create(name="Lesedi app", key="app-key-5f2c", municipality=lesedi)


@pytest.fixture
def back_office(lesedi):
    return ApiClient.objects.create(name="Roads back office", key="back-office-key-91ab", municipality=lesedi,
                                    may_post_updates=True)


@pytest.fixture
def dumping(lesedi):
    category = Category.objects.create(municipality=lesedi, code="illegal-dumping", name="Illegal dumping",
                                       group="Waste", keywords="rubbish, tyres", sla_hours=168)
    Question.objects.create(category=category, code="waste-types", prompt="What was dumped?", datatype="multivaluelist",
                            choices=[{"key": "household", "name": "Household refuse"}, {"key": "tyres", "name": "Tyres"},
                                     {"key": "garden", "name": "Garden waste"}], order=2)
    Question.objects.create(category=category, code="blocking", prompt="Is it blocking the road?", datatype="yesno",
                            order=1)
    return category


def post_request(client, fmt="json", *, key="app-key-5f2c", headers=None, **fields):
    data = {"api_key": key, "service_code": "pothole", "lat": str(HEIDELBERG.y), "long": str(HEIDELBERG.x),
            "attribute[size]": "small", **fields}
    return client.post(url("requests", fmt), {name: value for name, value in data.items() if value is not None},
                       headers=headers)


# --- discovery and services ------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_both_formats(client, pothole, fmt):
    response = client.get(url("discovery", fmt))
    assert response.status_code == 200
    body = parsed(response, fmt)
    if fmt == "xml":
        assert body.tag == "discovery"
        assert [child.tag for child in body] == ["changeset", "contact", "key_service", "endpoints"]
        endpoint = body.find("endpoints/endpoint")
        assert [child.tag for child in endpoint] == ["specification", "url", "changeset", "type", "formats"]
        assert [format_.text for format_ in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
        assert endpoint.findtext("url") == "http://testserver/open311/v2"
    else:
        assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
        (endpoint,) = body["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["type"] == "production"
        assert "Lesedi" in body["contact"]


@pytest.mark.django_db
def test_services_list_in_json_matches_the_schema(client, pothole, streetlight_out, private_category, dumping,
                                                  open311_schemas):
    Category.objects.create(municipality=pothole.municipality, code="retired", name="Retired", is_active=False)
    response = client.get(url("services", "json"))
    services = parsed(response, "json")
    open311_schemas(services, "services.json")
    for service in services:
        open311_schemas(service, "service.json")
    by_code = {service["service_code"]: service for service in services}
    assert set(by_code) == {"pothole", "streetlight-out", "unsafe-premises", "illegal-dumping"}
    assert by_code["pothole"] == {"service_code": "pothole", "service_name": "Pothole", "description": None,
                                  "metadata": True, "type": "realtime", "keywords": None, "group": "Roads"}
    assert by_code["streetlight-out"]["metadata"] is False
    assert by_code["illegal-dumping"]["keywords"] == "rubbish, tyres"


@pytest.mark.django_db
def test_services_list_in_xml_has_the_spec_elements(client, pothole, streetlight_out):
    body = parsed(client.get(url("services", "xml")), "xml")
    assert body.tag == "services"
    assert [child.tag for child in body] == ["service", "service"]
    for service in body:
        assert [child.tag for child in service] == SPEC_SERVICE_FIELDS
    pothole_element = next(service for service in body if service.findtext("service_code") == "pothole")
    assert pothole_element.findtext("metadata") == "true"
    assert pothole_element.findtext("type") == "realtime"
    assert pothole_element.find("description").text is None  # empty element for "none"


@pytest.mark.django_db
def test_a_url_without_a_format_suffix_answers_in_xml(client, pothole):
    response = client.get(url("services", None))
    assert parsed(response, "xml").tag == "services"


@pytest.mark.django_db
def test_service_definition_in_json_matches_the_schema(client, pothole, dumping, open311_schemas):
    definition = parsed(client.get(url("services/pothole", "json")), "json")
    open311_schemas(definition, "service-definition.json")
    # Both questions have order 0: by code, and numbered from 1 as the spec wants.
    assert definition == {"service_code": "pothole", "attributes": [
        {"variable": True, "code": "depth", "datatype": "number", "required": False, "datatype_description": None,
         "order": 1, "description": "Depth in cm"},
        {"variable": True, "code": "size", "datatype": "singlevaluelist", "required": True, "datatype_description": None,
         "order": 2, "description": "How big is it?",
         "values": [{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}]},
    ]}
    dumping_definition = parsed(client.get(url("services/illegal-dumping", "json")), "json")
    open311_schemas(dumping_definition, "service-definition.json")
    blocking, waste = dumping_definition["attributes"]
    # yes/no is a singlevaluelist of yes and no to Open311.
    assert (blocking["code"], blocking["datatype"], blocking["values"]) == (
        "blocking", "singlevaluelist", [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}])
    assert (waste["code"], waste["datatype"], waste["order"]) == ("waste-types", "multivaluelist", 2)


@pytest.mark.django_db
def test_service_definition_in_xml_has_the_spec_elements(client, pothole):
    body = parsed(client.get(url("services/pothole", "xml")), "xml")
    assert body.tag == "service_definition"
    assert [child.tag for child in body] == ["service_code", "attributes"]
    depth, size = body.findall("attributes/attribute")
    assert [child.tag for child in size] == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                             "description", "values"]
    assert [(value.findtext("key"), value.findtext("name")) for value in size.findall("values/value")] == [
        ("small", "Small"), ("large", "Large")]
    assert (size.findtext("variable"), size.findtext("required"), size.findtext("order")) == ("true", "true", "2")
    assert depth.find("values") is None


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404(client, pothole, fmt):
    (description,) = errors_of(client.get(url("services/no-such-thing", fmt)), fmt, 404)
    assert "no-such-thing" in description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_jurisdiction_is_404(client, pothole, fmt):
    for path in ("services", "services/pothole", "requests"):
        (description,) = errors_of(client.get(url(path, fmt), {"jurisdiction_id": "XX999"}), fmt, 404)
        assert "XX999" in description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_selects_the_municipality_and_is_required_when_several_serve(client, pothole, fmt):
    drakenstein = Municipality.objects.create(code="WC023", name="Drakenstein")
    Category.objects.create(municipality=drakenstein, code="water-leak", name="Water leak")
    (description,) = errors_of(client.get(url("services", fmt)), fmt, 400)
    assert "jurisdiction_id" in description and "GT423" in description and "WC023" in description

    response = client.get(url("services", "json"), {"jurisdiction_id": "WC023"})
    assert [service["service_code"] for service in parsed(response, "json")] == ["water-leak"]
    response = client.get(url("services", "json"), {"jurisdiction_id": "gt423"})
    assert [service["service_code"] for service in parsed(response, "json")] == ["pothole"]
    errors_of(client.get(url("services/pothole", fmt), {"jurisdiction_id": "WC023"}), fmt, 404)


# --- filing a request ------------------------------------------------------------------------

@pytest.mark.django_db
def test_post_files_the_request_and_answers_with_its_id_in_json(client, pothole, app_client):
    response = post_request(client, "json", description="Deep hole by the taxi rank", address_string="Voortrekker St",
                            media_url="https://photos.example.org/p/1.jpg", **PII, **{"attribute[depth]": "15"})
    assert response.status_code == 200, response.content
    (answer,) = parsed(response, "json")
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}  # an id, so never a token
    assert answer["account_id"] is None
    assert answer["service_notice"] == "Lesedi aims to resolve this kind of report within 3 days."
    issue = Issue.objects.get(reference=answer["service_request_id"])
    assert issue.reference.startswith("GT423-")
    assert issue.channel == Channel.API
    assert issue.category == pothole
    assert (issue.reporter_name, issue.reporter_phone, issue.reporter_email) == (
        "Nomvula Zwane-Mokoenasecret", "+27825550199", "nomvula.private@example.org")
    assert issue.answers == {"size": "small", "depth": 15}
    assert (issue.address, issue.description, issue.media_url) == (
        "Voortrekker St", "Deep hole by the taxi rank", "https://photos.example.org/p/1.jpg")
    assert issue.location.equals_exact(HEIDELBERG, tolerance=1e-9)
    assert issue.ward.number == 8  # by the Demarcation Board's polygons (checked with shapely)


@pytest.mark.django_db
def test_post_answers_in_xml(client, pothole, app_client):
    body = parsed(post_request(client, "xml"), "xml")
    assert body.tag == "service_requests"
    (request,) = body
    assert request.tag == "request"
    assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.find("account_id").text is None
    assert Issue.objects.filter(reference=request.findtext("service_request_id")).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("key", "expected"), [(None, "api_key is required"), ("", "api_key is required"),
                                               ("wrong-key", "Invalid api_key"), ("retired-key", "Invalid api_key")])
def test_post_without_a_valid_api_key_is_403(client, pothole, app_client, fmt, key, expected):
    ApiClient.objects.create(name="Old app", key="retired-key", is_active=False)
    (description,) = errors_of(post_request(client, fmt, key=key), fmt, 403)
    assert expected in description
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_an_api_key_of_another_municipality_may_not_file_here(client, pothole):
    drakenstein = Municipality.objects.create(code="WC023", name="Drakenstein")
    ApiClient.objects.create(name="Drakenstein app", key="wc023-key", municipality=drakenstein)
    (description,) = errors_of(post_request(client, "json", key="wc023-key", jurisdiction_id="GT423"), "json", 403)
    assert "WC023 only" in description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_to_an_unknown_service_is_404(client, pothole, app_client, fmt):
    (description,) = errors_of(post_request(client, fmt, service_code="volcano"), fmt, 404)
    assert "volcano" in description


BAD_POSTS = [
    ({"service_code": None}, "service_code is required"),
    ({"lat": "abc"}, "lat: 'abc' is not a number"),
    ({"lat": "91"}, "lat: 91 is outside the range -90 to 90"),
    ({"long": "nan"}, "long: nan is outside"),
    ({"long": None}, "long is missing"),
    ({"lat": None, "long": None}, "A location is required"),
    ({"lat": None, "long": None, "address_string": "12 Voortrekker St, Heidelberg"}, "geocoding"),
    ({"lat": None, "long": None, "address_id": "ERF-1234"}, "geocoding"),
    ({"lat": "-26.2041", "long": "28.0473"}, "outside Lesedi"),
    ({"attribute[size]": "huge"}, "attribute[size]: 'huge' is not one of: small, large"),
    ({"attribute[size]": None}, "attribute[size]: An answer is required"),
    ({"attribute[colour]": "red"}, "attribute[colour]: 'Pothole' asks no question 'colour'"),
    ({"attribute[depth]": "deep"}, "attribute[depth]: 'deep' is not a number"),
    ({"attribute": "small"}, "'attribute' is not an attribute parameter"),
    ({"phone": "12"}, "phone: '12' is not a phone number"),
    ({"email": "not-an-address"}, "email: 'not-an-address' is not an email address"),
    ({"media_url": "javascript:alert(1)"}, "media_url"),
    ({"description": "x" * 4001}, "description: at most 4000 characters"),
    ({"description": "nul\x00byte"}, "description: contains a NUL character"),
    ({"jurisdiction_id": ""}, None),  # empty is the same as absent: filed
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "expected"), BAD_POSTS)
def test_bad_posts_are_400_naming_the_parameter(client, pothole, app_client, fields, expected):
    response = post_request(client, "json", **fields)
    if expected is None:
        assert response.status_code == 200
        return
    descriptions = errors_of(response, "json", 400)
    assert any(expected in description for description in descriptions), descriptions
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_bad_posts_are_400_in_xml_too_with_one_error_per_problem(client, pothole, app_client):
    descriptions = errors_of(post_request(client, "xml", **{"attribute[size]": "huge", "attribute[depth]": "deep"}),
                             "xml", 400)
    assert sorted(descriptions) == ["attribute[depth]: 'deep' is not a number.",
                                    "attribute[size]: 'huge' is not one of: small, large."]


@pytest.mark.django_db
def test_multivaluelist_answers_round_trip(client, dumping, app_client):
    response = client.post(url("requests", "json"), {
        "api_key": "app-key-5f2c", "service_code": "illegal-dumping", "lat": HEIDELBERG.y, "long": HEIDELBERG.x,
        "attribute[waste-types][]": ["tyres", "garden"], "attribute[blocking]": "yes",
    })
    (answer,) = parsed(response, "json")
    issue = Issue.objects.get(reference=answer["service_request_id"])
    assert issue.answers == {"waste-types": ["tyres", "garden"], "blocking": "yes"}

    # One value sent as a list is still a list; a single-value question sent with [] is one value.
    response = client.post(url("requests", "json"), {
        "api_key": "app-key-5f2c", "service_code": "illegal-dumping", "lat": HEIDELBERG.y, "long": HEIDELBERG.x,
        "attribute[waste-types][]": "household", "attribute[blocking][]": "no",
    })
    issue = Issue.objects.get(reference=parsed(response, "json")[0]["service_request_id"])
    assert issue.answers == {"waste-types": ["household"], "blocking": "no"}

    response = client.post(url("requests", "json"), {
        "api_key": "app-key-5f2c", "service_code": "illegal-dumping", "lat": HEIDELBERG.y, "long": HEIDELBERG.x,
        "attribute[waste-types][]": ["tyres", "asbestos"],
    })
    (description,) = errors_of(response, "json", 400)
    assert "attribute[waste-types]: asbestos not among" in description
    response = client.post(url("requests", "json"), {
        "api_key": "app-key-5f2c", "service_code": "illegal-dumping", "lat": HEIDELBERG.y, "long": HEIDELBERG.x,
        "attribute[blocking][]": ["yes", "no"],
    })
    (description,) = errors_of(response, "json", 400)
    assert "attribute[blocking]: one value only" in description


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["requests", "servicerequestupdates"])
def test_a_post_that_is_not_form_encoded_is_400(client, pothole, app_client, path):
    response = client.post(url(path, "json"), json.dumps({"api_key": "app-key-5f2c", "service_code": "pothole"}),
                           content_type="application/json")
    (description,) = errors_of(response, "json", 400)
    assert "form-encoded" in description and "application/json" in description


@pytest.mark.django_db
def test_an_idempotency_key_returns_the_request_filed_before(client, pothole, app_client):
    first = post_request(client, "json", headers={"Idempotency-Key": "retry-1"})
    again = post_request(client, "json", headers={"Idempotency-Key": "retry-1"})
    assert parsed(first, "json")[0]["service_request_id"] == parsed(again, "json")[0]["service_request_id"]
    assert Issue.objects.count() == 1


# --- reading requests ------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_request_in_json_matches_the_schema_with_local_time_zone(client, pothole, app_client, open311_schemas):
    reference = parsed(post_request(client, "json", description="Hole", address_string="Voortrekker St",
                                    media_url="https://photos.example.org/p/1.jpg"), "json")[0]["service_request_id"]
    body = parsed(client.get(url(f"requests/{reference}", "json")), "json")
    open311_schemas(body, "requests.json")
    (request,) = body
    open311_schemas(request, "request.json")
    assert list(request) == SPEC_REQUEST_FIELDS
    assert request["service_request_id"] == reference
    assert (request["status"], request["service_code"], request["service_name"]) == ("open", "pothole", "Pothole")
    assert request["agency_responsible"] == "Roads and Stormwater"
    assert request["lat"] == round(HEIDELBERG.y, 6) and request["long"] == round(HEIDELBERG.x, 6)
    assert (request["address"], request["address_id"], request["zipcode"]) == ("Voortrekker St", None, None)
    assert request["media_url"] == "https://photos.example.org/p/1.jpg"
    requested = assert_local_time(request["requested_datetime"])
    assert_local_time(request["updated_datetime"])
    expected = assert_local_time(request["expected_datetime"])
    assert expected - requested == datetime.timedelta(hours=72)  # the category's SLA


@pytest.mark.django_db
def test_a_request_in_xml_has_the_spec_elements_in_order(client, pothole, app_client):
    reference = parsed(post_request(client, "json"), "json")[0]["service_request_id"]
    body = parsed(client.get(url(f"requests/{reference}", "xml")), "xml")
    assert body.tag == "service_requests"
    (request,) = body
    assert [child.tag for child in request] == SPEC_REQUEST_FIELDS
    assert request.findtext("status") == "open"
    assert request.find("zipcode").text is None
    assert_local_time(request.findtext("requested_datetime"))
    assert float(request.findtext("lat")) == round(HEIDELBERG.y, 6)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_404(client, pothole, fmt):
    (description,) = errors_of(client.get(url("requests/GT423-2026-999999", fmt)), fmt, 404)
    assert "GT423-2026-999999" in description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_private_request_has_no_location_anywhere(client, private_category, app_client, fmt, open311_schemas):
    response = post_request(client, "json", service_code="unsafe-premises", address_string="14 Hidden Lane",
                            **{"attribute[size]": None})
    reference = parsed(response, "json")[0]["service_request_id"]
    for response in (client.get(url(f"requests/{reference}", fmt)), client.get(url("requests", fmt)),
                     client.get(url("requests", fmt), {"extensions": "true"})):
        (request,) = requests_of(response, fmt)
        assert request["service_request_id"] == reference
        assert not {"lat", "long", "address"} & set(request)
        if fmt == "json":
            open311_schemas(request, "request.json")
        assert b"Hidden Lane" not in response.content
        assert f"{HEIDELBERG.y:.4f}".encode() not in response.content


@pytest.mark.django_db
def test_no_reporter_details_in_any_get_answer(client, pothole, private_category, app_client, dispatcher):
    references = [
        parsed(post_request(client, "json", **PII), "json")[0]["service_request_id"],
        parsed(post_request(client, "json", service_code="unsafe-premises", **PII, **{"attribute[size]": None}),
               "json")[0]["service_request_id"],
    ]
    issue = Issue.objects.get(reference=references[0])
    issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=dispatcher, public_note="We are on it",
                     internal_note="Reporter Nomvula says call her on 082 555 0199")
    issue_comment_add(issue=issue, body="Noted", author=dispatcher)
    tokens = [str(token) for token in Issue.objects.values_list("token", flat=True)]
    for fmt in FORMATS:
        paths = [("discovery", {}), ("services", {}), ("services/pothole", {}), ("requests", {}),
                 ("requests", {"extensions": "true"}), ("requests", {"service_request_id": ",".join(references)}),
                 *[(f"requests/{reference}", {"extensions": "true"}) for reference in references],
                 *[(f"tokens/{token}", {}) for token in tokens]]
        for path, params in paths:
            response = client.get(url(path, fmt), params)
            assert response.status_code == 200, (path, response.content)
            for value in PII_VALUES:
                assert value.encode() not in response.content, (path, fmt, value)
            assert b"call her" not in response.content  # the internal note


@pytest.mark.django_db
def test_the_default_window_is_the_last_90_days(client, pothole):
    now = timezone.now()
    recent = file_issue(pothole, now=now - datetime.timedelta(days=10))
    edge = file_issue(pothole, now=now - datetime.timedelta(days=89))
    old = file_issue(pothole, now=now - datetime.timedelta(days=100))
    listed = [request["service_request_id"] for request in parsed(client.get(url("requests", "json")), "json")]
    assert listed == [recent.reference, edge.reference]  # newest first

    start = (now - datetime.timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - datetime.timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = [r["service_request_id"] for r in parsed(client.get(url("requests", "json"),
                                                                  {"start_date": start, "end_date": end}), "json")]
    assert listed == [edge.reference, old.reference]
    # A start alone covers the 90 days after it; an end alone the 90 days before it.
    listed = [r["service_request_id"] for r in parsed(client.get(url("requests", "json"), {"start_date": start}), "json")]
    assert listed == [edge.reference, old.reference]
    listed = [r["service_request_id"] for r in parsed(client.get(url("requests", "json"), {"end_date": end}), "json")]
    assert listed == [edge.reference, old.reference]


@pytest.mark.django_db
def test_dates_with_an_offset_a_lost_plus_or_no_time_and_never_without_a_zone(client, pothole):
    moment = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=datetime.UTC)  # 01:30 on the 11th in Lesedi
    issue = file_issue(pothole, now=moment)
    for start, end in [("2026-03-11T00:00:00+02:00", "2026-03-11T02:00:00+02:00"),
                       ("2026-03-11T00:00:00 02:00", "2026-03-11T02:00:00 02:00"),  # '+' unencoded
                       ("2026-03-10T23:00:00Z", "2026-03-10T23:59:00Z"),
                       ("2026-03-11", "2026-03-11")]:  # whole local days
        listed = parsed(client.get(url("requests", "json"), {"start_date": start, "end_date": end}), "json")
        assert [request["service_request_id"] for request in listed] == [issue.reference], (start, end)
    # A date and time without an offset is not guessed: a 400 naming the parameter.
    (description,) = errors_of(client.get(url("requests", "json"), {"start_date": "2026-03-11T00:00:00"}), "json", 400)
    assert description.startswith("start_date: ") and "time zone" in description
    listed = parsed(client.get(url("requests", "json"), {"start_date": "2026-03-10", "end_date": "2026-03-10"}), "json")
    assert listed == []
    # The far past is a valid (empty) window, not an error.
    response = client.get(url("requests", "json"), {"start_date": "0001-01-01T00:00:00+02:00"})
    assert parsed(response, "json") == []


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("params", "expected"), [
    ({"start_date": "yesterday"}, "start_date: 'yesterday' is not a date and time"),
    ({"end_date": "2026-02-30T00:00:00Z"}, "end_date: '2026-02-30T00:00:00Z' is not a date and time"),
    ({"start_date": "9999-12-31"}, "too far"),
    ({"end_date": "0001-01-01T00:00:00Z"}, "too far"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "may not span more than 90 days"),
    ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "is before start_date"),
    ({"status": "pending"}, "status: 'pending' is not a status"),
    ({"page_size": "0"}, "page_size: 0 is outside the range 1 to 1000"),
    ({"page_size": "1001"}, "page_size: 1001 is outside"),
    ({"page": "two"}, "page: 'two' is not a whole number"),
    ({"extensions": "maybe"}, "extensions: 'maybe' is not true or false"),
])
def test_bad_query_parameters_are_400(client, pothole, fmt, params, expected):
    (description,) = errors_of(client.get(url("requests", fmt), params), fmt, 400)
    assert expected in description


@pytest.mark.django_db
def test_page_size_and_page(client, pothole):
    now = timezone.now()
    issues = [file_issue(pothole, now=now - datetime.timedelta(hours=hours)) for hours in range(5)]
    newest_first = [issue.reference for issue in issues]

    def page(**params):
        return [r["service_request_id"] for r in parsed(client.get(url("requests", "json"), params), "json")]

    assert page() == newest_first
    assert page(page_size=2) == newest_first[:2]
    assert page(page_size=2, page=2) == newest_first[2:4]
    assert page(page_size=2, page=3) == newest_first[4:]
    assert page(page_size=2, page=4) == []


@pytest.mark.django_db
def test_status_and_service_code_filters(client, pothole, streetlight_out, dispatcher, open311_schemas):
    hole = file_issue(pothole)
    light = file_issue(streetlight_out)
    fixed = file_issue(pothole)
    issue_transition(issue=fixed, to_status=Status.ACKNOWLEDGED, actor=dispatcher)
    issue_transition(issue=fixed, to_status=Status.RESOLVED, actor=dispatcher, public_note="Filled")

    def listed(**params):
        return {r["service_request_id"] for r in parsed(client.get(url("requests", "json"), params), "json")}

    for extensions in ("false", "true"):
        open311_schemas(parsed(client.get(url("requests", "json"), {"extensions": extensions}), "json"), "requests.json")
    assert listed(status="open") == {hole.reference, light.reference}
    assert listed(status="closed") == {fixed.reference}
    assert listed(status="open,closed") == {hole.reference, light.reference, fixed.reference}
    assert listed(service_code="streetlight-out") == {light.reference}
    assert listed(service_code="pothole,streetlight-out", status="closed") == {fixed.reference}
    (closed,) = parsed(client.get(url(f"requests/{fixed.reference}", "json")), "json")
    assert (closed["status"], closed["status_notes"]) == ("closed", "Filled")


@pytest.mark.django_db
def test_service_request_id_overrides_every_other_filter(client, pothole, dispatcher):
    old = file_issue(pothole, now=timezone.now() - datetime.timedelta(days=200))
    parent = file_issue(pothole)
    merged = file_issue(pothole)
    issue_transition(issue=merged, to_status=Status.DUPLICATE, actor=dispatcher, duplicate_of=parent)
    ids = f"{old.reference},{merged.reference.lower()}, GT423-2026-999999"
    listed = parsed(client.get(url("requests", "json"), {"service_request_id": ids, "status": "open",
                                                          "service_code": "streetlight-out"}), "json")
    assert {request["service_request_id"] for request in listed} == {old.reference, merged.reference}
    by_id = {request["service_request_id"]: request for request in listed}
    assert by_id[merged.reference]["status_notes"] == f"A duplicate of {parent.reference}."
    # Listing leaves out issues merged into another; asking by id still finds them.
    default = {request["service_request_id"] for request in parsed(client.get(url("requests", "json")), "json")}
    assert default == {parent.reference}


@pytest.mark.django_db
def test_the_list_takes_the_same_number_of_queries_for_more_requests(client, pothole, dispatcher):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("requests", "json"), {"extensions": "true"})
        assert response.status_code == 200
        return len(queries)

    issue = file_issue(pothole)
    issue_comment_add(issue=issue, body="Still there", author=None)
    few = count_queries()
    for _ in range(5):
        issue = file_issue(pothole)
        issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=dispatcher, public_note="Seen")
        issue_comment_add(issue=issue, body="Still there", author=None)
    assert count_queries() == few <= 5


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_ward_details_and_the_public_history(client, pothole, dispatcher, fmt):
    issue = file_issue(pothole, channel=Channel.API)
    issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=dispatcher, public_note="A team will look",
                     internal_note="Budget is short this month")
    issue_comment_add(issue=issue, body="It is getting bigger", author=None)
    issue_comment_add(issue=issue, body="Staff only: check the contractor", author=dispatcher, internal=True)

    plain = requests_of(client.get(url(f"requests/{issue.reference}", fmt)), fmt)[0]
    assert "extended_attributes" not in plain and "notes" not in plain

    response = client.get(url(f"requests/{issue.reference}", fmt), {"extensions": "true"})
    (request,) = requests_of(response, fmt)
    assert b"Budget is short" not in response.content and b"check the contractor" not in response.content
    if fmt == "json":
        assert request["extended_attributes"] == {
            "ward_number": 8, "ward_code": "74203008", "suburb": None, "priority": "normal",
            "detailed_status": "acknowledged", "detailed_status_label": "Acknowledged", "kind": "fault"}
        notes = request["notes"]
        assert [(note["type"], note["description"]) for note in notes] == [
            ("submitted", "Reported (App or API)"), ("acknowledged", "A team will look"),
            ("comment", "It is getting bigger")]
        for note in notes:
            assert_local_time(note["datetime"])
    else:
        extended = request["extended_attributes"]
        assert [child.tag for child in extended] == ["ward_number", "ward_code", "suburb", "priority", "detailed_status",
                                                     "detailed_status_label", "kind"]
        assert extended.findtext("ward_number") == "8"
        notes = request["notes"].findall("note")
        assert [note.findtext("type") for note in notes] == ["submitted", "acknowledged", "comment"]
        assert [child.tag for child in notes[1]] == ["datetime", "type", "description", "by"]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_gives_the_request_id(client, pothole, fmt):
    issue = file_issue(pothole)
    body = parsed(client.get(url(f"tokens/{issue.token}", fmt)), fmt)
    if fmt == "json":
        assert body == [{"service_request_id": issue.reference, "token": str(issue.token)}]
    else:
        assert body.tag == "service_requests"
        (request,) = body
        assert [(child.tag, child.text) for child in request] == [("service_request_id", issue.reference),
                                                                  ("token", str(issue.token))]
    errors_of(client.get(url(f"tokens/{uuid.uuid4()}", fmt)), fmt, 404)
    errors_of(client.get(url("tokens/not-a-token", fmt)), fmt, 404)


# --- back-office updates ---------------------------------------------------------------------

def post_update(client, fmt="json", *, key="back-office-key-91ab", **fields):
    data = {"api_key": key, **fields}
    return client.post(url("servicerequestupdates", fmt), {name: value for name, value in data.items() if value is not None})


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_back_office_moves_an_issue_through_the_workflow(client, pothole, back_office, fmt):
    issue = file_issue(pothole)
    response = post_update(client, fmt, service_request_id=issue.reference, update_id="BO-1", status="IN_PROGRESS",
                           description="Crew on site", external_status_code="WIP-2")
    assert response.status_code == 200, response.content
    body = parsed(response, fmt)
    if fmt == "json":
        assert body == [{"update_id": "BO-1"}]
    else:
        assert body.tag == "service_request_updates"
        assert [(child.tag, [(grandchild.tag, grandchild.text) for grandchild in child]) for child in body] == [
            ("request_update", [("update_id", "BO-1")])]
    issue.refresh_from_db()
    assert (issue.status, issue.status_note) == (Status.IN_PROGRESS, "Crew on site")
    # Submitted → in progress goes through acknowledged, as the workflow requires.
    events = list(issue.events.exclude(action=IssueEvent.Action.CREATED).order_by("at", "id"))
    assert [(event.to_status, event.actor_label, event.external_update_id) for event in events] == [
        ("acknowledged", "Roads back office", ""), ("in_progress", "Roads back office", "BO-1")]
    assert "WIP-2" in events[1].internal_note

    # The same update again is refused, and changes nothing.
    (description,) = errors_of(post_update(client, fmt, service_request_id=issue.reference, update_id="BO-1",
                                           status="FIXED"), fmt, 400)
    assert "already applied" in description
    issue.refresh_from_db()
    assert issue.status == Status.IN_PROGRESS

    assert post_update(client, fmt, service_request_id=issue.reference, update_id="BO-2", status="FIXED").status_code == 200
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED
    assert post_update(client, fmt, service_request_id=issue.reference, update_id="BO-3", status="CLOSED").status_code == 200
    issue.refresh_from_db()
    assert issue.status == Status.CLOSED
    assert post_update(client, fmt, service_request_id=issue.reference, update_id="BO-4", status="OPEN").status_code == 200
    issue.refresh_from_db()
    assert issue.status == Status.REOPENED
    (request,) = requests_of(client.get(url(f"requests/{issue.reference}", fmt), {"extensions": "true"}), fmt)
    assert request["status"] == "open"


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "expected", "note"), [
    ("ACTION_SCHEDULED", Status.ASSIGNED, ""),
    ("investigating", Status.ACKNOWLEDGED, ""),
    ("NOT_COUNCILS_RESPONSIBILITY", Status.REJECTED, "This is not the municipality's responsibility."),
    ("NO_FURTHER_ACTION", Status.REJECTED, "No further action will be taken."),
    ("DUPLICATE", Status.REJECTED, "This problem was reported before."),
    ("closed", Status.RESOLVED, ""),
    ("in_progress", Status.IN_PROGRESS, ""),
])
def test_back_office_statuses_map_to_ours(client, pothole, back_office, status, expected, note):
    issue = file_issue(pothole)
    response = post_update(client, service_request_id=issue.reference, update_id="U1", status=status)
    assert response.status_code == 200, response.content
    issue.refresh_from_db()
    assert (issue.status, issue.status_note) == (expected, note)


@pytest.mark.django_db
def test_a_duplicate_update_names_the_earlier_request(client, pothole, back_office):
    parent, issue = file_issue(pothole), file_issue(pothole)
    response = post_update(client, service_request_id=issue.reference, update_id="D1", status="DUPLICATE",
                           duplicate_of=parent.reference)
    assert response.status_code == 200, response.content
    issue.refresh_from_db()
    assert (issue.status, issue.duplicate_of) == (Status.DUPLICATE, parent)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_updates_are_refused(client, pothole, back_office, app_client, fmt, dispatcher):
    issue = file_issue(pothole)
    reference = issue.reference
    future = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    cases = [
        ({"key": None, "service_request_id": reference, "update_id": "X", "status": "FIXED"}, 403, "api_key is required"),
        ({"key": "nope", "service_request_id": reference, "update_id": "X", "status": "FIXED"}, 403, "Invalid api_key"),
        ({"key": "app-key-5f2c", "service_request_id": reference, "update_id": "X", "status": "FIXED"}, 403,
         "not post updates"),
        ({"service_request_id": "GT423-2026-999999", "update_id": "X", "status": "FIXED"}, 404, "GT423-2026-999999"),
        ({"update_id": "X", "status": "FIXED"}, 400, "service_request_id is required"),
        ({"service_request_id": reference, "status": "FIXED"}, 400, "update_id is required"),
        ({"service_request_id": reference, "update_id": "X"}, 400, "status is required"),
        ({"service_request_id": reference, "update_id": "X", "status": "SMOULDERING"}, 400,
         "status: 'SMOULDERING' is not a status"),
        ({"service_request_id": reference, "update_id": "X", "status": "FIXED", "updated_datetime": "soon"}, 400,
         "updated_datetime: 'soon' is not a date and time"),
        ({"service_request_id": reference, "update_id": "X", "status": "FIXED", "updated_datetime": future}, 400,
         "is in the future"),
        ({"service_request_id": reference, "update_id": "X", "status": "FIXED", "updated_datetime": "2020-01-01T00:00:00Z"},
         400, "a stale update is not applied"),
        ({"service_request_id": reference, "update_id": "X", "status": "DUPLICATE", "duplicate_of": "GT423-1999-1"}, 400,
         "duplicate_of"),
        ({"service_request_id": reference, "update_id": "X" * 65, "status": "FIXED"}, 400, "update_id: at most 64"),
    ]
    for fields, status, expected in cases:
        descriptions = errors_of(post_update(client, fmt, **fields), fmt, status)
        assert any(expected in description for description in descriptions), (fields, descriptions)
    issue.refresh_from_db()
    assert issue.status == Status.SUBMITTED and not issue.events.exclude(action=IssueEvent.Action.CREATED).exists()

    # An illegal step gets the workflow's own message.
    issue_transition(issue=issue, to_status=Status.REJECTED, actor=dispatcher, public_note="Private road")
    (description,) = errors_of(post_update(client, fmt, service_request_id=reference, update_id="Y",
                                           status="IN_PROGRESS"), fmt, 400)
    assert description == ("status: An issue that is rejected cannot become in progress; "
                           "from rejected it may go to: reopened.")
    # The status it already has, again: news, not a transition (a note is recorded).
    assert post_update(client, fmt, service_request_id=reference, update_id="Z", status="REJECTED").status_code == 200
    assert issue.events.filter(external_update_id="Z", from_status="rejected", to_status="rejected").exists()


@pytest.mark.django_db
def test_an_update_repeating_the_status_is_recorded_as_news(client, pothole, back_office, dispatcher):
    """A back office re-sending the status an issue already has, with a new note, is news for
    the reporter: recorded in the history, not refused as a transition."""
    issue = file_issue(pothole)
    issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=dispatcher)
    first = post_update(client, service_request_id=issue.reference, update_id="O1", status="IN_PROGRESS",
                        description="Crew booked")
    again = post_update(client, service_request_id=issue.reference, update_id="O2", status="IN_PROGRESS",
                        description="Materials ordered")
    assert (first.status_code, again.status_code) == (200, 200)
    issue.refresh_from_db()
    assert issue.status == Status.IN_PROGRESS and issue.status_note == "Materials ordered"
    last = issue.events.order_by("-id").first()
    assert (last.action, last.from_status, last.to_status, last.public_note, last.external_update_id) == (
        "update", "in_progress", "in_progress", "Materials ordered", "O2")
    repeated = post_update(client, service_request_id=issue.reference, update_id="O2", status="IN_PROGRESS",
                           description="Materials ordered")
    assert repeated.status_code == 400


@pytest.mark.django_db
def test_an_update_key_of_another_municipality_is_refused(client, pothole):
    drakenstein = Municipality.objects.create(code="WC023", name="Drakenstein")
    ApiClient.objects.create(name="Drakenstein office", key="wc-office", municipality=drakenstein, may_post_updates=True)
    issue = file_issue(pothole)
    (description,) = errors_of(post_update(client, key="wc-office", service_request_id=issue.reference, update_id="1",
                                           status="FIXED"), "json", 403)
    assert "WC023 only" in description


# --- the edges of the API --------------------------------------------------------------------

@pytest.mark.django_db
def test_unknown_formats_and_paths(client, pothole):
    (description,) = errors_of(client.get(url("services", "csv")), "xml", 400)
    assert ".csv" in description
    errors_of(client.get(ROOT + "nonsense.json"), "json", 404)
    errors_of(client.get(ROOT + "services/pothole/extra"), "xml", 404)


def every_resource(issue) -> dict[str, str]:
    """Each Open311 resource (a path without its suffix) and the methods it answers."""
    return {"discovery": "GET, HEAD", "services": "GET, HEAD", "services/pothole": "GET, HEAD",
            "requests": "GET, HEAD, POST", f"requests/{issue.reference}": "GET, HEAD",
            f"tokens/{issue.token}": "GET, HEAD", "servicerequestupdates": "GET, HEAD, POST"}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", [*FORMATS, None])
def test_head_answers_like_get_without_the_body(client, pothole, fmt):
    issue = file_issue(pothole)
    paths = [path for path, allowed in every_resource(issue).items() if "HEAD" in allowed]
    for path in [*paths, "services/no-such-service", "nonsense"]:
        got, head = client.get(url(path, fmt)), client.head(url(path, fmt))
        assert (head.status_code, dict(head.headers)) == (got.status_code, dict(got.headers)), path
        assert int(head["Content-Length"]) == len(got.content) > 0, path
        # The test client drops a HEAD answer's body itself: call the view to see what it sends.
        match = resolve(url(path, fmt))
        assert match.func(RequestFactory().head(url(path, fmt)), *match.args, **match.kwargs).content == b"", path


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_are_405_naming_the_allowed_ones(client, pothole, fmt, method):
    issue = file_issue(pothole)
    for path, allowed in every_resource(issue).items():
        response = client.generic(method, url(path, fmt))
        (description,) = errors_of(response, fmt, 405)
        assert response["Allow"] == allowed, path
        assert method in description and allowed.replace(", ", " or ") in description, path
    response = client.generic("PUT", url("tokens/x", fmt))
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")


@pytest.mark.django_db
def test_text_the_database_cannot_hold_is_400_not_500(client, pothole):
    (description,) = errors_of(client.get(url("requests", "json"), {"service_code": "pot\x00hole"}), "json", 400)
    assert description == "service_code: contains a NUL character (%00), which is never valid."
    errors_of(client.get(url("requests/GT423%00", "json")), "json", 400)
    errors_of(client.get(url("services/pot%00hole", "xml")), "xml", 400)


GARBAGE = ["", " ", "x", "-1", "0", "1e999", "nan", "-inf", "é", "'; DROP TABLE triage_issue; --", "%", "a" * 5000,
           "[]", "2026-13-45T99:99:99Z", "2026-01-01T00:00:00+25:00", "true,false", ",,,"]


@pytest.mark.django_db
def test_no_garbage_in_any_parameter_makes_a_500(client, pothole, dumping, app_client, back_office):
    issue = file_issue(pothole)
    gets = {
        "services": ["jurisdiction_id"],
        "services/pothole": ["jurisdiction_id"],
        "requests": ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status", "page",
                     "page_size", "extensions"],
        f"requests/{issue.reference}": ["jurisdiction_id", "extensions"],
        f"tokens/{issue.token}": ["jurisdiction_id"],
    }
    for path, names in gets.items():
        for name in names:
            for value in GARBAGE:
                response = client.get(url(path, "json"), {name: value})
                assert response.status_code in (200, 400, 404), (path, name, value, response.content)
    for value in GARBAGE:
        for name in ["service_code", "lat", "long", "address_string", "address_id", "attribute[size]",
                     "attribute[waste-types][]", "attribute[x][y]", "email", "phone", "first_name", "description",
                     "media_url", "jurisdiction_id"]:
            response = post_request(client, "json", **{name: value})
            assert response.status_code in (200, 400, 403, 404), (name, value, response.content)
        for name in ["service_request_id", "update_id", "status", "description", "media_url", "updated_datetime",
                     "duplicate_of", "external_status_code", "jurisdiction_id"]:
            fields = {"service_request_id": issue.reference, "update_id": f"fuzz-{name}-{GARBAGE.index(value)}",
                      "status": "ACKNOWLEDGED", name: value}
            response = post_update(client, "json", **fields)
            assert response.status_code in (200, 400, 403, 404), (name, value, response.content)
            Issue.objects.filter(pk=issue.pk).update(status=Status.SUBMITTED)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_uploaded_photo_is_the_media_url_and_an_internal_one_never(client, pothole, dispatcher, settings, tmp_path,
                                                                      fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from triage.media.services import media_attach
    from triage.tests.test_media import jpeg

    settings.MEDIA_ROOT = tmp_path
    issue = file_issue(pothole)
    internal = media_attach(issue=issue, upload=SimpleUploadedFile("crew.jpg", jpeg()), uploaded_by=dispatcher,
                            internal=True)
    response = client.get(url(f"requests/{issue.reference}", fmt))
    assert f"/media/issues/{internal.pk}/" not in response.content.decode()
    public = media_attach(issue=issue, upload=SimpleUploadedFile("hole.jpg", jpeg()))
    body = client.get(url(f"requests/{issue.reference}", fmt)).content.decode()
    assert imbizo_setting("PUBLIC_URL") + f"/media/issues/{public.pk}/file" in body
    assert f"/media/issues/{internal.pk}/" not in body
