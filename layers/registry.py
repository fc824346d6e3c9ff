"""The layer registry: the one place that says what Imbizo publishes.

An app publishes a layer by declaring it in its own `<app>/layers.py` (found by LayersConfig.ready):

    from layers.registry import Layer, Style, register

    register(Layer(
        key="facilities",
        title="Public facilities",
        queryset=lambda: Facility.objects.all(),
        geometry="location",
        properties={"name": "name", "type": "facility_type__code"},
    ))

Every way out (OGC API - Features, vector tiles, downloads) reads the same declaration, so a layer
declared once is served everywhere, with the same published properties and the same access rule.

Public layers never carry personal data: a public layer whose property path runs through the user
model is refused when it is registered, so the mistake stops the server starting, not a leak.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Field, Model, QuerySet

# Query parameters every way out already uses; a published property cannot take one of these names,
# because property filters are given as ?<property name>=<value>.
RESERVED_PARAMETERS = frozenset({
    "bbox", "bbox-crs", "crs", "datetime", "limit", "f", "after", "before", "format", "filter",
    "filter-lang", "properties", "sortby", "offset", "id", "geometry",
})
GEOMETRY_TYPES = {
    "GEOMETRY": "Geometry", "POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
KEY = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Style:
    """Hints for drawing the layer (a web map or a QGIS project may follow them, or not)."""

    stroke: str = "#1f5f8b"
    stroke_width: float = 1.5
    fill: str | None = "#1f5f8b"
    fill_opacity: float = 0.15
    label: str | None = None  # a published property to label features with
    min_zoom: int = 0
    max_zoom: int = 22

    def as_dict(self) -> dict[str, Any]:
        return {"stroke": self.stroke, "stroke-width": self.stroke_width, "fill": self.fill,
                "fill-opacity": self.fill_opacity, "label": self.label,
                "minzoom": self.min_zoom, "maxzoom": self.max_zoom}


@dataclass(frozen=True)
class Layer:
    """One published layer.

    key: the collection id in URLs (`/ogc/collections/<key>`, `/tiles/<key>/...`); lower case.
    queryset: a callable returning the rows to publish (called per request, so it is never stale).
    geometry: the geometry field, stored in EPSG:4326 with a GiST index on the column itself.
    id_field: a unique, ordered field; feature ids and keyset paging use it.
    properties: published name -> ORM path (related paths allowed: "municipality__code").
    datetime_field: an ORM path to a datetime, for the `datetime` filter; None when untimed.
    public: False keeps the layer to staff (anonymous 401, other users 403).
    cheap_to_count: numberMatched and the extent are computed on each request only when True
        (areas: yes; a million issues: declare False).
    """

    key: str
    title: str
    queryset: Callable[[], QuerySet]
    geometry: str
    properties: dict[str, str]
    id_field: str = "pk"
    description: str = ""
    datetime_field: str | None = None
    public: bool = True
    cheap_to_count: bool = True
    style: Style = field(default_factory=Style)
    keywords: tuple[str, ...] = ()

    @property
    def model(self) -> type[Model]:
        return self.queryset().model

    @property
    def id_path(self) -> str:
        return self.model._meta.pk.name if self.id_field == "pk" else self.id_field

    def field(self, path: str) -> Field:
        return resolve_path(self.model, path)[-1]

    def geometry_type(self) -> str:
        """The OGC simple-feature type name of the geometry column, e.g. MultiPolygon."""
        return GEOMETRY_TYPES[self.field(self.geometry).geom_type]

    def visible_to(self, user) -> bool:
        return self.public or bool(user is not None and user.is_authenticated and user.is_staff)


def resolve_path(model: type[Model], path: str) -> list[Field]:
    """The fields an ORM path walks through, or FieldDoesNotExist."""
    fields = []
    current = model
    for part in path.split("__"):
        name = current._meta.pk.name if part == "pk" else part
        found = current._meta.get_field(name)
        fields.append(found)
        if found.is_relation and found.related_model is not None:
            current = found.related_model
    return fields


class LayerRefused(Exception):
    """The layer does not exist, or the viewer may not see it: status 404, 401 or 403 with an
    OGC-style code, for each edge to render in its own way."""

    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


class LayerRegistry:
    def __init__(self):
        self._layers: dict[str, Layer] = {}

    def register(self, layer: Layer) -> Layer:
        validate(layer)
        if layer.key in self._layers and self._layers[layer.key] != layer:
            raise ImproperlyConfigured(f"Two layers are declared with the key '{layer.key}'.")
        self._layers[layer.key] = layer
        return layer

    def unregister(self, key: str) -> None:
        self._layers.pop(key, None)

    def get(self, key: str) -> Layer | None:
        return self._layers.get(key)

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers.values()))

    def visible_to(self, user) -> list[Layer]:
        return [layer for layer in self if layer.visible_to(user)]

    def get_for(self, key: str, viewer, *, noun: str = "layer") -> Layer:
        """The layer `key` if `viewer` may see it, else LayerRefused (404, 401 or 403)."""
        layer = self.get(key)
        if layer is None:
            raise LayerRefused(404, "NotFound", f"There is no {noun} '{key}'.")
        if not layer.visible_to(viewer):
            if not viewer.is_authenticated:
                raise LayerRefused(401, "NotAuthenticated", f"{noun.capitalize()} '{key}' is for staff: log in first.")
            raise LayerRefused(403, "Forbidden", f"{noun.capitalize()} '{key}' is for staff only.")
        return layer


def validate(layer: Layer) -> None:
    """Refuse a declaration that would fail at request time, or publish personal data."""
    where = f"layer '{layer.key}'"
    if not KEY.match(layer.key):
        raise ImproperlyConfigured(f"{where}: the key must be lower case letters, digits and hyphens.")
    model = layer.model
    try:
        geometry = resolve_path(model, layer.geometry)
        resolve_path(model, layer.id_path)
        if layer.datetime_field:
            resolve_path(model, layer.datetime_field)
    except FieldDoesNotExist as error:
        raise ImproperlyConfigured(f"{where}: {error}") from None
    if len(geometry) != 1 or not isinstance(geometry[0], GeometryField):
        raise ImproperlyConfigured(f"{where}: '{layer.geometry}' is not a geometry column of {model.__name__}.")
    if geometry[0].srid != 4326:
        raise ImproperlyConfigured(f"{where}: the geometry must be stored in EPSG:4326.")
    if layer.public and _is_user_model(model):
        raise ImproperlyConfigured(f"{where} is public and publishes people: public layers never carry personal data.")
    for name, path in layer.properties.items():
        if not IDENTIFIER.match(name) or name in RESERVED_PARAMETERS:
            raise ImproperlyConfigured(
                f"{where}: property name '{name}' must be a lower-case identifier and not one of the query parameters."
            )
        try:
            fields = resolve_path(model, path)
        except FieldDoesNotExist as error:
            raise ImproperlyConfigured(f"{where}, property '{name}': {error}") from None
        if layer.public and any(_is_user_model(f.related_model) or _is_user_model(f.model) for f in fields):
            raise ImproperlyConfigured(
                f"{where} is public, and property '{name}' ({path}) reads a person's record: public layers"
                " never carry personal data. Make the layer staff-only (public=False) or drop the property."
            )
    if layer.style.label and layer.style.label not in layer.properties:
        raise ImproperlyConfigured(f"{where}: the style labels with '{layer.style.label}', which is not published.")


def _is_user_model(model) -> bool:
    return model is not None and model._meta.label == settings.AUTH_USER_MODEL


registry = LayerRegistry()


def register(layer: Layer) -> Layer:
    return registry.register(layer)
