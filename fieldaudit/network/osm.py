"""Herlev's walking network from OpenStreetMap: the Overpass query and its answer as lines.

Reading and checking the answer is ``fieldaudit.osm``'s (the areas' importer): the same
fetch, saved-answer reader and coordinate checks; ways become ``NetworkLine``s with their tags
as facts, and the kerb nodes on them (``kerb=*``, ``barrier=kerb``) are put on the line that
crosses each (``kerbs.py``).
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString, Point

from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.network.kerbs import KerbNode, apply_kerbs, kerb_from_tags
from fieldaudit.network.lines import NetworkLine, checked_lines, facts_from
from fieldaudit.osm import _coordinate, _elements_answer, _label, _ring, _tags

WALKABLE = (
    "footway|path|pedestrian|steps|living_street|residential|service|track|cycleway|"
    "unclassified|tertiary|secondary|primary|crossing"
)


def network_query(bbox: tuple[float, float, float, float] = HERLEV_BBOX_WGS84) -> str:
    """The Overpass QL query for every way people walk on in Herlev (motorways left out) and
    the kerb nodes on them."""
    min_lon, min_lat, max_lon, max_lat = bbox
    frame = f"({min_lat},{min_lon},{max_lat},{max_lon})"
    return (
        "[out:json][timeout:120];\n"
        f'way["highway"~"^({WALKABLE})$"]["foot"!="no"]["access"!="private"]{frame}->.ways;\n'
        ".ways out geom;\n"
        '(\n  node(w.ways)["kerb"];\n  node(w.ways)["barrier"="kerb"];\n);\nout;\n'
    )


def parse_network_answer(answer: Any) -> tuple[list[NetworkLine], list[str]]:
    """Turn an Overpass answer into network lines; return them and the reasons for skips.

    An answer that is not an Overpass answer raises AreaFileError (as for areas)."""
    elements = _elements_answer(answer)["elements"]
    lines: list[NetworkLine] = []
    skipped: list[str] = []
    kerbs: dict[int, str] = {}
    found: list[KerbNode] = []
    for element in elements:
        if isinstance(element, dict) and element.get("type") == "node":
            kerb = _kerb_node(element)
            if kerb is not None:
                kerbs[len(found)] = _label(element)
                found.append(kerb)
            continue
        if not isinstance(element, dict) or element.get("type") != "way":
            continue
        tags = _tags(element)
        label = _label(element)
        if not tags.get("highway"):
            skipped.append(f"{label}: no highway tag")
            continue
        coords = _ring(element.get("geometry"))
        if coords is None:
            skipped.append(f"{label}: no usable geometry")
            continue
        parts, reason = checked_lines(reproject(LineString(coords), WGS84, METRIC))
        if not parts:
            skipped.append(f"{label}: {reason}")
            continue
        record = {**tags, "ref": f"osm {label}"}
        facts = facts_from(record)
        lines.extend(NetworkLine(part, facts, _osm_layer(tags)) for part in parts)
    lines, unplaced = apply_kerbs(lines, found)
    skipped.extend(f"{kerbs[found.index(k)]}: a kerb on none of the ways" for k in unplaced)
    return lines, skipped


def _kerb_node(element: dict[str, Any]) -> KerbNode | None:
    """A kerb node of the answer (EPSG:25832), or None if it is no kerb or has no position."""
    kerb = kerb_from_tags(_tags(element))
    lon, lat = _coordinate(element.get("lon"), 180.0), _coordinate(element.get("lat"), 90.0)
    if kerb is None or lon is None or lat is None:
        return None
    return KerbNode(reproject(Point(lon, lat), WGS84, METRIC), *kerb)


def _osm_layer(tags: dict[str, str]) -> int:
    try:
        layer = int(tags.get("layer", "0"))
    except ValueError:
        layer = 0
    if layer == 0 and tags.get("bridge", "no") != "no":
        return 1
    if layer == 0 and tags.get("tunnel", "no") != "no":
        return -1
    return max(-5, min(5, layer))
