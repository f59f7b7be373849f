"""The population grid: people per cell (Statistics Denmark's 100 m kvadratnet or the like),
read from a file, stored as cell centres (EPSG:25832), and summed onto the impact's origins.

A file holds polygons (the cells) or points with a population count; GeoJSON, GeoPackage and
Shapefile are read like the areas (EPSG:4326 or 25832), CSV with ``x``/``y`` (EPSG:25832 or
``--srid``), ``lon``/``lat`` or a DDKN cell name (``100m_61234_7234``: northing and easting in
the cell size's units, its lower left corner). Importing replaces the stored grid.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from fieldaudit.area_import import AreaFileError, SkippedFeature, herlev_window, read_layer
from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.models import PopulationCell

POPULATION_FIELDS = (
    "population",
    "befolkning",
    "indbyggere",
    "antal_personer",
    "antal",
    "personer",
    "pop",
    "value",
    "count",
)
CELL_FIELDS = ("ddkncelle", "kn100mdk", "kvadratnet", "celle", "cell", "cellid", "id")
DDKN_CELL = re.compile(r"^(\d+)(m|km)_(\d+)_(\d+)$", re.IGNORECASE)
CSV_LIMIT = 20_000_000  # bytes: Herlev's 100 m grid is a few thousand rows


@dataclass(frozen=True)
class PopulationPoint:
    """People living at a cell's centre (EPSG:25832)."""

    x: float
    y: float
    population: float


def _lower(record: dict[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in record.items()}


def _population(record: dict[str, Any]) -> float | None:
    for name in POPULATION_FIELDS:
        value = record.get(name)
        if value in (None, ""):
            continue
        try:
            number = float(str(value).replace(",", ".").strip())
        except ValueError:
            return None
        return number if math.isfinite(number) and number >= 0 else None
    return None


def _ddkn_centre(name: str) -> tuple[float, float] | None:
    """A DDKN cell's centre from its name ('100m_61234_7234', '1km_6123_723')."""
    match = DDKN_CELL.match(name.strip())
    if match is None:
        return None
    size = float(match[1]) * (1000.0 if match[2].lower() == "km" else 1.0)
    north, east = float(match[3]) * size, float(match[4]) * size
    return east + size / 2, north + size / 2


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).replace(",", ".").strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _csv_point(record: dict[str, Any], srid: int | None) -> Point | None:
    for x_name, y_name, default_srid in (
        ("x", "y", METRIC),
        ("easting", "northing", METRIC),
        ("lon", "lat", WGS84),
        ("longitude", "latitude", WGS84),
    ):
        x, y = _number(record.get(x_name)), _number(record.get(y_name))
        if x is not None and y is not None:
            return reproject(Point(x, y), srid or default_srid, METRIC)
    for name in CELL_FIELDS:
        centre = _ddkn_centre(str(record.get(name) or ""))
        if centre is not None:
            return Point(centre)
    return None


def _csv_records(path: Path, srid: int | None) -> list[tuple[dict[str, Any], Point | None]]:
    if path.stat().st_size > CSV_LIMIT:
        raise AreaFileError(f"{path.name}: the file is larger than {CSV_LIMIT // 1_000_000} MB.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AreaFileError(f"{path.name}: cannot be read as UTF-8 CSV ({exc}).") from exc
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = [_lower(row) for row in csv.DictReader(text.splitlines(), delimiter=delimiter)]
    return [(row, _csv_point(row, srid)) for row in rows]


def _layer_records(
    path: Path, srid: int | None, layer: str | None
) -> list[tuple[dict[str, Any], Point | None]]:
    source_srid, records = read_layer(path, srid, layer)
    found = []
    for record, raw in records:
        shape = None if raw is None else wkb.loads(bytes(raw))
        point = None
        if shape is not None and not shape.is_empty:
            centre = shape if shape.geom_type == "Point" else shape.centroid
            point = reproject(centre, source_srid, METRIC)
        found.append((_lower(record), point))
    return found


def read_population_file(
    path: str | Path, srid: int | None = None, layer: str | None = None
) -> tuple[list[PopulationPoint], list[SkippedFeature]]:
    """The cells of a population file (their centres in EPSG:25832, cells sharing a centre
    summed) and the rows skipped; AreaFileError when it cannot be read or holds no cell."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        records = _csv_records(path, srid)
    else:
        records = _layer_records(path, srid, layer)
    window = herlev_window()
    people: dict[tuple[float, float], float] = {}
    skipped = []
    for index, (record, point) in enumerate(records):
        population = _population(record)
        if population is None:
            skipped.append(SkippedFeature(index, "", "no population count (a number from 0)"))
        elif point is None or not window.contains(point):
            skipped.append(SkippedFeature(index, "", "no position, or outside Herlev"))
        else:
            key = (round(point.x, 2), round(point.y, 2))
            people[key] = people.get(key, 0.0) + population
    if not people:
        raise AreaFileError(f"{path.name}: no usable population cells.")
    return [PopulationPoint(x, y, n) for (x, y), n in sorted(people.items())], skipped


def replace_population(session: Session, cells: Sequence[PopulationPoint], source: str) -> int:
    """Store ``cells`` in place of the stored grid (importing the same file again changes
    nothing); the number stored."""
    session.execute(delete(PopulationCell))
    rows = [{"x": c.x, "y": c.y, "population": c.population, "source": source[:200]} for c in cells]
    for start in range(0, len(rows), 2000):
        session.execute(insert(PopulationCell), rows[start : start + 2000])
    session.flush()
    return len(rows)


def stored_population(session: Session) -> list[PopulationPoint]:
    """The stored grid's cells (empty when none is imported)."""
    return [
        PopulationPoint(x, y, n)
        for x, y, n in session.execute(
            select(PopulationCell.x, PopulationCell.y, PopulationCell.population)
        )
    ]


def origin_weights(
    cells: Sequence[PopulationPoint], origins: Sequence[tuple[float, float]], spacing: float
) -> list[float]:
    """The people in each origin's grid cell (``origin_grid``'s cells of ``spacing`` metres):
    every population cell counts in the origin cell its centre falls in, or in none."""
    index = {
        (math.floor(x / spacing), math.floor(y / spacing)): i for i, (x, y) in enumerate(origins)
    }
    weights = [0.0] * len(origins)
    for cell in cells:
        found = index.get((math.floor(cell.x / spacing), math.floor(cell.y / spacing)))
        if found is not None:
            weights[found] += cell.population
    return weights
