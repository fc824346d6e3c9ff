"""The OpenAPI 3.0 definition of the OGC API (/ogc/api) and each collection's queryables (Part 3),
built from the layer registry, so a layer declared once is described here too.

QGIS's OAPIF provider refuses a landing page without this definition (the `service-desc` link) and
reads the page size from components.parameters.limit; GDAL's OAPIF driver reads the item parameters
listed per collection.
"""

from __future__ import annotations

from django.db.models import Field

from layers.registry import Layer

JSON_TYPES = {
    "IntegerField": {"type": "integer"}, "BigIntegerField": {"type": "integer"}, "SmallIntegerField": {"type": "integer"},
    "PositiveIntegerField": {"type": "integer"}, "PositiveSmallIntegerField": {"type": "integer"},
    "PositiveBigIntegerField": {"type": "integer"}, "AutoField": {"type": "integer"}, "BigAutoField": {"type": "integer"},
    "FloatField": {"type": "number"}, "DecimalField": {"type": "number"}, "BooleanField": {"type": "boolean"},
    "DateTimeField": {"type": "string", "format": "date-time"}, "DateField": {"type": "string", "format": "date"},
}
GEOJSON_SCHEMAS = {
    "Point": "https://geojson.org/schema/Point.json", "MultiPoint": "https://geojson.org/schema/MultiPoint.json",
    "LineString": "https://geojson.org/schema/LineString.json",
    "MultiLineString": "https://geojson.org/schema/MultiLineString.json",
    "Polygon": "https://geojson.org/schema/Polygon.json", "MultiPolygon": "https://geojson.org/schema/MultiPolygon.json",
}


def json_type(field: Field) -> dict:
    described = dict(JSON_TYPES.get(field.get_internal_type(), {"type": "string"}))
    choices = [value for value, _ in field.choices or []]
    if choices:
        described["enum"] = choices
    return described


def queryables(layer: Layer, *, schema_id: str) -> dict:
    """JSON Schema of the properties a client may filter on (?<name>=<value>), with the geometry."""
    properties = {"geometry": {"$ref": GEOJSON_SCHEMAS.get(layer.geometry_type(), "https://geojson.org/schema/Geometry.json")}}
    for name, path in layer.properties.items():
        properties[name] = {"title": name.replace("_", " ").capitalize(), **json_type(layer.field(path))}
    if layer.datetime_field:
        properties["datetime"] = {"title": "When (the datetime parameter)", "type": "string", "format": "date-time"}
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": schema_id,
        "type": "object",
        "title": layer.title,
        "description": layer.description,
        "properties": properties,
        "additionalProperties": False,
    }


def _ok(description: str, *media_types: str) -> dict:
    return {"200": {"description": description, "content": {media_type: {} for media_type in media_types}}}


REFUSALS = {
    "400": {"description": "A malformed parameter, named in the description.", "content": {"application/json": {}}},
    "401": {"description": "A staff layer asked for without logging in.", "content": {"application/json": {}}},
    "403": {"description": "A staff layer asked for by someone who is not staff.", "content": {"application/json": {}}},
    "404": {"description": "No such collection or feature.", "content": {"application/json": {}}},
}


