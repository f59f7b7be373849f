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
from sqlalchemy.orm import Session

from fieldaudit.areas import AreaFeature, as_multipolygon, upsert_area
from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.plain_text import clean_line, clean_text
from fieldaudit.taxonomy import AREA_KIND_CODES

NAME_FIELDS = ("name", "navn", "Name", "NAVN", "titel")
KIND_FIELDS = ("kind", "type", "kategori", "Kind")
IMPORTANCE_FIELDS = ("importance", "vaegt", "weight")
SUPPORTED_SRIDS = (WGS84, METRIC)


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


def read_area_file(
    path: str | Path,
    srid: int | None = None,
    kind: str | None = None,
    layer: str | None = None,
) -> AreaImportPlan:
    """Read and check every feature of an area file; raise AreaFileError if none can be used."""
    path = Path(path)
    if not path.exists():
        raise AreaFileError(f"{path}: no such file.")
    if kind is not None and kind not in AREA_KIND_CODES:
        raise AreaFileError(f"unknown kind {kind!r}; use one of {sorted(AREA_KIND_CODES)}.")
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
    plan = AreaImportPlan(source_srid)
    for index, raw in enumerate(geometries):
        record = {name: field_data[i][index] for i, name in enumerate(names)}
        name = clean_line(str(_field(record, NAME_FIELDS) or ""))
        feature_kind = kind or str(_field(record, KIND_FIELDS) or "").strip()
        problem = _check_feature(raw, name, feature_kind)
        if problem:
            plan.skipped.append(SkippedFeature(index, name, problem))
            continue
        geometry = reproject(wkb.loads(bytes(raw)), source_srid, METRIC)
        if not geometry.is_valid:
            geometry = make_valid(geometry)
        polygons = as_multipolygon(geometry)
        if polygons is None or polygons.is_empty or polygons.area < 1.0:
            plan.skipped.append(
                SkippedFeature(index, name, "not a polygon (or empty after repair)")
            )
            continue
        if not _plausible_metric(polygons.bounds):
            plan.skipped.append(
                SkippedFeature(index, name, f"coordinates do not fit EPSG:{source_srid}")
            )
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


def _plausible_metric(bounds: tuple[float, float, float, float]) -> bool:
    """Tell whether bounds in EPSG:25832 lie in or near Denmark (UTM 32N's useful range)."""
    minx, miny, maxx, maxy = bounds
    return all(math.isfinite(v) for v in bounds) and (
        minx > -500_000 and maxx < 1_500_000 and miny > 5_500_000 and maxy < 7_000_000
    )


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
