"""Open311's XML format: the same structure as the JSON answer, list items named by
``georeport.LIST_ITEMS``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fieldaudit.open311.georeport import (
    LIST_ITEMS,
)
from fieldaudit.plain_text import clean_xml_tree


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        child = LIST_ITEMS[name]
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any, item: str | None = None) -> bytes:
    """Encode a response as Open311 XML: ``<root><item>...</item></root>`` or ``<root>...</root>``.

    ``value`` is a list of records (with ``item`` naming each) or one record; None becomes an
    empty element, booleans become true/false.
    """
    element = ET.Element(root)
    if isinstance(value, list):
        assert item is not None
        for record in value:
            _append(element, item, record)
    else:
        for key, child in value.items():
            _append(element, key, child)
    clean_xml_tree(element)  # text stored before control characters were refused, echoed input
    ET.indent(element, space="  ")
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")
