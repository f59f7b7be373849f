"""GeoPackage export in EPSG:25832 with three layers: sites, reports and areas (pyogrio/GDAL)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyogrio.raw import write
from shapely.geometry import MultiPolygon, Point

from fieldaudit.exports.rows import AreaRow, ReportRow, SiteRow

MEDIA_TYPE = "application/geopackage+sqlite3"
CRS = "EPSG:25832"
LAYERS = ("sites", "reports", "areas")


def _utc(moment: datetime | None) -> np.datetime64 | None:
    if moment is None:
        return None
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "ms")


def _column(values: Sequence[Any], kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A numpy column and its null mask (None when nothing is null)."""
    missing = np.array([v is None for v in values], dtype=bool)
    if kind == "int":
        data = np.array([0 if v is None else int(v) for v in values], dtype=np.int64)
    elif kind == "float":
        data = np.array([0.0 if v is None else float(v) for v in values], dtype=np.float64)
    elif kind == "bool":
        data = np.array([bool(v) for v in values], dtype=bool)
    elif kind == "datetime":
        data = np.array(
            [np.datetime64("NaT", "ms") if v is None else _utc(v) for v in values],
            dtype="datetime64[ms]",
        )
    else:
        data = np.array(["" if v is None else str(v) for v in values], dtype=object)
    return data, (missing if missing.any() else None)


def _write_layer(
    path: Path,
    layer: str,
    geometries: Sequence[Any],
    geometry_type: str,
    columns: Sequence[tuple[str, str, Sequence[Any]]],
    append: bool,
) -> None:
    wkb = np.array([shapely.to_wkb(g, output_dimension=2) for g in geometries], dtype=object)
    data, masks = [], []
    for _name, kind, values in columns:
        column, mask = _column(values, kind)
        data.append(column)
        masks.append(mask if mask is not None else np.zeros(len(values), dtype=bool))
    write(
        str(path),
        wkb,
        data,
        [name for name, _kind, _values in columns],
        field_mask=masks,
        layer=layer,
        driver="GPKG",
        geometry_type=geometry_type,
        crs=CRS,
        encoding="UTF-8",
        append=append,
    )


def write_geopackage(
    path: Path,
    sites: Sequence[SiteRow],
    reports: Sequence[ReportRow],
    areas: Sequence[AreaRow],
) -> None:
    """Write the three layers to a new GeoPackage file at ``path``."""
    _write_layer(
        path,
        "sites",
        [Point(s.easting, s.northing) for s in sites],
        "Point",
        [
            ("rank", "int", [s.rank for s in sites]),
            ("site_id", "int", [s.site_id for s in sites]),
            ("priority_score", "float", [s.score for s in sites]),
            ("priority_class", "int", [s.priority_class for s in sites]),
            ("category", "str", [s.category for s in sites]),
            ("category_label", "str", [s.category_label for s in sites]),
            ("severity", "str", [s.severity for s in sites]),
            ("status", "str", [s.status for s in sites]),
            ("area", "str", [s.area or None for s in sites]),
            ("groups", "str", [" ".join(s.groups) for s in sites]),
            ("reports", "int", [s.report_count for s in sites]),
            ("confirmations", "int", [s.confirmation_count for s in sites]),
            ("no_alternative_route", "bool", [s.no_alternative_route for s in sites]),
            ("planned_year", "int", [s.planned_year for s in sites]),
            ("planned_cost_dkk", "int", [s.planned_cost_dkk for s in sites]),
            ("first_seen_utc", "datetime", [s.first_seen for s in sites]),
            ("last_seen_utc", "datetime", [s.last_seen for s in sites]),
            ("explanation", "str", [s.explanation for s in sites]),
        ],
        append=False,
    )
    _write_layer(
        path,
        "reports",
        [Point(r.easting, r.northing) for r in reports],
        "Point",
        [
            ("report_uuid", "str", [r.report_uuid for r in reports]),
            ("site_id", "int", [r.site_id for r in reports]),
            ("category", "str", [r.category for r in reports]),
            ("severity", "str", [r.severity for r in reports]),
            ("status", "str", [r.status for r in reports]),
            ("groups", "str", [" ".join(r.groups) for r in reports]),
            ("tags", "str", [" ".join(r.tags) for r in reports]),
            (
                "measurements",
                "str",
                [json.dumps(r.measurements, ensure_ascii=False) for r in reports],
            ),
            ("description", "str", [r.description for r in reports]),
            ("created_utc", "datetime", [r.created_at for r in reports]),
        ],
        append=True,
    )
    _write_layer(
        path,
        "areas",
        [
            g if isinstance(g, MultiPolygon) else MultiPolygon([g])
            for g in (a.geometry for a in areas)
        ],
        "MultiPolygon",
        [
            ("area_id", "int", [a.stats.area_id for a in areas]),
            ("name", "str", [a.stats.name for a in areas]),
            ("kind", "str", [a.stats.kind for a in areas]),
            ("importance", "float", [a.stats.importance for a in areas]),
            ("approximate", "bool", [a.stats.approximate for a in areas]),
            ("open_sites", "int", [a.stats.open_count for a in areas]),
            ("area_score", "float", [a.stats.score for a in areas]),
            ("reports", "int", [a.stats.report_count for a in areas]),
            ("last_audited_utc", "datetime", [a.stats.last_audited for a in areas]),
            ("never_audited", "bool", [a.stats.never_audited for a in areas]),
        ],
        append=True,
    )


def geopackage_bytes(
    sites: Sequence[SiteRow], reports: Sequence[ReportRow], areas: Sequence[AreaRow]
) -> bytes:
    """The GeoPackage as bytes (written to a temporary file, then read back)."""
    with tempfile.TemporaryDirectory(prefix="fieldaudit-gpkg-") as folder:
        path = Path(folder) / "export.gpkg"
        write_geopackage(path, sites, reports, areas)
        data = path.read_bytes()
        for extra in (path.with_suffix(".gpkg-wal"), path.with_suffix(".gpkg-shm")):
            if extra.exists():
                os.remove(extra)
        return data
