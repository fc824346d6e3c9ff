import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_schema_documents_every_api_endpoint(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for endpoint in ["/api/v1/areas/lookup", "/api/v1/wards/", "/api/v1/municipalities/"]:
        assert endpoint in paths
    lookup_parameters = {p["name"] for p in paths["/api/v1/areas/lookup"]["get"]["parameters"]}
    assert lookup_parameters == {"lat", "lon"}


def test_swagger_ui_is_served_without_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


def test_schema_generation_has_no_warnings():
    from io import StringIO

    from django.core.management import call_command

    errors = StringIO()
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=StringIO(), stderr=errors)
    assert errors.getvalue() == ""


def test_the_schema_is_valid_openapi(client):
    from openapi_spec_validator import OpenAPIV30SpecValidator

    schema = yaml.safe_load(client.get("/api/schema/").content)
    errors = [f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
              for error in OpenAPIV30SpecValidator(schema).iter_errors()]
    assert errors == []
