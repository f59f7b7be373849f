"""Reading area layers (GeoJSON, GeoPackage, Shapefile) into validated EPSG:25832 areas.

The whole file is read and checked before anything is stored, so a broken file changes nothing.
Names and descriptions lose control characters (``plain_text``: imported text is stripped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely import make_valid, wkb
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from fieldaudit.areas import AreaFeature, as_multipolygon, upsert_area
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import METRIC, WGS84, bbox_to_metric, reproject
from fieldaudit.plain_text import clean_line, clean_text
from fieldaudit.taxonomy import AREA_KIND_CODES

NAME_FIELDS = ("name", "navn", "Name", "NAVN", "titel")
KIND_FIELDS = ("kind", "type", "kategori", "Kind")
IMPORTANCE_FIELDS = ("importance", "vaegt", "weight")
SUPPORTED_SRIDS = (WGS84, METRIC)
# Every imported area lies within Herlev's bounding box widened by this much (the municipality
# plus its surroundings; a larger or farther polygon is a mistake or an attack).
NEAR_HERLEV_M = 5_000.0


class AreaFileError(Exception):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass
class SkippedFeature:
    """A feature that was not imported, and why."""

    index: int
    name: str
    reason: str


@dataclass
class AreaImportPlan:
    """What a file holds: areas ready to store and features skipped with their reasons."""

    source_srid: int
    features: list[AreaFeature] = field(default_factory=list)
    skipped: list[SkippedFeature] = field(default_factory=list)


@dataclass
class AreaImportResult:
    """What an import did."""

    created: int = 0
    updated: int = 0
    skipped: list[SkippedFeature] = field(default_factory=list)


def detect_srid(path: Path, meta_crs: str | None) -> int:
    """Return the file's EPSG code; GeoJSON without a CRS is WGS84 by RFC 7946."""
    if not meta_crs:
        if path.suffix.lower() in {".geojson", ".json"}:
            return WGS84
        raise AreaFileError(
            f"{path.name}: the file does not say its coordinate system; use --srid."
        )
    try:
        epsg = CRS.from_user_input(meta_crs).to_epsg()
    except CRSError as exc:
        raise AreaFileError(f"{path.name}: unknown coordinate system {meta_crs!r}.") from exc
    if epsg is None:
        raise AreaFileError(
            f"{path.name}: coordinate system {meta_crs!r} has no EPSG code; use --srid."
        )
    return epsg


