"""OGC API - Features - Part 1: Core, without a web framework (pygeoapi's api/itemtypes.py habit).

Each operation takes plain values (the query parameters as a mapping, the Accept header, who is
asking) and returns (status, headers, body). The Django adapter in views.py only translates a
request into these calls and the triple into a response; HTML is rendered by a function the
adapter hands in, so this module never imports the HTTP side of any framework.

Standard: OGC 17-069r4 (https://docs.ogc.org/is/17-069r4/17-069r4.html).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.contrib.gis.db.models import Extent

from layers import crs as crs_module
from layers import features
from layers.crs import Crs
from layers.ogc import openapi
from layers.registry import Layer, LayerRefused, LayerRegistry, registry
from toolkit.params import BadParameter, parse_bbox

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
CRS84 = crs_module.CRS84
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
DEFAULT_LIMIT = 100
MAXIMUM_LIMIT = 10_000
# Parameters that select features; they are carried over to the next and previous page links.
PAGING = ("after", "before")
# The query parameters each kind of resource takes; any other is a 400 (/req/core/query-param-unknown).
# The items also take ?<property>=<value> for each published property (Part 3 queryables).
PARAMETERS = {
    "resource": ("f",),
    "items": ("f", "limit", "bbox", "bbox-crs", "crs", "datetime", *PAGING),
    "item": ("f", "crs"),
}
# numberMatched of a layer that is not cheap to count: counted only up to this many (an index scan of at
# most this many entries, a few milliseconds); beyond it the number is left out, as Part 1 allows.
COUNT_AT_MOST = 10_000

Response = tuple[int, dict[str, str], str]
Renderer = Callable[[str, dict], str]


@dataclass(frozen=True)
class Viewer:
    """Who is asking: enough to apply each layer's access rule."""

    is_authenticated: bool = False
    is_staff: bool = False
    user: Any = None  # the person, for layers that show each person only their own rows (Layer.restrict)

    def has_perm(self, permission: str) -> bool:
        return self.user is not None and self.user.has_perm(permission)


class OGCError(Exception):
    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description

    def response(self) -> Response:
        body = json.dumps({"code": self.code, "description": self.description})
        return self.status, {"Content-Type": JSON}, body


def check_parameters(params: Mapping[str, str], known: Iterable[str]) -> None:
    """Refuse a query parameter this resource does not take, naming it: ignoring ?sortby= or ?crs= would
    answer something other than what was asked."""
    known = set(known)
    for name in params:
        if name not in known:
            raise OGCError(400, "InvalidParameterValue",
                           f"Unknown query parameter '{name[:80]}' (OGC API - Features /req/core/query-param-unknown); "
                           f"this resource takes: {', '.join(sorted(known))}.")


def wants_html(params: Mapping[str, str], accept: str) -> bool:
    """?f= decides; otherwise HTML only when the client lists text/html (browsers do, GDAL does not)."""
    requested = (params.get("f") or "").lower()
    if requested:
        if requested in {"html", "text/html"}:
            return True
        if requested in {"json", "geojson", JSON, GEOJSON}:
            return False
        raise OGCError(400, "InvalidParameterValue", f"Invalid parameter 'f': '{requested}' is not json or html.")
    return HTML in (accept or "")


