"""The OGC API's own description: the OpenAPI 3.0 document (/ogc/api), the queryables (Part 3) and
the conformance classes that announce them."""

import pytest
from django.test import Client

from layers.registry import registry

pytestmark = pytest.mark.django_db


def test_the_landing_page_links_the_openapi_definition_qgis_needs(client):
    for url in ("/ogc/", "/ogc"):  # QGIS asks for the address without the slash and does not follow redirects
        response = client.get(url)
        assert response.status_code == 200, url
        links = {link["rel"]: link for link in response.json()["links"]}
        assert links["service-desc"]["href"] == "http://testserver/ogc/api"
        assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    for name in ("ogcapi-features-1/1.0/conf/oas30", "ogcapi-features-3/1.0/conf/queryables",
                 "ogcapi-features-3/1.0/conf/queryables-query-parameters"):
        assert f"http://www.opengis.net/spec/{name}" in conformance


def test_the_openapi_document_describes_every_visible_collection(staff_client):
    response = Client().get("/ogc/api")  # anonymous (staff_client is the `client` fixture, logged in)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.json()
    assert document["openapi"].startswith("3.0") and document["servers"] == [{"url": "http://testserver/ogc"}]
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 10_000, 100)  # QGIS pages with these
    public = [layer for layer in registry if layer.public]
    for layer in public:
        items = document["paths"][f"/collections/{layer.key}/items"]["get"]
        names = {parameter.get("name") for parameter in items["parameters"]}
        assert set(layer.properties) <= names, layer.key
        assert f"/collections/{layer.key}/queryables" in document["paths"]
    assert "/collections/issues-staff/items" not in document["paths"]
    issues = {p.get("name"): p for p in document["paths"]["/collections/issues/items"]["get"]["parameters"]}
    assert issues["ward"]["schema"] == {"type": "integer"} and "submitted" in issues["status"]["schema"]["enum"]
    staff = staff_client.get("/ogc/api").json()
    assert staff["paths"]["/collections/issues-staff/items"]["get"]["security"] == [{"basic": []}, {"layerToken": []}]
    # Every $ref points at a component that exists.
    for path in document["paths"].values():
        for parameter in path["get"].get("parameters", []):
            if "$ref" in parameter:
                assert parameter["$ref"].split("/")[-1] in document["components"]["parameters"]


def test_queryables_are_json_schema_of_the_published_properties(staff_client):
    client = Client()  # anonymous (staff_client is the `client` fixture, logged in)
    response = client.get("/ogc/collections/issues/queryables")
    assert response.status_code == 200 and response["Content-Type"] == "application/schema+json"
    schema = response.json()
    assert schema["$id"] == "http://testserver/ogc/collections/issues/queryables"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    properties = schema["properties"]
    assert set(properties) == {"geometry", "datetime", *registry.get("issues").properties}
    assert properties["geometry"] == {"$ref": "https://geojson.org/schema/Point.json"}
    assert properties["created_at"]["format"] == "date-time" and properties["upvotes"]["type"] == "integer"
    assert properties["ward"]["type"] == "integer" and properties["reference"]["type"] == "string"
    wards = client.get("/ogc/collections/wards/queryables").json()["properties"]
    assert wards["geometry"]["$ref"].endswith("MultiPolygon.json") and "datetime" not in wards
    assert client.get("/ogc/collections/issues-staff/queryables").status_code == 401
    assert staff_client.get("/ogc/collections/issues-staff/queryables").json()["properties"]["private"]["type"] == "boolean"
    assert client.get("/ogc/collections/nowhere/queryables").status_code == 404
    collection = client.get("/ogc/collections/issues").json()
    assert any(link["rel"].endswith("/queryables") for link in collection["links"])
