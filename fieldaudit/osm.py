"""Herlev's public spaces from OpenStreetMap: the Overpass query and parsing its answer."""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shapely.errors import GEOSException
from shapely.geometry import LineString, Polygon
from shapely.ops import polygonize, unary_union

from fieldaudit.area_import import AreaFileError, checked_polygons
from fieldaudit.areas import AreaFeature, as_multipolygon
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.plain_text import clean_line, clean_text

OVERPASS_URL = "https://overpass-api.de/api/interpreter"
PATH_HALF_WIDTH_M = 3.0
OSM_SOURCE = "© OpenStreetMap-bidragydere, ODbL"

# (OSM key, value) -> FieldAudit area kind, in order of preference.
OSM_KINDS: tuple[tuple[str, str, str], ...] = (
    ("leisure", "playground", "playground"),
    ("leisure", "park", "park"),
    ("leisure", "garden", "park"),
    ("leisure", "nature_reserve", "nature_area"),
    ("landuse", "recreation_ground", "park"),
    ("place", "square", "square"),
    ("highway", "pedestrian", "square"),
    ("highway", "footway", "path"),
    ("highway", "path", "path"),
    ("highway", "cycleway", "path"),
)
AREA_IMPORTANCE = {"square": 1.5, "park": 1.0, "playground": 0.9, "nature_area": 1.0, "path": 0.8}


def overpass_query(bbox: tuple[float, float, float, float] = HERLEV_BBOX_WGS84) -> str:
    """Build the Overpass QL query for Herlev's parks, playgrounds, squares and named paths."""
    min_lon, min_lat, max_lon, max_lat = bbox
    frame = f"({min_lat},{min_lon},{max_lat},{max_lon})"
    parts = [
        f'  nwr["leisure"~"^(park|playground|garden|nature_reserve)$"]{frame};',
        f'  nwr["landuse"="recreation_ground"]{frame};',
        f'  nwr["place"="square"]{frame};',
        f'  way["highway"="pedestrian"]["area"="yes"]{frame};',
        f'  relation["highway"="pedestrian"]{frame};',
        f'  way["highway"~"^(footway|path|cycleway|pedestrian)$"]["name"]{frame};',
    ]
    return "[out:json][timeout:60];\n(\n" + "\n".join(parts) + "\n);\nout geom;\n"


