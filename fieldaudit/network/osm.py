"""Herlev's walking network from OpenStreetMap: the Overpass query and its answer as lines.

Reading and checking the answer is ``fieldaudit.osm``'s (the areas' importer): the same
fetch, saved-answer reader and coordinate checks; ways become ``NetworkLine``s with their tags
as facts (``kerb`` is read where it is tagged on the way; kerb nodes are not read yet).
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString

from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.network.lines import NetworkLine, checked_lines, facts_from
from fieldaudit.osm import _elements_answer, _label, _ring, _tags

WALKABLE = (
    "footway|path|pedestrian|steps|living_street|residential|service|track|cycleway|"
    "unclassified|tertiary|secondary|primary|crossing"
)


def network_query(bbox: tuple[float, float, float, float] = HERLEV_BBOX_WGS84) -> str:
    """The Overpass QL query for every way people walk on in Herlev (motorways left out)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    frame = f"({min_lat},{min_lon},{max_lat},{max_lon})"
    return (
        "[out:json][timeout:120];\n(\n"
        f'  way["highway"~"^({WALKABLE})$"]["foot"!="no"]["access"!="private"]{frame};\n'
        ");\nout geom;\n"
    )


def parse_network_answer(answer: Any) -> tuple[list[NetworkLine], list[str]]:
    """Turn an Overpass answer into network lines; return them and the reasons for skips.

    An answer that is not an Overpass answer raises AreaFileError (as for areas)."""
    elements = _elements_answer(answer)["elements"]
    lines: list[NetworkLine] = []
    skipped: list[str] = []
    for element in elements:
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
    return lines, skipped


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
