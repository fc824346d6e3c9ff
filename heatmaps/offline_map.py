"""A standalone interactive map a planner can email or open on a laptop without a network.

folium writes the page and, by default, links Leaflet, jQuery, Bootstrap and Font Awesome from
CDNs: offline those fail and the map is blank. Here the map uses only Leaflet and Leaflet.heat,
and every script and style is put inside the file: Leaflet 1.9.3 from django-leaflet's static
files (folium's own version), Leaflet.heat from the folium package, Leaflet's images as data: URIs.
A script or stylesheet still pointing elsewhere is a programming error, and raises.
"""

import base64
import html
import json
import re
from functools import cache
from pathlib import Path

import folium
from django.contrib.staticfiles import finders
from folium.plugins import HeatMap

from heatmaps.figures import Figure, choropleth_geojson, density_points, hexgrid_geojson
from heatmaps.query import FigureQuery

PALETTE = ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"]
NO_VALUE = "#dfe3e6"
INLINE = "imbizo-inline:"  # the links folium writes, replaced by the files' contents
EXTERNAL_LOAD = re.compile(r"<script[^>]*\bsrc=|<link[^>]*\bhref=\"(?!data:)", re.IGNORECASE)


def _static(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} not found (is django-leaflet installed?)")
    return Path(found).read_text(encoding="utf-8")


