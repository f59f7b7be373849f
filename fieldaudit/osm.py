"""Herlev's public spaces from OpenStreetMap: the Overpass query and parsing its answer."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from shapely.geometry import LineString, Polygon
from shapely.ops import polygonize, unary_union

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
    """Send a query to an Overpass server and return its JSON answer."""
    data = urllib.parse.urlencode({"data": query}).encode()
    request = urllib.request.Request(url, data=data, headers={"User-Agent": "FieldAudit/0.1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def _kind(tags: dict[str, str]) -> str | None:
    for key, value, kind in OSM_KINDS:
        if tags.get(key) == value:
            return kind
    return None


def _ring(points: list[dict[str, float]]) -> list[tuple[float, float]]:
    return [(p["lon"], p["lat"]) for p in points]


def _geometry(element: dict[str, Any], kind: str) -> Any:
    """Return the element's geometry in EPSG:25832, or None."""
    if element["type"] == "way" and len(element.get("geometry", [])) >= 2:
        coords = _ring(element["geometry"])
        closed = coords[0] == coords[-1] and len(coords) >= 4
        if kind == "path" and not (closed and element.get("tags", {}).get("area") == "yes"):
            line = reproject(LineString(coords), WGS84, METRIC)
            return line.buffer(PATH_HALF_WIDTH_M, cap_style="flat")
        if closed:
            return reproject(Polygon(coords), WGS84, METRIC)
        return None
    if element["type"] == "relation":
        lines = [
            LineString(_ring(m["geometry"]))
            for m in element.get("members", [])
            if m.get("type") == "way"
            and m.get("role") in ("outer", "")
            and len(m.get("geometry", [])) >= 2
        ]
        inner = [
            LineString(_ring(m["geometry"]))
            for m in element.get("members", [])
            if m.get("type") == "way"
            and m.get("role") == "inner"
            and len(m.get("geometry", [])) >= 2
        ]
        outer = unary_union(list(polygonize(unary_union(lines)))) if lines else None
        if outer is None or outer.is_empty:
            return None
        if inner:
            outer = outer.difference(unary_union(list(polygonize(unary_union(inner)))))
        return reproject(outer, WGS84, METRIC)
    return None


def parse_overpass(answer: dict[str, Any]) -> tuple[list[AreaFeature], list[str]]:
    """Turn an Overpass JSON answer into areas; return them and the reasons for skipped elements."""
    features: dict[tuple[str, str], AreaFeature] = {}
    skipped: list[str] = []
    for element in answer.get("elements", []):
        tags = element.get("tags", {})
        kind = _kind(tags)
        label = f"{element.get('type')}/{element.get('id')}"
        if kind is None:
            skipped.append(f"{label}: no area kind in its tags")
            continue
        geometry = _geometry(element, kind)
        polygons = as_multipolygon(geometry.buffer(0)) if geometry is not None else None
        if polygons is None or polygons.is_empty:
            skipped.append(f"{label}: no polygon")
            continue
        # Anyone can edit OpenStreetMap: control characters are stripped (see ``plain_text``).
        name = clean_line(str(tags.get("name") or "")) or f"{kind} (OSM {label})"
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
            description=clean_text(str(tags.get("description") or ""))[:2000],
            source=f"{OSM_SOURCE}, {label}",
        )
    return list(features.values()), skipped
