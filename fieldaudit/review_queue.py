"""Handicaprådet's queue of reports (no Flask): the filters, the order, one page of it grouped by
site, and the next report to review.

The queue is ordered oldest first, with the reports of one site kept together: a site's reports
follow each other in the order they were made, and sites come in the order of their oldest
matching report. Reports without a site (none today) form a group of their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from fieldaudit import params
from fieldaudit.models import BarrierReport, BarrierSite, Photo
from fieldaudit.status import Status
from fieldaudit.taxonomy import Group, Severity, category

PAGE_SIZE = 25
MAX_PAGE = 100_000
LINE_CHARS = 110


@dataclass
class QueueFilter:
    """The queue's filters, read from the query string (unknown values are ignored)."""

    status: str = Status.NEW.value
    area: int | None = None
    category: str = ""
    group: str = ""
    severity: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> QueueFilter:
        """Parse the query string."""
        status = args.get("status", Status.NEW.value)
        code = args.get("category", "")
        return cls(
            status=status if status in {s.value for s in Status} | {""} else Status.NEW.value,
            area=params.record_id(args.get("area", "")),
            category=code if category(code) else "",
            group=args.get("group", "") if args.get("group") in {g.value for g in Group} else "",
            severity=args.get("severity", "")
            if args.get("severity") in {s.value for s in Severity}
            else "",
            since=params.iso_date(args.get("since")),
            until=params.iso_date(args.get("until")),
            page=params.ascii_int(args.get("page", "1"), 1, MAX_PAGE) or 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filters as query arguments (for links to other pages)."""
        values = {
            "status": self.status,
            "area": self.area or "",
            "category": self.category,
            "group": self.group,
            "severity": self.severity,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}

    def conditions(self) -> list[Any]:
        """SQL conditions of the filters (the group, a JSON list, is matched in Python)."""
        found: list[Any] = []
        if self.status:
            found.append(BarrierReport.status == self.status)
        if self.area:
            found.append(BarrierReport.area_id == self.area)
        if self.category:
            found.append(BarrierReport.category == self.category)
        if self.severity:
            found.append(BarrierReport.severity == self.severity)
        if self.since:
            found.append(BarrierReport.created_at >= datetime.combine(self.since, time(), UTC))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            found.append(BarrierReport.created_at < end)
        return found


@dataclass
class QueueItem:
    """One report in the queue: the report, its first photo and a line of its text."""

    report: BarrierReport
    photo: Photo | None
    line: str


@dataclass
class QueueGroup:
    """The reports of one site on a page of the queue; ``site_reports`` counts all of them."""

    site: BarrierSite | None
    items: list[QueueItem] = field(default_factory=list)
    site_reports: int = 0

    @property
    def others(self) -> int:
        """How many reports the site has besides the ones in this group."""
        return max(0, self.site_reports - len(self.items))


@dataclass
class QueuePage:
    """One page of the queue."""

    total: int
    pages: int
    groups: list[QueueGroup]

    @property
    def reports(self) -> list[BarrierReport]:
        """The page's reports in queue order."""
        return [item.report for group in self.groups for item in group.items]


def one_line(text: str | None, limit: int = LINE_CHARS) -> str:
    """The start of a text on one line, cut at a word with an ellipsis."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,.;:") + "…"


def _site_key(site_id: int | None, report_id: int) -> int:
    return site_id if site_id is not None else -report_id


def _ids_of_group(session: Session, filters: QueueFilter) -> list[int]:
    """The queue's ids in order when it is filtered by group (a JSON list, matched in Python;
    the same order as ``_ordered_ids``)."""
    rows = [
        row
        for row in session.execute(
            select(
                BarrierReport.id,
                BarrierReport.site_id,
                BarrierReport.created_at,
                BarrierReport.groups,
            ).where(*filters.conditions())
        )
        if filters.group in (row.groups or [])
    ]
    first: dict[int, Any] = {}
    for row in rows:
        key = _site_key(row.site_id, row.id)
        first[key] = min(first.get(key, row.created_at), row.created_at)
    rows.sort(
        key=lambda r: (
            first[_site_key(r.site_id, r.id)],
            _site_key(r.site_id, r.id),
            r.created_at,
            r.id,
        )
    )
    return [row.id for row in rows]


def _ordered_ids(conditions: list[Any]) -> Select[Any]:
    site_key = func.coalesce(BarrierReport.site_id, -BarrierReport.id)
    matching = (
        select(
            BarrierReport.id,
            BarrierReport.created_at,
            site_key.label("site_key"),
            func.min(BarrierReport.created_at).over(partition_by=site_key).label("site_first"),
        )
        .where(*conditions)
        .subquery()
    )
    return select(matching.c.id).order_by(
        matching.c.site_first, matching.c.site_key, matching.c.created_at, matching.c.id
    )


def site_report_counts(session: Session, site_ids: list[int]) -> dict[int, int]:
    """How many reports (of any status) each of the sites holds."""
    if not site_ids:
        return {}
    rows = session.execute(
        select(BarrierReport.site_id, func.count())
        .where(BarrierReport.site_id.in_(site_ids))
        .group_by(BarrierReport.site_id)
    )
    return {site_id: count for site_id, count in rows}


def queue_page(session: Session, filters: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue, its reports grouped by site, with thumbnails and counts."""
    offset = (filters.page - 1) * page_size
    if filters.group:
        ids = _ids_of_group(session, filters)
        total = len(ids)
        page_ids = ids[offset : offset + page_size]
    else:
        conditions = filters.conditions()
        total = session.scalar(select(func.count()).select_from(BarrierReport).where(*conditions))
        ordered = _ordered_ids(conditions)
        page_ids = list(session.scalars(ordered.limit(page_size).offset(offset)))
    loaded = {
        r.id: r
        for r in session.scalars(
            select(BarrierReport)
            .options(
                selectinload(BarrierReport.area),
                selectinload(BarrierReport.photos),
                selectinload(BarrierReport.site),
            )
            .where(BarrierReport.id.in_(page_ids or [-1]))
        )
    }
    counts = site_report_counts(
        session, sorted({r.site_id for r in loaded.values() if r.site_id is not None})
    )
    groups: list[QueueGroup] = []
    for report_id in page_ids:
        report = loaded[report_id]
        if not groups or groups[-1].site is None or groups[-1].site.id != report.site_id:
            groups.append(QueueGroup(report.site, site_reports=counts.get(report.site_id or 0, 1)))
        photo = report.photos[0] if report.photos else None
        groups[-1].items.append(QueueItem(report, photo, one_line(report.description)))
    return QueuePage(int(total or 0), max(1, math.ceil((total or 0) / page_size)), groups)


