"""The municipality's public notices (notices app): active, published notices with their target areas."""

from layers.registry import Layer, Style, register
from notices.notice import Notice

register(Layer(
    key="notices",
    title="Notices",
    description="Public notices still in force (water and power interruptions, road closures, meetings, "
                "emergencies), each with the area it concerns. Drafts and cancelled notices are never published.",
    queryset=lambda: Notice.objects.active(),
    geometry="area",
    properties={"title": "title", "kind": "kind", "severity": "severity", "municipality": "municipality__code",
                "starts_at": "starts_at", "ends_at": "ends_at", "publish_at": "publish_at", "expires_at": "expires_at"},
    datetime_field="publish_at",
    style=Style(stroke="#b3261e", fill="#f28b82", fill_opacity=0.25, label="title", classify_by="severity"),
    keywords=("notices", "outages", "closures"),
))
