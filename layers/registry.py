"""The layer registry: the one place that says what Imbizo publishes.

A layer is declared once in `layers/published/` (one module per app whose data it reads):

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
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Field, Model, QuerySet

from toolkit.conf import storage_srid

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
    # Colour by a published property: classify_by names it, classes give (value, legend label, colour);
    # features with another value take `fill`.
    classify_by: str | None = None
    classes: tuple[tuple[str, str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        described = {"stroke": self.stroke, "stroke-width": self.stroke_width, "fill": self.fill,
                     "fill-opacity": self.fill_opacity, "label": self.label,
                     "minzoom": self.min_zoom, "maxzoom": self.max_zoom}
        if self.classify_by:
            described["classify-by"] = self.classify_by
            described["classes"] = [{"value": value, "label": label, "colour": colour}
                                    for value, label, colour in self.classes]
        return described


@dataclass(frozen=True)
class TileRules:
    """How a layer is cut into vector tiles at each zoom (layers/tiles.py).

    aggregate_below: below this zoom a point layer is drawn as one feature per grid cell of the tile,
        carrying `count` (how many features it stands for), so a z10 tile over a million issues holds a few
        hundred cells instead of half a million points. None: always drawn feature by feature.
    cell_pixels: the side of a cell, in pixels of a 256-pixel tile; a divisor of 256, so cells never
        straddle two tiles and the counts of neighbouring tiles add up.
    summary: the published properties tiles carry below `full_from` (where a feature is a dot to colour,
        not something to read); None: all of them at every zoom.
    full_from: from this zoom on, tiles carry every published property.
    grid_index: the layer's table has a btree on the points' Web Mercator grid code (layers_grid_code, see
        layers/migrations/0002_issue_tile_grid_index.py) carrying every column the layer's rows filter on:
        every tile then reads one key range of that index; aggregated tiles (z12 and below) and, when the index
        also carries what the summary properties read (0003 for the issues), the summary zooms read nothing else.
    """

    aggregate_below: int | None = None
    cell_pixels: int = 16
    summary: tuple[str, ...] | None = None
    full_from: int = 0
    grid_index: bool = False


@dataclass(frozen=True)
class Layer:
    """One published layer.

    key: the collection id in URLs (`/ogc/collections/<key>`, `/tiles/<key>/...`); lower case.
    queryset: a callable returning the rows to publish (called per request, so it is never stale).
    geometry: the geometry field, in the storage SRID with a GiST index on the column itself.
    id_field: a unique, ordered field; feature ids and keyset paging use it.
    properties: published name -> ORM path (related paths allowed: "municipality__code").
    datetime_field: an ORM path to a datetime, for the `datetime` filter; None when untimed.
    public: False keeps the layer to staff (anonymous 401, other users 403).
    permission: for a staff layer, the permission ("app_label.codename") a staff member's role needs
        to read it; None: any staff member.
    cheap_to_count: numberMatched and the extent are computed on each request only when True
        (areas: yes; a million issues: declare False).
    tiles: aggregation and trimmed properties per zoom for vector tiles (TileRules).
    restrict: for staff layers, the rows one person may see: restrict(rows, user) -> rows (e.g. the issues
        of their own municipality). Every edge applies it through rows_for(user); the command line (an
        operator on the server) passes no user and reads everything.
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
    tiles: TileRules = field(default_factory=TileRules)
    restrict: Callable[[QuerySet, Any], QuerySet] | None = None
    permission: str | None = None
    # A geometry column declared as any Geometry may hold one kind only in this layer's rows (e.g. the
    # point assets): say which, for GIS tools that need one type per layer.
    geometry_kind: str | None = None

    @cached_property
    def model(self) -> type[Model]:
        # Cached: every field lookup needs the model, and building the queryset to learn it costs 0.6 ms.
        return self.queryset().model

    @property
    def id_path(self) -> str:
        return self.model._meta.pk.name if self.id_field == "pk" else self.id_field

    def field(self, path: str) -> Field:
        return resolve_path(self.model, path)[-1]

    def geometry_type(self) -> str:
        """The OGC simple-feature type name of the geometry column, e.g. MultiPolygon."""
        return self.geometry_kind or GEOMETRY_TYPES[self.field(self.geometry).geom_type]

    def visible_to(self, user) -> bool:
        if self.public:
            return True
        if user is None or not user.is_authenticated or not user.is_staff:
            return False
        return self.permission is None or user.has_perm(self.permission)

    def rows_for(self, user) -> QuerySet:
        """The layer's rows as `user` may see them (None: everything, for the command line)."""
        rows = self.queryset()
        if self.restrict is not None and user is not None:
            rows = self.restrict(rows, user)
        return rows

    def tile_properties(self, zoom: int) -> dict[str, str]:
        """The published properties vector tiles carry at `zoom`."""
        if self.tiles.summary is None or zoom >= self.tiles.full_from:
            return dict(self.properties)
        return {name: self.properties[name] for name in self.tiles.summary}

    def aggregated_at(self, zoom: int) -> bool:
        return self.tiles.aggregate_below is not None and zoom < self.tiles.aggregate_below


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
    if layer.geometry_kind and layer.geometry_kind not in GEOMETRY_TYPES.values():
        raise ImproperlyConfigured(
            f"{where}: geometry_kind '{layer.geometry_kind}' is not one of {sorted(GEOMETRY_TYPES.values())}."
        )
    if geometry[0].srid != storage_srid():
        raise ImproperlyConfigured(f"{where}: the geometry must be stored in the storage SRID, EPSG:{storage_srid()}.")
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
    if layer.style.classify_by and layer.style.classify_by not in layer.properties:
        raise ImproperlyConfigured(f"{where}: the style colours by '{layer.style.classify_by}', which is not published.")
    unknown = set(layer.tiles.summary or ()) - set(layer.properties)
    if unknown:
        raise ImproperlyConfigured(f"{where}: the tile summary names {sorted(unknown)}, which are not published.")
    if layer.tiles.aggregate_below is not None:
        if layer.geometry_type() != "Point":
            raise ImproperlyConfigured(f"{where}: only point layers are aggregated in tiles.")
        if layer.tiles.cell_pixels <= 0 or 256 % layer.tiles.cell_pixels:
            raise ImproperlyConfigured(f"{where}: cell_pixels must divide 256 (cells must not straddle tiles).")


def _is_user_model(model) -> bool:
    return model is not None and model._meta.label == settings.AUTH_USER_MODEL


registry = LayerRegistry()


def register(layer: Layer) -> Layer:
    return registry.register(layer)
