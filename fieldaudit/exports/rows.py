"""The rows every export is built from: sites, their reports and the areas, without identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldaudit.area_stats import AreaStats, area_statistics
from fieldaudit.areas import named_areas
from fieldaudit.crs import many_to_wgs84
from fieldaudit.models import Area, BarrierReport, BarrierSite
from fieldaudit.priority import DEFAULT_PRESET, WEIGHTS, explain, priority_class, score_for
from fieldaudit.status import STATUS_LABELS, Status
from fieldaudit.taxonomy import MUNICIPALITY, NO_ALTERNATIVE_ROUTE, SEVERITIES, Severity, category
from fieldaudit.utc import as_utc


@dataclass(frozen=True)
class SiteRow:
    """One ranked site, ready for any export format."""

    rank: int
    site_id: int
    category: str
    category_label: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    score: float
    priority_class: int
    explanation: str
    area: str
    groups: tuple[str, ...]
    report_count: int
    confirmation_count: int
    no_alternative_route: bool
    planned_year: int | None
    planned_cost_dkk: int | None
    first_seen: datetime
    last_seen: datetime
    easting: float
    northing: float
    lon: float
    lat: float


@dataclass(frozen=True)
class ReportRow:
    """One visible report of an exported site (no reporter, device or name)."""

    report_uuid: str
    site_id: int | None
    category: str
    severity: str
    status: str
    groups: tuple[str, ...]
    tags: tuple[str, ...]
    measurements: dict[str, Any]
    description: str
    created_at: datetime
    easting: float
    northing: float


@dataclass(frozen=True)
class AreaRow:
    """One area with its statistics and EPSG:25832 geometry."""

    stats: AreaStats
    geometry: BaseGeometry


def _xy(session: Session, geom: Any, pk: Any, ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    result: dict[int, tuple[float, float]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row_id, x, y in session.execute(
            select(pk, func.ST_X(geom), func.ST_Y(geom)).where(pk.in_(chunk))
        ):
            result[row_id] = (float(x), float(y))
    return result


def _no_alternative_route(site: BarrierSite) -> bool:
    tagged = (site.tag_counts or {}).get(NO_ALTERNATIVE_ROUTE, 0)
    return tagged > 0 and tagged >= WEIGHTS.no_alternative_share * (site.report_count or 1)


def site_rows(
    session: Session,
    sites: Sequence[BarrierSite],
    preset: str = DEFAULT_PRESET,
    lang: str = "da",
    first_rank: int = 1,
) -> list[SiteRow]:
    """Rows for ranked sites (in the given order), with EPSG:25832 and WGS84 coordinates."""
    ids = [s.id for s in sites]
    xy = _xy(session, BarrierSite.geom, BarrierSite.id, ids)
    eastings = [xy[i][0] for i in ids]
    northings = [xy[i][1] for i in ids]
    lons, lats = many_to_wgs84(eastings, northings) if ids else ([], [])
    areas = {
        a.id: a.name
        for a in session.scalars(
            select(Area).where(Area.id.in_({s.area_id for s in sites if s.area_id}))
        )
    }
    rows = []
    for index, site in enumerate(sites):
        factors = site.priority_factors or {}
        score = site.priority_score if preset == DEFAULT_PRESET else score_for(factors, preset)
        cat = category(site.category)
        severity = SEVERITIES.get(Severity(site.severity)) if site.severity else None
        try:
            status_label = STATUS_LABELS[Status(site.status)].get(lang)
        except ValueError:
            status_label = site.status
        rows.append(
            SiteRow(
                rank=first_rank + index,
                site_id=site.id,
                category=site.category,
                category_label=cat.label.get(lang) if cat else site.category,
                severity=site.severity,
                severity_label=severity.label.get(lang) if severity else site.severity,
                status=site.status,
                status_label=status_label,
                score=round(float(score or 0.0), 1),
                priority_class=priority_class(float(score or 0.0)).number,
                explanation=explain(factors, lang),
                area=areas.get(site.area_id or 0, ""),
                groups=tuple(site.groups or ()),
                report_count=site.report_count or 0,
                confirmation_count=site.confirmation_count or 0,
                no_alternative_route=_no_alternative_route(site),
                planned_year=site.planned_year,
                planned_cost_dkk=site.planned_cost_dkk,
                first_seen=as_utc(site.first_seen),
                last_seen=as_utc(site.last_seen),
                easting=round(eastings[index], 2),
                northing=round(northings[index], 2),
                lon=round(lons[index], 7),
                lat=round(lats[index], 7),
            )
        )
    return rows


def report_rows(session: Session, site_ids: Sequence[int]) -> list[ReportRow]:
    """The visible reports of the given sites, oldest first, without reporter identities."""
    reports: list[BarrierReport] = []
    for start in range(0, len(site_ids), 500):
        chunk = list(site_ids[start : start + 500])
        reports.extend(
            session.scalars(
                select(BarrierReport).where(
                    BarrierReport.site_id.in_(chunk), BarrierReport.hidden.is_(False)
                )
            )
        )
    reports.sort(key=lambda r: (as_utc(r.created_at), r.id))
    xy = _xy(session, BarrierReport.geom, BarrierReport.id, [r.id for r in reports])
    return [
        ReportRow(
            report_uuid=r.uuid,
            site_id=r.site_id,
            category=r.category,
            severity=r.severity,
            status=r.status,
            groups=tuple(r.groups or ()),
            tags=tuple(r.tags or ()),
            measurements=dict(r.measurements or {}),
            description=r.description or "",
            created_at=as_utc(r.created_at),
            easting=round(xy[r.id][0], 2),
            northing=round(xy[r.id][1], 2),
        )
        for r in reports
    ]


def area_rows(session: Session, preset: str = DEFAULT_PRESET) -> list[AreaRow]:
    """Every area (not the municipal boundary) with its statistics and geometry."""
    stats = {s.area_id: s for s in area_statistics(session, preset)}
    areas = named_areas(session)
    return [AreaRow(stats[a.id], to_shape(a.geom)) for a in areas if a.id in stats]


def boundary(session: Session) -> list[BaseGeometry]:
    """The municipal boundary polygons in EPSG:25832 (empty if none is loaded)."""
    return [
        to_shape(g) for g in session.scalars(select(Area.geom).where(Area.kind == MUNICIPALITY))
    ]
