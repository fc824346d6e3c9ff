"""Open311 bodies as XML or JSON, from the same Python data.

The JSON is the XML read by the Spark convention (wiki.open311.org/JSON_and_XML_Conversion): a
list becomes a bare array, and in XML a wrapper element named for the list holding one element per
item (`<services><service>…`). The item names below are the spec's; a list under any other key
would be a bug, so it raises rather than invent a name.

XML: UTF-8, an XML declaration, no namespace; None is an empty element, booleans are true/false.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import orjson

XML_CONTENT_TYPE = "text/xml; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

# The element each list's items are written as, by the list's own element name.
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "service_requests_updates": "request_update",  # FixMyStreet's GET servicerequestupdates
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}

# Characters XML 1.0 cannot carry at all (control characters other than tab, newline, return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        item_name = LIST_ITEMS[name]
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = _text(value)


def render_xml(root: str, body) -> bytes:
    element = ET.Element(root)
    _fill(element, root, body)
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8")


def render_json(root: str, body) -> bytes:
    return orjson.dumps(body)


# Output formats by URL suffix: a registry, not an if-chain.
Renderer = Callable[[str, object], bytes]
FORMATS: dict[str, tuple[str, Renderer]] = {
    "xml": (XML_CONTENT_TYPE, render_xml),
    "json": (JSON_CONTENT_TYPE, render_json),
}
DEFAULT_FORMAT = "xml"  # the spec's required format; a URL without a suffix gets it


def render(format_name: str, root: str, body) -> tuple[str, bytes]:
    """(content type, bytes) of the body in the format."""
    content_type, renderer = FORMATS[format_name]
    return content_type, renderer(root, body)
