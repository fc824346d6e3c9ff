"""The areas Imbizo publishes (OGC API - Features, vector tiles, downloads): see layers/registry.py."""

from layers.registry import Layer, Style, register
from wards.models import Municipality, Suburb, Ward

register(Layer(
    key="municipalities",
    title="Municipalities",
    description="The municipalities served, with their boundaries (imported, or the union of the current wards).",
    queryset=lambda: Municipality.objects.exclude(boundary=None),
    geometry="boundary",
    id_field="code",
    properties={"code": "code", "name": "name", "display_name": "display_name"},
    style=Style(stroke="#333333", stroke_width=2.5, fill=None, fill_opacity=0, label="name"),
    keywords=("boundaries", "municipalities"),
))

register(Layer(
    key="wards",
    title="Wards (current demarcation)",
    description="The wards of each municipality's current demarcation.",
    queryset=lambda: Ward.objects.current(),
    geometry="geom",
    properties={"code": "code", "number": "number", "municipality": "municipality__code",
                "year": "boundary_set__year"},
    style=Style(stroke="#1f5f8b", label="number", min_zoom=8),
    keywords=("boundaries", "wards"),
))

register(Layer(
    key="ward-demarcations",
    title="Wards of every demarcation",
    description="Wards of every demarcation year, old ones included: filter with ?year=2011.",
    queryset=lambda: Ward.objects.all(),
    geometry="geom",
    properties={"code": "code", "number": "number", "municipality": "municipality__code",
                "year": "boundary_set__year", "current": "boundary_set__is_current"},
    style=Style(stroke="#7a4f9a", label="number", min_zoom=8),
    keywords=("boundaries", "wards", "demarcation"),
))

register(Layer(
    key="suburbs",
    title="Suburbs",
    description="Suburbs and townships within each municipality.",
    queryset=lambda: Suburb.objects.all(),
    geometry="geom",
    properties={"name": "name", "code": "code", "municipality": "municipality__code",
                "is_generated": "is_generated"},
    style=Style(stroke="#b5651d", fill="#f4a460", fill_opacity=0.2, label="name", min_zoom=10),
    keywords=("suburbs", "places"),
))