def _field(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _importance(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 1.0
    return number if math.isfinite(number) and 0 < number <= 10 else 1.0


def read_layer(
    path: Path, srid: int | None = None, layer: str | None = None
) -> tuple[int, list[tuple[dict[str, Any], Any]]]:
    """Read a GeoJSON, GeoPackage or Shapefile layer: its EPSG code (4326 or 25832) and each
    feature's attributes with its WKB geometry (None if it has none); AreaFileError if it cannot.

    Shared by every file importer (areas, the walking network and its destinations).
    """
    if not path.exists():
        raise AreaFileError(f"{path}: no such file.")
    try:
        meta, _fids, geometries, field_data = pyogrio.raw.read(path, layer=layer)
    except Exception as exc:  # GDAL raises many types for unreadable data
        raise AreaFileError(
            f"{path.name}: cannot be read as GeoJSON, GeoPackage or Shapefile ({exc})."
        ) from exc
    source_srid = srid if srid is not None else detect_srid(path, meta.get("crs"))
    if source_srid not in SUPPORTED_SRIDS:
        raise AreaFileError(
            f"{path.name}: coordinate system EPSG:{source_srid} is not supported; "
            "use EPSG:4326 or EPSG:25832."
        )
    names = list(meta["fields"])
    records = [
        ({name: field_data[i][index] for i, name in enumerate(names)}, raw)
        for index, raw in enumerate(geometries)
    ]
    return source_srid, records


def read_area_file(
    path: str | Path,
    srid: int | None = None,
    kind: str | None = None,
    layer: str | None = None,
) -> AreaImportPlan:
    """Read and check every feature of an area file; raise AreaFileError if none can be used."""
    path = Path(path)
    if kind is not None and kind not in AREA_KIND_CODES:
        raise AreaFileError(f"unknown kind {kind!r}; use one of {sorted(AREA_KIND_CODES)}.")
    source_srid, records = read_layer(path, srid, layer)
    plan = AreaImportPlan(source_srid)
    for index, (record, raw) in enumerate(records):
        name = clean_line(str(_field(record, NAME_FIELDS) or ""))
        feature_kind = kind or str(_field(record, KIND_FIELDS) or "").strip()
        problem = _check_feature(raw, name, feature_kind)
        if problem:
            plan.skipped.append(SkippedFeature(index, name, problem))
            continue
        polygons, reason = checked_polygons(reproject(wkb.loads(bytes(raw)), source_srid, METRIC))
        if polygons is None:
            plan.skipped.append(SkippedFeature(index, name, f"{reason} (EPSG:{source_srid})"))
            continue
        plan.features.append(
            AreaFeature(
                name=name[:200],
                kind=feature_kind,
                geometry=polygons,
                importance=_importance(_field(record, IMPORTANCE_FIELDS)),
                description=clean_text(str(record.get("description") or ""))[:2000],
                source=clean_text(str(record.get("source") or path.name))[:2000],
                approximate=bool(record.get("approximate") or False),
            )
        )
    if not plan.features:
        reasons = "; ".join(f"#{s.index} {s.name or '?'}: {s.reason}" for s in plan.skipped[:5])
        raise AreaFileError(f"{path.name}: no usable polygons ({reasons or 'the file is empty'}).")
    return plan


def _check_feature(raw: Any, name: str, kind: str) -> str | None:
    if raw is None:
        return "no geometry"
    if not name:
        return "no name"
    if kind not in AREA_KIND_CODES:
        return f"unknown kind {kind!r}"
    return None


def herlev_files(data_dir: str) -> list[Path]:
    """The shipped (approximate) Herlev layers: the boundary first, then the areas."""
    folder = Path(data_dir)
    return [folder / "herlev_boundary.geojson", folder / "herlev_areas.geojson"]


def herlev_window() -> Polygon:
    """The box (EPSG:25832) every area must lie in: Herlev's bounding box widened by 5 km."""
    min_x, min_y, max_x, max_y = bbox_to_metric(HERLEV_BBOX_WGS84)
    return box(
        min_x - NEAR_HERLEV_M, min_y - NEAR_HERLEV_M, max_x + NEAR_HERLEV_M, max_y + NEAR_HERLEV_M
    )


def checked_polygons(geometry: BaseGeometry | None) -> tuple[MultiPolygon | None, str]:
    """An area's geometry (EPSG:25832) as valid polygons near Herlev, or None and the reason.

    The one rule for every importer (area files and OpenStreetMap): finite coordinates, inside
    ``herlev_window()`` (so neither far away nor spanning the globe), repaired if invalid, and
    at least 1 m² of polygon.
    """
    if geometry is None or geometry.is_empty:
        return None, "no geometry"
    bounds = geometry.bounds
    if not all(math.isfinite(value) for value in bounds):
        return None, "coordinates are not finite numbers"
    window = herlev_window().bounds
    if not (
        bounds[0] >= window[0]
        and bounds[1] >= window[1]
        and bounds[2] <= window[2]
        and bounds[3] <= window[3]
    ):
        return (
            None,
            f"outside Herlev (more than {NEAR_HERLEV_M / 1000:.0f} km from the municipality)",
        )
    if not geometry.is_valid:
        geometry = make_valid(geometry)
    polygons = as_multipolygon(geometry)
    if polygons is None or polygons.is_empty or polygons.area < 1.0:
        return None, "not a polygon (or empty after repair)"
    if not polygons.is_valid:
        polygons = as_multipolygon(make_valid(polygons))
        if polygons is None or polygons.is_empty:
            return None, "not a polygon (or empty after repair)"
    return polygons, ""


def import_areas(session: Session, plan: AreaImportPlan) -> AreaImportResult:
    """Store a checked plan: same name and kind updates, otherwise creates."""
    result = AreaImportResult(skipped=list(plan.skipped))
    for feature in plan.features:
        _area, created = upsert_area(session, feature)
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result