@cache
def _inline_files() -> dict[str, str]:
    leaflet_css = _static("leaflet/leaflet.css")
    images = Path(finders.find("leaflet/images/layers.png")).parent

    def data_uri(match):
        content = (images / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(content).decode()})"

    return {
        "leaflet.js": _static("leaflet/leaflet.js"),
        "leaflet.css": re.sub(r"url\(images/([\w@-]+\.png)\)", data_uri, leaflet_css),
        "leaflet-heat.js": (Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js").read_text(encoding="utf-8"),
    }


def class_breaks(values: list) -> list[float]:
    """Quantile class breaks of the distinct values, as the dashboard draws them (at most 5 classes)."""
    distinct = sorted({v for v in values if v is not None})
    classes = min(len(PALETTE), len(distinct))
    return sorted({distinct[(k * len(distinct)) // classes] for k in range(1, classes)}) if distinct else []


def colour_of(value, breaks: list[float]) -> str:
    if value is None:
        return NO_VALUE
    index = sum(1 for b in breaks if value >= b)
    return PALETTE[max(0, len(PALETTE) - len(breaks) - 1 + index)]


def range_label(low, high, *, last: bool, whole: bool) -> str:
    """A class of the legend: whole numbers run low to high - 1 (the last to high); others low to under high."""
    if whole:
        top = high if last else high - 1
        return f"{low:,}" if low == top else f"{low:,}–{top:,}"
    return f"{low:,.2f} to {'' if last else 'under '}{high:,.2f}"


def _legend(title: str, breaks: list[float], values: list) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return f"<b>{html.escape(title)}</b><br>Nothing in this period"
    whole = all(isinstance(v, int) for v in present)
    bounds = [min(present), *breaks, max(present)]
    rows = [f"<b>{html.escape(title)}</b>"]
    for k in range(len(breaks) + 1):
        rows.append(f'<i style="background:{colour_of(bounds[k], breaks)}"></i>'
                    f"{range_label(bounds[k], bounds[k + 1], last=k == len(breaks), whole=whole)}")
    if len(present) < len(values):
        rows.append(f'<i style="background:{NO_VALUE}"></i>No value (nothing to measure)')
    return "<br>".join(rows)


def offline_map_html(query: FigureQuery, figure: Figure, *, hex_size: int = 500) -> str:
    areas = json.loads(choropleth_geojson(query, figure))
    hexes = json.loads(hexgrid_geojson(query, hex_size))
    density = density_points(query, 250)
    municipality = query.municipality
    extent = municipality.boundary.extent if municipality.boundary else (28.18, -26.68, 28.86, -26.17)

    folium_map = folium.Map(location=[(extent[1] + extent[3]) / 2, (extent[0] + extent[2]) / 2], zoom_start=10,
                            tiles=None, control_scale=True, prefer_canvas=False)
    folium_map.default_js = [("leaflet", INLINE + "leaflet.js")]
    folium_map.default_css = [("leaflet_css", INLINE + "leaflet.css")]
    folium_map.fit_bounds([[extent[1], extent[0]], [extent[3], extent[2]]])

    area_values = [f["properties"]["value"] for f in areas["features"]]
    area_breaks = class_breaks(area_values)
    level = "Ward" if query.level == "ward" else "Suburb"
    folium.GeoJson(
        areas, name=f"{figure.label} per {level.lower()}",
        style_function=lambda f: {"fillColor": colour_of(f["properties"]["value"], area_breaks), "color": "#4a5560",
                                  "weight": 1.2, "fillOpacity": 0.78},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value"], aliases=[level, figure.label]),
    ).add_to(folium_map)

    hex_values = [f["properties"]["issues"] for f in hexes["features"]]
    hex_breaks = class_breaks(hex_values)
    folium.GeoJson(
        hexes, name=f"Issues logged per {hex_size} m hexagon", show=False,
        style_function=lambda f: {"fillColor": colour_of(f["properties"]["issues"], hex_breaks), "color": "#7f2704",
                                  "weight": 0.5, "fillOpacity": 0.85},
        tooltip=folium.GeoJsonTooltip(fields=["issues"], aliases=["Issues"]),
    ).add_to(folium_map)

    if density["points"]:
        heat = HeatMap([[lat, lon, n / density["max"]] for lat, lon, n in density["points"]], name="Density of issues",
                       radius=16, blur=18, min_opacity=0.25, max_zoom=13, show=False)
        heat.default_js = [("leaflet-heat.js", INLINE + "leaflet-heat.js")]
        heat.add_to(folium_map)
    folium.LayerControl(collapsed=False).add_to(folium_map)

    period = f"{query.first_day:%d %b %Y} to {query.last_day:%d %b %Y}"
    filters = "; ".join(f"{name}: {', '.join(map(str, values))}" for name, values in query.describe()["filters"].items())
    root = folium_map.get_root()
    root.header.add_child(folium.Element(f"<title>{html.escape(municipality.title)}: {html.escape(figure.label)}</title>"))
    root.html.add_child(folium.Element(
        '<div class="imbizo-legend" style="position:fixed;bottom:28px;right:10px;z-index:1000;background:#fff;'
        'padding:8px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px/1.45 system-ui,sans-serif;'
        f'max-width:18rem"><b>{html.escape(municipality.title)}</b><br>{html.escape(period)}'
        f'{"<br>" + html.escape(filters) if filters else ""}<br><br>{_legend(figure.label, area_breaks, area_values)}'
        '<style>.imbizo-legend i{display:inline-block;width:14px;height:10px;margin-right:6px;'
        'border:1px solid #7d8b96}</style></div>'))
    return inline_resources(root.render())


def inline_resources(page: str) -> str:
    """Put every INLINE script and stylesheet inside the page; refuse any other external load."""
    files = _inline_files()

    def script(match):
        return "<script>" + files[match.group(1)].replace("</script", "<\\/script") + "</script>"

    def style(match):
        return "<style>" + files[match.group(1)] + "</style>"

    page = re.sub(r'<script src="' + re.escape(INLINE) + r'([\w.-]+)"></script>', script, page)
    page = re.sub(r'<link rel="stylesheet" href="' + re.escape(INLINE) + r'([\w.-]+)"/>', style, page)
    outside = EXTERNAL_LOAD.search(page)
    if outside:
        start = outside.start()
        raise RuntimeError(f"the offline map would still load a resource: {page[start:start + 160]}")
    return page