def definition(*, base_url: str, title: str, layers: list[Layer], default_limit: int, maximum_limit: int) -> dict:
    """The OpenAPI 3.0 document: the fixed resources, then three paths per collection."""
    formats = ["application/json", "text/html"]
    paths: dict[str, dict] = {
        "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage",
                      "parameters": [{"$ref": "#/components/parameters/f"}], "responses": _ok("The landing page", *formats)}},
        "/api": {"get": {"summary": "This API definition", "operationId": "getAPI",
                         "responses": _ok("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0")}},
        "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformanceDeclaration",
                                 "parameters": [{"$ref": "#/components/parameters/f"}],
                                 "responses": _ok("The conformance classes", *formats)}},
        "/collections": {"get": {"summary": "The collections", "operationId": "getCollections",
                                 "parameters": [{"$ref": "#/components/parameters/f"}],
                                 "responses": _ok("The collections", *formats)}},
    }
    for layer in layers:
        base = f"/collections/{layer.key}"
        tag = [layer.key]
        item_parameters = [{"$ref": f"#/components/parameters/{name}"}
                           for name in ("limit", "bbox", "bbox-crs", "crs", "datetime", "f")]
        item_parameters += [
            {"name": "after", "in": "query", "required": False, "description": "Next page: the last id seen.",
             "schema": {"type": "string"}},
            {"name": "before", "in": "query", "required": False, "description": "Previous page: the first id seen.",
             "schema": {"type": "string"}},
        ]
        item_parameters += [
            {"name": name, "in": "query", "required": False, "style": "form", "explode": False,
             "description": f"Only features whose {name} equals this value.", "schema": json_type(layer.field(path))}
            for name, path in layer.properties.items()
        ]
        secured = {} if layer.public else {"security": [{"basic": []}, {"layerToken": []}]}
        paths[base] = {"get": {"summary": layer.title, "tags": tag, "operationId": f"describe-{layer.key}",
                               "parameters": [{"$ref": "#/components/parameters/f"}],
                               "responses": {**_ok("The collection", *formats), **REFUSALS}, **secured}}
        paths[f"{base}/queryables"] = {"get": {
            "summary": f"What {layer.title} can be filtered by", "tags": tag, "operationId": f"queryables-{layer.key}",
            "responses": {**_ok("JSON Schema of the queryable properties", "application/schema+json"), **REFUSALS},
            **secured}}
        paths[f"{base}/items"] = {"get": {
            "summary": f"{layer.title}: features", "tags": tag, "operationId": f"getFeatures-{layer.key}",
            "parameters": item_parameters,
            "responses": {**_ok("A page of features", "application/geo+json", "text/html"), **REFUSALS}, **secured}}
        paths[f"{base}/items/{{featureId}}"] = {"get": {
            "summary": f"{layer.title}: one feature", "tags": tag, "operationId": f"getFeature-{layer.key}",
            "parameters": [{"$ref": "#/components/parameters/featureId"}, {"$ref": "#/components/parameters/crs"},
                           {"$ref": "#/components/parameters/f"}],
            "responses": {**_ok("The feature", "application/geo+json", "text/html"), **REFUSALS}, **secured}}
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0",
                 "description": "Imbizo's spatial layers as OGC API - Features (Part 1 Core, GeoJSON, HTML; Part 2 "
                                "CRS by reference; Part 3 queryables as query parameters).",
                 "contact": {"name": "Imbizo", "url": base_url},
                 "license": {"name": "AGPL-3.0-or-later"}},
        "servers": [{"url": base_url}],
        "tags": [{"name": layer.key, "description": layer.title} for layer in layers],
        "paths": paths,
        "components": {
            "parameters": {
                "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
                          "description": "How many features a page holds.",
                          "schema": {"type": "integer", "minimum": 1, "maximum": maximum_limit, "default": default_limit}},
                "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
                         "description": "The lower corner, then the upper corner, in bbox-crs: by default "
                                        "minLon,minLat,maxLon,maxLat in WGS 84 (CRS84).",
                         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                "bbox-crs": {"name": "bbox-crs", "in": "query", "required": False, "style": "form", "explode": False,
                             "description": "The CRS bbox is written in (Part 2): one of the collection's crs list; "
                                            "default CRS84.",
                             "schema": {"type": "string", "format": "uri"}},
                "crs": {"name": "crs", "in": "query", "required": False, "style": "form", "explode": False,
                        "description": "The CRS of the features' coordinates (Part 2): one of the collection's crs "
                                       "list; default CRS84. The Content-Crs header names the one used.",
                        "schema": {"type": "string", "format": "uri"}},
                "datetime": {"name": "datetime", "in": "query", "required": False, "style": "form", "explode": False,
                             "description": "An RFC 3339 instant or interval (start/end, '..' for an open end).",
                             "schema": {"type": "string"}},
                "f": {"name": "f", "in": "query", "required": False, "style": "form", "explode": False,
                      "description": "json or html (else by the Accept header).",
                      "schema": {"type": "string", "enum": ["json", "html"]}},
                "featureId": {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
            },
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic",
                          "description": "Staff layers: your Imbizo email (or phone) and password, or any name and "
                                         "a layer token as the password."},
                "layerToken": {"type": "http", "scheme": "bearer",
                               "description": "Staff layers: a personal layer token (manage.py layer_token)."},
            },
        },
    }