def fetch(query: str, url: str = OVERPASS_URL, timeout: float = 90.0) -> dict[str, Any]:
    """Send a query to an Overpass server and return its JSON answer (AreaFileError if bad)."""
    data = urllib.parse.urlencode({"data": query}).encode()
    request = urllib.request.Request(url, data=data, headers={"User-Agent": "FieldAudit/0.1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return _decoded(lambda: response.read().decode("utf-8"), url)


def load_answer(path: Path) -> dict[str, Any]:
    """Read a saved Overpass answer (AreaFileError if it is not one)."""
    try:
        return _decoded(lambda: path.read_text(encoding="utf-8"), path.name)
    except OSError as exc:
        raise AreaFileError(f"{path.name}: cannot be read ({exc.strerror}).") from None


def _decoded(read: Callable[[], str], source: str) -> dict[str, Any]:
    try:
        answer = json.loads(read())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise AreaFileError(f"{source}: not a readable Overpass answer ({reason}).") from None
    return _elements_answer(answer, source)


def _elements_answer(answer: Any, source: str = "the answer") -> dict[str, Any]:
    if not isinstance(answer, dict) or not isinstance(answer.get("elements"), list):
        raise AreaFileError(f"{source}: not an Overpass answer (no list of 'elements').")
    return answer


def _text(value: Any) -> str:
    """A tag value or name: the string, or '' for anything else (numbers, lists, null)."""
    return value if isinstance(value, str) else ""


def _tags(element: dict[str, Any]) -> dict[str, str]:
    tags = element.get("tags")
    if not isinstance(tags, dict):
        return {}
    return {key: value for key, value in tags.items() if isinstance(value, str)}


def _kind(tags: dict[str, str]) -> str | None:
    for key, value, kind in OSM_KINDS:
        if tags.get(key) == value:
            return kind
    return None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and -limit <= number <= limit else None


def _ring(points: Any) -> list[tuple[float, float]] | None:
    """The (lon, lat) points of an 'out geom' list, or None unless there are 2+ sound ones."""
    if not isinstance(points, list) or len(points) < 2:
        return None
    coords = []
    for point in points:
        if not isinstance(point, dict):
            return None
        lon, lat = _coordinate(point.get("lon"), 180.0), _coordinate(point.get("lat"), 90.0)
        if lon is None or lat is None:
            return None
        coords.append((lon, lat))
    return coords


def _member_lines(element: dict[str, Any], roles: tuple[str, ...]) -> list[LineString] | None:
    """The member ways of a relation with these roles as lines; None if one is malformed."""
    members = element.get("members", [])
    if not isinstance(members, list):
        return None
    lines = []
    for member in members:
        if not isinstance(member, dict) or member.get("type") != "way":
            continue
        if member.get("role", "") not in roles:
            continue
        coords = _ring(member.get("geometry"))
        if coords is None:
            return None
        lines.append(LineString(coords))
    return lines


def _way_geometry(element: dict[str, Any], kind: str, tags: dict[str, str]) -> Any:
    coords = _ring(element.get("geometry"))
    if coords is None:
        return None
    closed = coords[0] == coords[-1] and len(coords) >= 4
    if kind == "path" and not (closed and tags.get("area") == "yes"):
        line = reproject(LineString(coords), WGS84, METRIC)
        return line.buffer(PATH_HALF_WIDTH_M, cap_style="flat")
    return reproject(Polygon(coords), WGS84, METRIC) if closed else None


def _relation_geometry(element: dict[str, Any]) -> Any:
    lines = _member_lines(element, ("outer", ""))
    inner = _member_lines(element, ("inner",))
    if not lines or inner is None:
        return None
    outer = unary_union(list(polygonize(unary_union(lines))))
    if outer.is_empty:
        return None
    if inner:
        outer = outer.difference(unary_union(list(polygonize(unary_union(inner)))))
    return reproject(outer, WGS84, METRIC)


def _geometry(element: dict[str, Any], kind: str, tags: dict[str, str]) -> Any:
    """Return the element's geometry in EPSG:25832, or None."""
    try:
        if element.get("type") == "way":
            return _way_geometry(element, kind, tags)
        if element.get("type") == "relation":
            return _relation_geometry(element)
    except (GEOSException, ValueError, TypeError):
        return None
    return None


def _label(element: dict[str, Any]) -> str:
    kind, number = element.get("type"), element.get("id")
    kind = kind[:20] if isinstance(kind, str) else "?"
    number = str(number)[:30] if isinstance(number, int | str) else "?"
    return f"{kind}/{number}"


def parse_overpass(answer: Any) -> tuple[list[AreaFeature], list[str]]:
    """Turn an Overpass JSON answer into areas; return them and the reasons for skipped elements.

    Each polygon passes ``area_import.checked_polygons`` (the file importer's rule); an answer
    that is not an Overpass answer at all raises AreaFileError.
    """
    features: dict[tuple[str, str], AreaFeature] = {}
    skipped: list[str] = []
    for element in _elements_answer(answer)["elements"]:
        if not isinstance(element, dict):
            skipped.append("an element that is not an object")
            continue
        tags = _tags(element)
        kind = _kind(tags)
        label = _label(element)
        if kind is None:
            skipped.append(f"{label}: no area kind in its tags")
            continue
        polygons, reason = checked_polygons(_geometry(element, kind, tags))
        if polygons is None:
            skipped.append(f"{label}: {reason}")
            continue
        # Anyone can edit OpenStreetMap: control characters are stripped (see ``plain_text``).
        name = clean_line(_text(tags.get("name"))) or f"{kind} (OSM {label})"
        key = (name, kind)
        if key in features:  # a named path split into several ways: join them
            joined = as_multipolygon(unary_union([features[key].geometry, polygons]))
            features[key] = AreaFeature(**{**features[key].__dict__, "geometry": joined})
            continue
        features[key] = AreaFeature(
            name=name[:200],
            kind=kind,
            geometry=polygons,
            importance=AREA_IMPORTANCE.get(kind, 1.0),
            description=clean_text(_text(tags.get("description")))[:2000],
            source=f"{OSM_SOURCE}, {label}",
        )
    return list(features.values()), skipped