def next_in_queue(
    session: Session, current: BarrierReport, filters: QueueFilter | None = None
) -> int | None:
    """The report to review after ``current``: the next one in queue order, wrapping round to
    the start; None when no other report waits. Ask before deciding on ``current``."""
    filters = filters or QueueFilter()
    if filters.group:
        ids = _ids_of_group(session, filters)
    else:
        ids = list(session.scalars(_ordered_ids(filters.conditions())))
    if current.id in ids:
        at = ids.index(current.id)
        ids = ids[at + 1 :] + ids[:at]
    return ids[0] if ids else None


def site_reports(session: Session, site: BarrierSite) -> list[BarrierReport]:
    """A site's reports with their photos and areas, oldest first."""
    return list(
        session.scalars(
            select(BarrierReport)
            .options(selectinload(BarrierReport.photos), selectinload(BarrierReport.area))
            .where(BarrierReport.site_id == site.id)
            .order_by(BarrierReport.created_at, BarrierReport.id)
        )
    )


def first_photos(session: Session, site_ids: list[int]) -> dict[int, Photo]:
    """One photo for each of the sites that has any: the first photo of its oldest report."""
    if not site_ids:
        return {}
    rows = session.execute(
        select(BarrierReport.site_id, Photo)
        .join(Photo, Photo.report_id == BarrierReport.id)
        .where(BarrierReport.site_id.in_(site_ids))
        .order_by(BarrierReport.created_at, BarrierReport.id, Photo.position, Photo.id)
    )
    found: dict[int, Photo] = {}
    for site_id, photo in rows:
        found.setdefault(site_id, photo)
    return found
