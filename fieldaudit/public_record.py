"""The public record's questions: which barriers the public list shows, one barrier's page, an
area's summary and the history its feeds follow (no Flask).

What is public is decided in ``visibility`` and ``history.public_history``; this module only asks
the database with those rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fieldaudit import visibility
from fieldaudit.areas import area_index, named_areas
from fieldaudit.history import merged_into, public_history
from fieldaudit.models import Area, BarrierReport, BarrierSite, Destination, HistoryEntry, Photo
from fieldaudit.network.area_summary import GroupSummary, area_summary
from fieldaudit.place_map import NamedPlace, SmallMap, nearest_place, small_map
from fieldaudit.status import Status

PAGE_SIZE = 50
MAP_LIMIT = 5000


@dataclass(frozen=True)
class SiteFilter:
    """The public list's filters; empty (or False) means 'no filter'."""

    status: str = ""
    area: int | None = None
    category: str = ""
    new_look: bool = False
    page: int = 1

    def link_args(self) -> dict[str, Any]:
        """The filters that are set, as query arguments (without the page)."""
        values = {
            "status": self.status,
            "area": self.area,
            "category": self.category,
            "new_look": "1" if self.new_look else "",
        }
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass
class SiteList:
    """One page of the public list, with the areas to filter by and the chosen area's summary."""

    sites: list[BarrierSite]
    total: int
    pages: int
    areas: list[Area]
    area: Area | None = None
    station: str = ""
    summary: list[GroupSummary] = field(default_factory=list)


def _conditions(filters: SiteFilter) -> list[Any]:
    chosen = (
        (BarrierSite.status, filters.status),
        (BarrierSite.area_id, filters.area),
        (BarrierSite.category, filters.category),
    )
    conditions: list[Any] = [visibility.public_site_clause()]
    conditions += [column == value for column, value in chosen if value]
    if filters.new_look:
        conditions.append(
            BarrierSite.status.in_([Status.VERIFIED.value, Status.PLANNED.value]),
        )
        conditions.append(BarrierSite.last_seen < visibility.new_look_before())
    return conditions


def station_summary(session: Session, area: Area | None) -> tuple[str, list[GroupSummary]]:
    """The area's meaning per group, from the station (the first destination of that kind)."""
    if area is None:
        return "", []
    station = session.scalar(
        select(Destination).where(Destination.kind == "station").order_by(Destination.id).limit(1)
    )
    start = None
    if station is not None:
        point = to_shape(station.geom)
        start = (point.x, point.y)
    summary = area_summary(session, area.id, to_shape(area.geom), start)
    return (station.name if station is not None else ""), summary


def site_list(session: Session, filters: SiteFilter, page_size: int = PAGE_SIZE) -> SiteList:
    """One page of the public barriers, newest seen first, with the filtered area's summary."""
    conditions = _conditions(filters)
    total = session.scalar(select(func.count()).select_from(BarrierSite).where(*conditions)) or 0
    rows = session.scalars(
        select(BarrierSite)
        .options(selectinload(BarrierSite.area))
        .where(*conditions)
        .order_by(BarrierSite.last_seen.desc(), BarrierSite.id.desc())
        .limit(page_size)
        .offset((filters.page - 1) * page_size)
    ).all()
    area = session.get(Area, filters.area) if filters.area else None
    station, summary = station_summary(session, area)
    return SiteList(
        sites=list(rows),
        total=total,
        pages=max(1, math.ceil(total / page_size)),
        areas=named_areas(session),
        area=area,
        station=station,
        summary=summary,
    )


def map_sites(session: Session, filters: SiteFilter, limit: int = MAP_LIMIT) -> list[BarrierSite]:
    """The public barriers for the map (the same filters as the list), by id."""
    return list(
        session.scalars(
            select(BarrierSite).where(*_conditions(filters)).order_by(BarrierSite.id).limit(limit)
        )
    )


