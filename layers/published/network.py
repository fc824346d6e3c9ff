"""The municipal network and the public facilities, as published layers (see layers/registry.py).

Assets are points (streetlights, meters, hydrants, ...) or lines (mains, road segments) in one
column; GIS tools want one geometry type per layer, so they are published as two layers.
"""

from assets.models import Asset, AssetType, Facility
from layers.registry import Layer, Style, register

ASSET_PROPERTIES = {
    "external_id": "external_id",
    "type": "asset_type__code",
    "type_name": "asset_type__name",
    "municipality": "municipality__code",
    "status": "status",
    "is_generated": "is_generated",
}

register(Layer(
    key="assets",
    title="Municipal assets (points)",
    description="Streetlights, water meters, fire hydrants, manholes, refuse bins, traffic signals, ...: "
                "filter with ?type=streetlight.",
    queryset=lambda: Asset.objects.filter(asset_type__geometry_kind=AssetType.GeometryKind.POINT),
    geometry="geom",
    geometry_kind="Point",
    properties=ASSET_PROPERTIES,
    style=Style(stroke="#5b5b5b", stroke_width=0.4, fill="#f2c230", fill_opacity=1, min_zoom=14),
    keywords=("assets", "infrastructure"),
))

register(Layer(
    key="asset-lines",
    title="Municipal assets (lines)",
    description="Water mains and road segments: filter with ?type=water-main.",
    queryset=lambda: Asset.objects.filter(asset_type__geometry_kind=AssetType.GeometryKind.LINE),
    geometry="geom",
    geometry_kind="LineString",
    properties=ASSET_PROPERTIES,
    style=Style(stroke="#2b83ba", stroke_width=1.2, fill=None, fill_opacity=0, min_zoom=12),
    keywords=("assets", "infrastructure", "networks"),
))

register(Layer(
    key="facilities",
    title="Public facilities",
    description="Clinics, hospitals, libraries, police stations, municipal offices, pay points, schools, ...: "
                "filter with ?type=clinic. Phone and email are the facility's own public contacts.",
    queryset=lambda: Facility.objects.all(),
    geometry="location",
    properties={
        "name": "name",
        "type": "facility_type__code",
        "type_name": "facility_type__name",
        "municipality": "municipality__code",
        "address": "address",
        "phone": "phone",
        "email": "email",
        "opening_hours": "opening_hours",
        "source": "source",
        "is_generated": "is_generated",
    },
    style=Style(stroke="#ffffff", stroke_width=0.4, fill="#1a9641", fill_opacity=1, label="name", min_zoom=10),
    keywords=("facilities", "services", "health"),
))
