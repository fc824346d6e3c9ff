"""A ready QGIS 3 project (.qgs, or zipped as .qgz) that adds the platform's OGC API - Features
layers with the registry's style hints: issues coloured by status, areas outlined, labels.

Framework-free: build_project(base_url=..., layers=..., extent=...) returns the XML as bytes. Each
layer uses QGIS's OAPIF provider (the "OGC API - Features" connection) on `<base_url>/ogc`, asking
only for the features in view (restrictToRequestBBOX), so the million issues stay on the server.
The project is in Web Mercator (EPSG:3857), the layers in WGS 84, as the server stores them.

Written for QGIS 3.22 (Debian 12) and later: symbol properties are given both as 3.22's <prop>
and as the <Option> map newer versions read.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from xml.etree import ElementTree as ET

from django.contrib.gis.gdal import SpatialReference

from layers.registry import Layer, Style

QGIS_VERSION = "3.22.16-Białowieża"
PROJECT_SRID = 3857
LAYER_SRID = 4326  # OGC API Features serves CRS84 (longitude/latitude), EPSG:4326 to QGIS
# QGIS's names for the geometry of a layer: (geometry attribute, wkbType).
GEOMETRY = {
    "Point": ("Point", "Point"), "MultiPoint": ("Point", "MultiPoint"),
    "LineString": ("Line", "LineString"), "MultiLineString": ("Line", "MultiLineString"),
    "Polygon": ("Polygon", "Polygon"), "MultiPolygon": ("Polygon", "MultiPolygon"),
}
# Label placement (QgsPalLayerSettings::Placement): over the centroid for areas, around the point for points.
PLACEMENT = {"Point": "0", "Line": "2", "Polygon": "1"}


def rgba(colour: str | None, opacity: float = 1.0) -> str:
    """'#1f5f8b' -> '31,95,139,255' (QGIS's colour strings); None is fully transparent."""
    if not colour:
        return "0,0,0,0"
    red, green, blue = (int(colour.lstrip("#")[index:index + 2], 16) for index in (0, 2, 4))
    return f"{red},{green},{blue},{round(255 * opacity)}"


def spatialrefsys(parent: ET.Element, srid: int) -> ET.Element:
    reference = SpatialReference(srid)
    element = ET.SubElement(parent, "spatialrefsys")
    for tag, text in (("wkt", reference.wkt), ("proj4", reference.proj.strip()), ("srsid", ""), ("srid", str(srid)),
                      ("authid", f"EPSG:{srid}"), ("description", reference.name), ("projectionacronym", ""),
                      ("ellipsoidacronym", ""), ("geographicflag", "true" if reference.geographic else "false")):
        ET.SubElement(element, tag).text = text
    return element


def project_properties(root: ET.Element) -> None:
    """The <properties> block QGIS keeps its project settings in: the project CRS switched on, and
    distances measured on the WGS 84 ellipsoid in metres."""
    properties = ET.SubElement(root, "properties")
    reference = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(reference, "ProjectionsEnabled", type="int").text = "1"
    ET.SubElement(reference, "ProjectCrs", type="QString").text = f"EPSG:{PROJECT_SRID}"
    measure = ET.SubElement(properties, "Measure")
    ET.SubElement(measure, "Ellipsoid", type="QString").text = "EPSG:7030"
    ET.SubElement(ET.SubElement(properties, "Measurement"), "DistanceUnits", type="QString").text = "meters"


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    options = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(parent, "prop", k=name, v=value)
        ET.SubElement(options, "Option", name=name, type="QString", value=value)


def symbol(parent: ET.Element, name: str, kind: str, style: Style, fill: str | None = None) -> ET.Element:
    """One QGIS symbol: a circle for points, a line, or a fill with an outline."""
    fill = fill if fill is not None else style.fill
    qgis_type = {"Point": "marker", "Line": "line", "Polygon": "fill"}[kind]
    element = ET.SubElement(parent, "symbol", type=qgis_type, name=name, alpha="1", clip_to_extent="1",
                            force_rhr="0")
    if kind == "Point":
        layer = ET.SubElement(element, "layer", {"class": "SimpleMarker", "enabled": "1", "locked": "0", "pass": "0"})
        _properties(layer, {"name": "circle", "color": rgba(fill or style.stroke), "size": "2.4", "size_unit": "MM",
                            "outline_color": rgba(style.stroke), "outline_style": "solid",
                            "outline_width": str(style.stroke_width / 2), "outline_width_unit": "MM"})
    elif kind == "Line":
        layer = ET.SubElement(element, "layer", {"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"})
        _properties(layer, {"line_color": rgba(style.stroke), "line_width": str(style.stroke_width / 2),
                            "line_width_unit": "MM", "line_style": "solid", "capstyle": "round",
                            "joinstyle": "round"})
    else:
        layer = ET.SubElement(element, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
        _properties(layer, {"color": rgba(fill, style.fill_opacity), "style": "solid" if fill else "no",
                            "outline_color": rgba(style.stroke), "outline_style": "solid",
                            "outline_width": str(style.stroke_width / 2), "outline_width_unit": "MM"})
    return element


def renderer(parent: ET.Element, layer: Layer, kind: str) -> None:
    style = layer.style
    if style.classify_by:
        element = ET.SubElement(parent, "renderer-v2", type="categorizedSymbol", attr=style.classify_by,
                                forceraster="0", symbollevels="0", enableorderby="0")
        categories = ET.SubElement(element, "categories")
        symbols = ET.SubElement(element, "symbols")
        for index, (value, label, colour) in enumerate(style.classes):
            ET.SubElement(categories, "category", render="true", symbol=str(index), value=value, label=label)
            symbol(symbols, str(index), kind, style, fill=colour)
        # Anything else (a status added later) in the layer's own colour.
        ET.SubElement(categories, "category", render="true", symbol=str(len(style.classes)), value="", label="Other")
        symbol(symbols, str(len(style.classes)), kind, style)
        source = ET.SubElement(element, "source-symbol")
        symbol(source, "0", kind, style)
    else:
        element = ET.SubElement(parent, "renderer-v2", type="singleSymbol", forceraster="0", symbollevels="0",
                                enableorderby="0")
        symbol(ET.SubElement(element, "symbols"), "0", kind, style)


def labeling(parent: ET.Element, layer: Layer, kind: str) -> None:
    style = layer.style
    element = ET.SubElement(parent, "labeling", type="simple")
    settings = ET.SubElement(element, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=style.label, isExpression="0", fontFamily="Sans Serif",
                  fontSize="9" if kind == "Point" else "11", fontSizeUnit="Point", fontWeight="75" if kind != "Point" else "50",
                  textColor=rgba(style.stroke if kind != "Point" else "#222222"), textOpacity="1", multilineAlign="3")
    ET.SubElement(settings, "text-buffer", bufferDraw="1", bufferSize="1", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.8")
    ET.SubElement(settings, "placement", placement=PLACEMENT[kind], dist="1" if kind == "Point" else "0",
                  distUnits="MM", priority="5")
    # Points are labelled only close up (1:25,000 and nearer); areas at every scale.
    ET.SubElement(settings, "rendering", scaleVisibility="1" if kind == "Point" else "0", scaleMin="1",
                  scaleMax="25000", obstacle="1", fontLimitPixelSize="0", displayAll="0", upsidedownLabels="0")


def datasource(base_url: str, layer: Layer) -> str:
    """The OAPIF provider's URI for one collection."""
    return (f"pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' "
            f"srsname='EPSG:{LAYER_SRID}' typename='{layer.key}' url='{base_url}/ogc' version='OGC_API_FEATURES'")


def layer_id(layer: Layer) -> str:
    # Stable per layer key, so a re-downloaded project keeps the same ids.
    return f"{layer.key.replace('-', '_')}_{uuid.uuid5(uuid.NAMESPACE_URL, 'imbizo-layer:' + layer.key).hex[:12]}"


def drawing_order(layers: list[Layer]) -> list[Layer]:
    """Areas at the bottom, then lines, then points (issues on top); the registry's order within each."""
    rank = {"Polygon": 0, "Line": 1, "Point": 2}
    drawable = [layer for layer in layers if layer.geometry_type() in GEOMETRY]
    return sorted(drawable, key=lambda layer: rank[GEOMETRY[layer.geometry_type()][0]])


def build_project(*, base_url: str, layers: list[Layer], extent: tuple[float, float, float, float] | None,
                  title: str = "Imbizo") -> bytes:
    """The project XML. `extent` (west, south, east, north in WGS 84) is where the map opens."""
    base_url = base_url.rstrip("/")
    ordered = drawing_order(layers)
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    spatialrefsys(ET.SubElement(root, "projectCrs"), PROJECT_SRID)
    # QGIS reads <projectCrs> only when the project says it uses a CRS of its own; without this the
    # project opens in the first layer's CRS (WGS 84) and the saved Mercator extent lands nowhere.
    project_properties(root)

    # The legend lists the top-drawn layer first.
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for layer in reversed(ordered):
        ET.SubElement(tree, "layer-tree-layer", id=layer_id(layer), name=layer.title, providerKey="OAPIF",
                      source=datasource(base_url, layer), checked="Qt::Checked" if layer.public else "Qt::Unchecked",
                      expanded="1")

    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    box = ET.SubElement(canvas, "extent")
    west, south, east, north = _mercator_extent(extent)
    for tag, value in (("xmin", west), ("ymin", south), ("xmax", east), ("ymax", north)):
        ET.SubElement(box, tag).text = f"{value:.1f}"
    ET.SubElement(canvas, "rotation").text = "0"
    spatialrefsys(ET.SubElement(canvas, "destinationsrs"), PROJECT_SRID)
    # Where QGIS's "zoom to full extent" and a project opened without a canvas (QGIS Server) look.
    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    ET.SubElement(view, "Scales")
    default = ET.SubElement(view, "DefaultViewExtent", xmin=f"{west:.1f}", ymin=f"{south:.1f}",
                            xmax=f"{east:.1f}", ymax=f"{north:.1f}")
    spatialrefsys(default, PROJECT_SRID)

    project_layers = ET.SubElement(root, "projectlayers")
    for layer in ordered:
        kind, wkb_type = GEOMETRY[layer.geometry_type()]
        element = ET.SubElement(project_layers, "maplayer", type="vector", geometry=kind, wkbType=wkb_type,
                                labelsEnabled="1" if layer.style.label else "0", autoRefreshEnabled="0",
                                hasScaleBasedVisibilityFlag="0", readOnly="1")
        ET.SubElement(element, "id").text = layer_id(layer)
        ET.SubElement(element, "datasource").text = datasource(base_url, layer)
        ET.SubElement(element, "keywordList")
        ET.SubElement(element, "layername").text = layer.title
        ET.SubElement(element, "abstract").text = layer.description + (
            "" if layer.public else " Staff only: QGIS asks for your Imbizo email and password, or a layer token.")
        spatialrefsys(ET.SubElement(element, "srs"), LAYER_SRID)
        ET.SubElement(element, "provider", encoding="").text = "OAPIF"
        renderer(element, layer, kind)
        if layer.style.label:
            labeling(element, layer, kind)
        ET.SubElement(element, "blendMode").text = "0"
        ET.SubElement(element, "layerOpacity").text = "1"

    order = ET.SubElement(root, "layerorder")
    for layer in reversed(ordered):
        ET.SubElement(order, "layer", id=layer_id(layer))

    ET.indent(root)
    return (b"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n")


def zipped(project: bytes, name: str = "imbizo.qgs") -> bytes:
    """A .qgz: the .qgs inside a zip, as QGIS saves it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, project)
    return buffer.getvalue()


def _mercator_extent(extent: tuple[float, float, float, float] | None) -> tuple[float, float, float, float]:
    from django.contrib.gis.geos import Polygon

    if extent is None:  # nothing imported yet: South Africa
        extent = (16.3, -34.9, 33.0, -22.1)
    box = Polygon.from_bbox(extent)
    box.srid = LAYER_SRID
    box.transform(PROJECT_SRID)
    return box.extent