def public_site(session: Session, site_id: int) -> BarrierSite | None:
    """The site if the public may see it."""
    site = session.get(BarrierSite, site_id)
    return site if site is not None and visibility.site_is_public(site) else None


def merged_public_site(session: Session, site_id: int) -> int | None:
    """Where a merged (duplicate) site went, if the public may see that site."""
    found = session.get(BarrierSite, site_id)
    if found is None or found.status != Status.DUPLICATE.value:
        return None
    target_id = merged_into(session, found)
    target = public_site(session, target_id) if target_id else None
    return target.id if target is not None else None


def public_reports(session: Session, site: BarrierSite) -> list[BarrierReport]:
    """A site's public reports with their photos, oldest first."""
    return list(
        session.scalars(
            select(BarrierReport)
            .options(selectinload(BarrierReport.photos))
            .where(BarrierReport.site_id == site.id, visibility.public_report_clause())
            .order_by(BarrierReport.created_at, BarrierReport.id)
        )
    )


@dataclass
class SitePage:
    """What a barrier's public page shows."""

    site: BarrierSite
    reports: list[BarrierReport]
    history: list[HistoryEntry]
    place: NamedPlace | None
    place_map: SmallMap


def site_page(session: Session, site: BarrierSite) -> SitePage:
    """A public barrier's reports, public history, nearest named place and small map."""
    reports = public_reports(session, site)
    point = to_shape(site.geom)
    index = area_index(session)
    return SitePage(
        site=site,
        reports=reports,
        history=public_history(session, [r.id for r in reports], [site.id]),
        place=nearest_place(index, point.x, point.y),
        place_map=small_map(index.areas, [(point.x, point.y)]),
    )


def public_report(session: Session, report_id: int) -> BarrierReport | None:
    """The report if the public may see it."""
    found = session.get(BarrierReport, report_id)
    return found if found is not None and visibility.report_is_public(found) else None


def public_photo(session: Session, photo_id: int) -> Photo | None:
    """The photo if the public may see it."""
    found = session.get(Photo, photo_id)
    return found if found is not None and visibility.photo_is_public(found) else None


@dataclass
class FeedHistory:
    """What a feed follows: the public history, and which site each entry belongs to."""

    history: list[HistoryEntry]
    site_of: dict[int, BarrierSite]
    report_site: dict[int, int]


def site_feed_history(session: Session, site: BarrierSite) -> FeedHistory:
    """The public history of one public site and its public reports."""
    reports = public_reports(session, site)
    return FeedHistory(
        history=public_history(session, [r.id for r in reports], [site.id]),
        site_of={site.id: site},
        report_site={r.id: site.id for r in reports},
    )


def area_feed_history(session: Session, area: Area) -> FeedHistory:
    """The public history of the public sites in an area and of their public reports."""
    site_rows = session.scalars(
        select(BarrierSite).where(BarrierSite.area_id == area.id, visibility.public_site_clause())
    ).all()
    site_of = {s.id: s for s in site_rows}
    report_rows = session.execute(
        select(BarrierReport.id, BarrierReport.site_id).where(
            BarrierReport.site_id.in_(list(site_of) or [-1]), visibility.public_report_clause()
        )
    ).all()
    report_site = {rid: sid for rid, sid in report_rows}
    return FeedHistory(
        history=public_history(session, list(report_site), list(site_of)),
        site_of=site_of,
        report_site=report_site,
    )


def destinations(session: Session) -> list[Destination]:
    """The known places a step-free route can start or end at, by name."""
    return list(session.scalars(select(Destination).order_by(Destination.name)))


def site_points(session: Session, site_ids: list[int]) -> dict[int, Point]:
    """Where the given sites are (EPSG:25832), by id."""
    points: dict[int, Point] = {}
    for site_id, geom in session.execute(
        select(BarrierSite.id, BarrierSite.geom).where(BarrierSite.id.in_(site_ids))
    ):
        point = to_shape(geom)
        assert isinstance(point, Point)
        points[site_id] = point
    return points
