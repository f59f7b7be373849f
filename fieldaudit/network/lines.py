"""Lines of the walking network and their OpenStreetMap-style facts, read from files.

A file's features keep the OSM keys where present (``highway``, ``surface``, ``width``,
``incline``, ``kerb``, ``name``, ``layer``/``bridge``/``tunnel``) and plain Danish or English
field names otherwise (``bredde``, ``belaegning``, ``hældning``, ``navn``...).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from shapely import wkb
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from fieldaudit.area_import import AreaFileError, SkippedFeature, herlev_window, read_layer
from fieldaudit.crs import METRIC, reproject
from fieldaudit.network.edges import EdgeFacts, NetworkLine
from fieldaudit.network.kerbs import KerbNode, apply_kerbs, kerb_from_tags, tactile_value
from fieldaudit.plain_text import clean_line

FIELDS: dict[str, tuple[str, ...]] = {
    "highway": ("highway", "vejtype", "type", "kind"),
    "surface": ("surface", "belaegning", "belægning", "overflade"),
    "width": ("width", "bredde", "est_width"),
    "incline": ("incline", "haeldning", "hældning", "gradient"),
    "kerb": ("kerb", "kantsten"),
    "tactile_paving": ("tactile_paving", "varselsfelt"),
    "name": ("name", "navn", "vejnavn", "Name", "NAVN"),
    "layer": ("layer", "niveau"),
    "bridge": ("bridge", "bro"),
    "tunnel": ("tunnel",),
    "ref": ("id", "osm_id", "@id", "ref", "fid"),
}
NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(%|°|m|cm|mm)?\s*$")


def _value(record: dict[str, Any], key: str) -> Any:
    for name in FIELDS[key]:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any, limit: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return clean_line(str(value)).strip()[:limit]


def parse_width(value: Any) -> float | None:
    """A width in metres from '1.5', '1,5 m', '150 cm' or a number; None if not a sane width."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number, unit = float(value), "m"
    else:
        match = NUMBER.match(str(value or ""))
        if not match:
            return None
        number, unit = float(match.group(1).replace(",", ".")), match.group(2) or "m"
    number = number / 100 if unit == "cm" else number / 1000 if unit == "mm" else number
    return number if math.isfinite(number) and 0 < number <= 100 else None


def parse_incline(value: Any) -> float | None:
    """An incline in percent from '5%', '-8 %', '3°' or a number; None for 'up', 'down', junk."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number, unit = float(value), "%"
    else:
        match = NUMBER.match(str(value or ""))
        if not match:
            return None
        number, unit = float(match.group(1).replace(",", ".")), match.group(2) or "%"
    if unit == "°":
        number = math.tan(math.radians(number)) * 100 if abs(number) < 80 else math.inf
    return abs(number) if math.isfinite(number) and abs(number) <= 100 else None


def _layer(record: dict[str, Any]) -> int:
    try:
        layer = int(float(_value(record, "layer")))
    except (TypeError, ValueError, OverflowError):
        layer = 0
    if layer == 0 and _text(_value(record, "bridge"), 20) not in ("", "no", "0", "False"):
        layer = 1
    if layer == 0 and _text(_value(record, "tunnel"), 20) not in ("", "no", "0", "False"):
        layer = -1
    return max(-5, min(5, layer))


def facts_from(record: dict[str, Any], ref: str = "", approximate: bool = False) -> EdgeFacts:
    """The facts of a feature or an OSM way from its attributes or tags (a way tagged
    ``footway=crossing`` is a crossing)."""
    highway = _text(_value(record, "highway"), 40)
    if record.get("footway") == "crossing" and highway in ("footway", "path", "cycleway"):
        highway = "crossing"
    return EdgeFacts(
        highway=highway,
        surface=_text(_value(record, "surface"), 40),
        width_m=parse_width(_value(record, "width")),
        incline_pct=parse_incline(_value(record, "incline")),
        kerb=_text(_value(record, "kerb"), 20),
        name=_text(_value(record, "name"), 200),
        ref=_text(_value(record, "ref"), 200) or ref,
        approximate=approximate or bool(record.get("approximate") or False),
        tactile_paving=tactile_value(_value(record, "tactile_paving")),
    )


def checked_lines(geometry: BaseGeometry | None) -> tuple[list[LineString], str]:
    """A geometry (EPSG:25832) as lines near Herlev with finite coordinates, or the reason."""
    if geometry is None or geometry.is_empty:
        return [], "no geometry"
    if isinstance(geometry, LineString):
        parts = [geometry]
    elif isinstance(geometry, MultiLineString):
        parts = list(geometry.geoms)
    else:
        return [], f"not a line ({geometry.geom_type})"
    bounds = geometry.bounds
    if not all(math.isfinite(value) for value in bounds):
        return [], "coordinates are not finite numbers"
    window = herlev_window().bounds
    if not (bounds[0] >= window[0] and bounds[1] >= window[1]) or not (
        bounds[2] <= window[2] and bounds[3] <= window[3]
    ):
        return [], "outside Herlev (more than 5 km from the municipality)"
    parts = [part for part in parts if part.length > 0]
    return (parts, "") if parts else ([], "a line of no length")


def read_line_file(
    path: str | Path, srid: int | None = None, layer: str | None = None
) -> tuple[list[NetworkLine], list[SkippedFeature], int]:
    """Read every line of a network file, with the kerbs of its point features put on them
    (``kerbs.py``): the lines, the skipped features and the file's EPSG."""
    path = Path(path)
    source_srid, records = read_layer(path, srid, layer)
    lines: list[NetworkLine] = []
    skipped: list[SkippedFeature] = []
    kerbs: list[tuple[int, KerbNode]] = []
    for index, (record, raw) in enumerate(records):
        facts = facts_from(record, ref=f"{path.name}#{index}")
        if raw is None:
            skipped.append(SkippedFeature(index, facts.name, "no geometry"))
            continue
        geometry = reproject(wkb.loads(bytes(raw)), source_srid, METRIC)
        kerb = kerb_from_tags(record) if geometry.geom_type == "Point" else None
        if kerb is not None and not geometry.is_empty:
            kerbs.append((index, KerbNode(geometry, *kerb)))
            continue
        parts, reason = checked_lines(geometry)
        if not parts:
            skipped.append(SkippedFeature(index, facts.name, f"{reason} (EPSG:{source_srid})"))
            continue
        lines.extend(NetworkLine(part, facts, _layer(record)) for part in parts)
    if not lines:
        reasons = "; ".join(f"#{s.index} {s.name or '?'}: {s.reason}" for s in skipped[:5])
        raise AreaFileError(f"{path.name}: no usable lines ({reasons or 'the file is empty'}).")
    lines, unplaced = apply_kerbs(lines, [kerb for _index, kerb in kerbs])
    skipped.extend(
        SkippedFeature(index, f"kerb={kerb.kerb}", "a kerb more than 1 m from every line")
        for index, kerb in kerbs
        if kerb in unplaced
    )
    return lines, skipped, source_srid