class FeaturesAPI:
    def __init__(self, *, base_url: str, viewer: Viewer, render_html: Renderer,
                 layers: LayerRegistry = registry, title: str = "Imbizo layers"):
        self.base_url = base_url.rstrip("/")
        self.viewer = viewer
        self.render_html = render_html
        self.layers = layers
        self.title = title

    # --- helpers ------------------------------------------------------------------------------
    def url(self, path: str = "", **params) -> str:
        query = urlencode({key: value for key, value in params.items() if value is not None})
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def respond(self, status: int, body: dict, *, html: bool, template: str, media_type: str = JSON) -> Response:
        if html:
            return status, {"Content-Type": "text/html; charset=utf-8"}, self.render_html(template, body)
        return status, {"Content-Type": media_type}, json.dumps(body)

    def self_links(self, path: str, html: bool, title: str, media_type: str = JSON, **params) -> list[dict]:
        json_link = {"href": self.url(path, f="json", **params), "type": media_type, "title": f"{title} as JSON"}
        html_link = {"href": self.url(path, f="html", **params), "type": HTML, "title": f"{title} as HTML"}
        json_link["rel"], html_link["rel"] = ("alternate", "self") if html else ("self", "alternate")
        return [json_link, html_link]

    def layer(self, collection_id: str) -> Layer:
        try:
            return self.layers.get_for(collection_id, self.viewer, noun="collection")
        except LayerRefused as refused:
            raise OGCError(refused.status, refused.code, refused.description) from None

    @cached_property
    def offered_crs(self) -> list[Crs]:
        """The CRSs every collection offers (Part 2), read once per request."""
        return crs_module.offered()

    def requested_crs(self, params: Mapping[str, str], name: str) -> Crs:
        """The CRS ?crs= or ?bbox-crs= names; CRS84 when absent (without reading the offered list)."""
        if not params.get(name):
            return crs_module.DEFAULT
        return crs_module.parse(params[name], self.offered_crs, name)

    def visible_layers(self) -> list[Layer]:
        return self.layers.visible_to(self.viewer)

    @staticmethod
    def guard(operation):
        """Turn an OGCError or a bad parameter into the OGC exception body."""

        def run(self, *args, **kwargs) -> Response:
            try:
                return operation(self, *args, **kwargs)
            except OGCError as error:
                return error.response()
            except BadParameter as error:
                return OGCError(400, "InvalidParameterValue", str(error)).response()

        return run

    # --- resources ----------------------------------------------------------------------------
    @guard
    def landing(self, params: Mapping[str, str], accept: str = "") -> Response:
        check_parameters(params, PARAMETERS["resource"])
        html = wants_html(params, accept)
        body = {
            "title": self.title,
            "description": "Imbizo's spatial layers (municipalities, wards, suburbs, ...) as OGC API - Features.",
            "links": [
                *self.self_links("/", html, "This document"),
                # QGIS refuses a landing page without the API description (service-desc).
                {"href": self.url("/api"), "rel": "service-desc", "type": OPENAPI,
                 "title": "The API definition (OpenAPI 3.0)"},
                {"href": self.url("/conformance"), "rel": "conformance", "type": JSON,
                 "title": "Conformance classes implemented by this server"},
                {"href": self.url("/collections"), "rel": "data", "type": JSON, "title": "The collections"},
            ],
        }
        return self.respond(200, body, html=html, template="layers/ogc/landing.html")

    @guard
    def conformance(self, params: Mapping[str, str], accept: str = "") -> Response:
        check_parameters(params, PARAMETERS["resource"])
        html = wants_html(params, accept)
        body = {"conformsTo": CONFORMANCE, "links": self.self_links("/conformance", html, "Conformance")}
        return self.respond(200, body, html=html, template="layers/ogc/conformance.html")

    @guard
    def api(self, params: Mapping[str, str], accept: str = "") -> Response:
        """The OpenAPI 3.0 definition of this API, listing the collections this viewer may see."""
        check_parameters(params, PARAMETERS["resource"])
        body = openapi.definition(base_url=self.base_url, title=self.title, layers=self.visible_layers(),
                                  default_limit=DEFAULT_LIMIT, maximum_limit=MAXIMUM_LIMIT)
        return 200, {"Content-Type": OPENAPI}, json.dumps(body)

    @guard
    def queryables(self, collection_id: str, params: Mapping[str, str], accept: str = "") -> Response:
        """OGC API - Features - Part 3 queryables: the properties ?<name>=<value> filters on, as JSON Schema."""
        layer = self.layer(collection_id)
        check_parameters(params, PARAMETERS["resource"])
        body = openapi.queryables(layer, schema_id=self.url(f"/collections/{layer.key}/queryables"))
        return 200, {"Content-Type": SCHEMA}, json.dumps(body)

    @guard
    def collections(self, params: Mapping[str, str], accept: str = "") -> Response:
        check_parameters(params, PARAMETERS["resource"])
        html = wants_html(params, accept)
        body = {
            "links": self.self_links("/collections", html, "The collections"),
            "collections": [self.describe(layer) for layer in self.visible_layers()],
        }
        return self.respond(200, body, html=html, template="layers/ogc/collections.html")

    @guard
    def collection(self, collection_id: str, params: Mapping[str, str], accept: str = "") -> Response:
        layer = self.layer(collection_id)
        check_parameters(params, PARAMETERS["resource"])
        html = wants_html(params, accept)
        body = self.describe(layer, html=html)
        return self.respond(200, body, html=html, template="layers/ogc/collection.html")

    def describe(self, layer: Layer, *, html: bool = False) -> dict:
        path = f"/collections/{layer.key}"
        description = {
            "id": layer.key,
            "title": layer.title,
            "description": layer.description,
            "keywords": list(layer.keywords),
            "itemType": "feature",
            "crs": [choice.uri for choice in self.offered_crs],
            "storageCrs": CRS84,
            "links": [
                *self.self_links(path, html, layer.title),
                {"href": self.url(f"{path}/items", f="json"), "rel": "items", "type": GEOJSON,
                 "title": f"{layer.title} as GeoJSON"},
                {"href": self.url(f"{path}/items", f="html"), "rel": "items", "type": HTML,
                 "title": f"{layer.title} as HTML"},
                {"href": self.url(f"{path}/queryables"), "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 "type": SCHEMA, "title": f"What {layer.title} can be filtered by"},
            ],
            "geometryType": layer.geometry_type(),
            "style": layer.style.as_dict(),
        }
        if layer.cheap_to_count:
            extent = layer.rows_for(self.viewer.user).aggregate(extent=Extent(layer.geometry))["extent"]
            if extent:
                description["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
        return description

    @guard
    def items(self, collection_id: str, params: Mapping[str, str], accept: str = "") -> Response:
        layer = self.layer(collection_id)
        check_parameters(params, (*PARAMETERS["items"], *layer.properties))
        html = wants_html(params, accept)
        limit = features.parse_limit(params.get("limit"), default=DEFAULT_LIMIT, maximum=MAXIMUM_LIMIT)
        # HTML pages draw their map in CRS84 whatever was asked.
        output = crs_module.DEFAULT if html else self.requested_crs(params, "crs")
        feature_filter = self.feature_filter(layer, params)
        after = features.parse_id(layer, params["after"], parameter="after") if params.get("after") else None
        before = features.parse_id(layer, params["before"], parameter="before") if params.get("before") else None
        result = features.filtered_page(layer, feature_filter, user=self.viewer.user, limit=limit, after=after,
                                        before=before, crs=output)

        path = f"/collections/{layer.key}/items"
        kept = {key: value for key, value in params.items() if key not in PAGING and key != "f"}
        kept["limit"] = str(limit)
        paging = {key: params[key] for key in PAGING if params.get(key)}
        links = self.self_links(path, html, "This page", media_type=GEOJSON, **kept, **paging)
        if result.has_next and result.last_id is not None:
            links.append({"href": self.url(path, f="json", **kept, after=result.last_id), "rel": "next",
                          "type": GEOJSON, "title": "Next page"})
        if result.has_prev and result.first_id is not None:
            links.append({"href": self.url(path, f="json", **kept, before=result.first_id), "rel": "prev",
                          "type": GEOJSON, "title": "Previous page"})
        links.append({"href": self.url(f"/collections/{layer.key}", f="json"), "rel": "collection", "type": JSON,
                      "title": layer.title})
        envelope = {"type": "FeatureCollection", "links": links, "numberReturned": len(result.features)}
        matched = self.number_matched(layer, feature_filter, result, first_page=after is None and before is None)
        if matched is not None:
            envelope["numberMatched"] = matched

        if html:
            parsed = [json.loads(text) for text in result.features]
            context = {**envelope, "collection": self.describe(layer, html=True), "properties": list(layer.properties),
                       "rows": [{"id": f["id"], "values": [f["properties"][name] for name in layer.properties]}
                                for f in parsed],
                       "geojson": {"type": "FeatureCollection", "features": parsed}}
            return self.respond(200, context, html=True, template="layers/ogc/items.html")
        # The features are PostgreSQL's text, joined into the envelope without being parsed again.
        head = json.dumps(envelope)[:-1]
        body = f'{head}, "features": [{",".join(result.features)}]}}'
        return 200, {"Content-Type": GEOJSON, "Content-Crs": output.header}, body

    def feature_filter(self, layer: Layer, params: Mapping[str, str]) -> features.FeatureFilter:
        """The shared filters, with the bbox read in its bbox-crs: CRS84 as is, EPSG:4326 with its axes
        swapped, a projected CRS as the area PostGIS transforms it to."""
        box_crs = self.requested_crs(params, "bbox-crs")
        raw_box = params.get("bbox") or ""
        if box_crs.uri == CRS84 or not raw_box:
            return features.parse_filter(layer, params)
        without_box = features.parse_filter(layer, {name: params[name] for name in params if name != "bbox"})
        box = crs_module.parse_box(raw_box, box_crs)
        if box_crs.latitude_first:
            south, west, north, east = box
            return replace(without_box, bbox=parse_bbox(f"{west},{south},{east},{north}"))
        return replace(without_box, area=crs_module.box_in_storage(box, box_crs))

    def number_matched(self, layer: Layer, feature_filter, result: features.Page, *, first_page: bool) -> int | None:
        """How many features pass the filter: counted for layers cheap to count; for others, known without a
        count when the first page holds them all, else counted up to COUNT_AT_MOST and left out beyond."""
        if first_page and not result.has_next:
            return len(result.features)
        rows = features.filtered(layer, feature_filter, layer.rows_for(self.viewer.user))
        if layer.cheap_to_count:
            return rows.count()
        counted = rows.order_by().values(layer.id_path)[:COUNT_AT_MOST + 1].count()
        return counted if counted <= COUNT_AT_MOST else None

    @guard
    def item(self, collection_id: str, feature_id: str, params: Mapping[str, str], accept: str = "") -> Response:
        layer = self.layer(collection_id)
        check_parameters(params, PARAMETERS["item"])
        html = wants_html(params, accept)
        output = crs_module.DEFAULT if html else self.requested_crs(params, "crs")
        try:
            identifier = features.parse_id(layer, feature_id, parameter="featureId")
        except BadParameter:
            raise OGCError(404, "NotFound", f"Collection '{layer.key}' has no feature '{feature_id}'.") from None
        rows = features.feature_rows(layer, layer.rows_for(self.viewer.user).filter(**{layer.id_path: identifier})[:1],
                                     crs=output)
        if not rows:
            raise OGCError(404, "NotFound", f"Collection '{layer.key}' has no feature '{feature_id}'.")
        path = f"/collections/{layer.key}/items/{feature_id}"
        links = [
            *self.self_links(path, html, "This feature", media_type=GEOJSON),
            {"href": self.url(f"/collections/{layer.key}", f="json"), "rel": "collection", "type": JSON,
             "title": layer.title},
        ]
        if html:
            feature = json.loads(rows[0][1])
            context = {"feature": feature, "geojson": feature, "links": links, "feature_id": feature_id,
                       "collection": self.describe(layer, html=True)}
            return self.respond(200, context, html=True, template="layers/ogc/item.html")
        body = f'{rows[0][1][:-1]}, "links": {json.dumps(links)}}}'
        return 200, {"Content-Type": GEOJSON, "Content-Crs": output.header}, body
