"""Barrier sites: merging reports of the same barrier (complete-linkage, as Project Sidewalk).

A new report joins the nearest open site of its category whose every report lies within the
category's radius of it (7.5 m for kerbs and ramps, 10 m for the rest); otherwise it starts a
new site. Reports by the same reporter within 10 minutes of each other are never merged
automatically. ``rebuild_sites`` runs the same rule over every report in arrival order, so it
gives the same sites as the incremental path.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from fieldaudit.areas import area_for_point
from fieldaudit.crs import METRIC
from fieldaudit.errors import ConflictError, Problem
from fieldaudit.models import BarrierReport, BarrierSite, SiteConfirmation
from fieldaudit.spatial import backend
from fieldaudit.status import OPEN_STATUSES, Status
from fieldaudit.taxonomy import SEVERITIES, Label, Severity, category

SAME_REPORTER_WINDOW = timedelta(minutes=10)
CANDIDATE_SITES = 8
REBUILD_CHUNK = 500
# Reports that no longer describe a barrier do not hold a site together.
EXCLUDED_REPORT_STATUSES = (Status.REJECTED.value,)

SEVERITY_BY_RANK = {info.rank: severity for severity, info in SEVERITIES.items()}
# Built once: building and caching a statement costs more than running it on a small site.
COUNTING_REPORTS = select(
    BarrierReport.id,
    func.ST_X(BarrierReport.geom).label("x"),
    func.ST_Y(BarrierReport.geom).label("y"),
    BarrierReport.severity,
    BarrierReport.groups,
    BarrierReport.tags,
    BarrierReport.measurements,
    BarrierReport.status,
    BarrierReport.created_at,
    BarrierReport.reporter_id,
    BarrierReport.device_token_hash,
).where(
    BarrierReport.site_id == bindparam("site_id"),
    BarrierReport.status.not_in(EXCLUDED_REPORT_STATUSES),
)
CONFIRMATIONS = (
    select(SiteConfirmation.kind, func.count(), func.max(SiteConfirmation.created_at))
    .where(SiteConfirmation.site_id == bindparam("site_id"))
    .group_by(SiteConfirmation.kind)
)
LOOK_UP_AREA: Any = object()


@dataclass(frozen=True)
class Member:
    """What clustering needs to know of a report."""

    x: float
    y: float
    created_at: Any
    reporter: str | None


def reporter_key(report: Any) -> str | None:
    """Who made a report: the account, else the device, else unknown."""
    if report.reporter_id is not None:
        return f"user:{report.reporter_id}"
    if report.device_token_hash:
        return f"device:{report.device_token_hash}"
    return None


def radius_for(category_code: str) -> float:
    """The merge radius of a category in metres."""
    cat = category(category_code)
    return cat.cluster_radius_m if cat else 10.0


def coordinates(session: Session, geom_column: Any, where: Any) -> list[tuple[Any, float, float]]:
    """Return (id, x, y) rows of EPSG:25832 points."""
    table = geom_column.table
    (pk,) = table.primary_key.columns
    rows = session.execute(
        select(pk, func.ST_X(geom_column), func.ST_Y(geom_column)).where(where)
    ).all()
    return [(r[0], float(r[1]), float(r[2])) for r in rows]


def _members(session: Session, site_id: int) -> list[Member]:
    return [
        Member(float(r.x), float(r.y), r.created_at, reporter_key(r))
        for r in session.execute(COUNTING_REPORTS, {"site_id": site_id})
    ]


def can_join(members: Sequence[Member], candidate: Member, radius: float) -> bool:
    """Complete linkage, and never the same reporter within 10 minutes."""
    for member in members:
        if (member.x - candidate.x) ** 2 + (member.y - candidate.y) ** 2 > radius * radius:
            return False
        if (
            candidate.reporter is not None
            and member.reporter == candidate.reporter
            and abs(_aware(member.created_at) - _aware(candidate.created_at))
            <= SAME_REPORTER_WINDOW
        ):
            return False
    return True


def _aware(moment: Any) -> Any:
    """SQLite returns naive datetimes (stored as UTC); make them comparable."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def nearby_open_sites(
    session: Session,
    category_code: str,
    x: float,
    y: float,
    radius_m: float,
    limit: int = 5,
    first_site_id: int = 0,
) -> list[tuple[BarrierSite, float]]:
    """The open sites of a category nearest an EPSG:25832 point, within a radius, with distances."""
    spatial = backend(session)
    distance = spatial.distance(BarrierSite.geom, x, y).label("distance")
    stmt = select(BarrierSite, distance).where(
        BarrierSite.category == category_code,
        BarrierSite.status.in_([s.value for s in OPEN_STATUSES]),
    )
    if first_site_id:
        stmt = stmt.where(BarrierSite.id >= first_site_id)
    rows = session.execute(spatial.nearest(stmt, BarrierSite.geom, x, y, radius_m, limit)).all()
    return [(site, float(d)) for site, d in rows]


def join_site(
    session: Session, report: BarrierReport, x: float, y: float, first_site_id: int = 0
) -> BarrierSite:
    """Put a new report (at EPSG:25832 x, y) into its site, creating one if none fits.

    Sites with an id below ``first_site_id`` are not considered (used by the rebuild).
    """
    radius = radius_for(report.category)
    candidate = Member(x, y, report.created_at, reporter_key(report))
    for site, _distance in nearby_open_sites(
        session, report.category, x, y, radius, CANDIDATE_SITES, first_site_id
    ):
        if can_join(_members(session, site.id), candidate, radius):
            report.site = site
            session.flush()
            refresh_site(session, site)
            return site
    site = BarrierSite(
        category=report.category,
        geom=from_shape(Point(x, y), srid=METRIC),
        severity=report.severity,
        status=Status.NEW.value,
    )
    session.add(site)
    report.site = site
    session.flush()
    if report.status in EXCLUDED_REPORT_STATUSES:
        refresh_site(session, site)
    else:
        # A site made this instant holds just this report and no confirmation: refresh it
        # from what is known instead of reading it back (three queries fewer, same result).
        # Its area is the one store_report has just looked up for the same point (the rebuild
        # looks it up afresh: areas may have changed since the report arrived).
        _refresh(
            session, site, [report], [x], [y], [], LOOK_UP_AREA if first_site_id else report.area_id
        )
    return site


def median_severity(severities: Iterable[str]) -> str:
    """The median severity (the higher middle value when the count is even)."""
    ranks = [SEVERITIES[Severity(s)].rank for s in severities]
    return SEVERITY_BY_RANK[statistics.median_high(ranks)].value


def refresh_site(session: Session, site: BarrierSite, area_id: Any = LOOK_UP_AREA) -> None:
    """Recompute a site's position, severity, groups, tags, counts and dates from its reports.

    ``area_id`` may give the area of the site's new position when the caller knows it.
    """
    reports = session.execute(COUNTING_REPORTS, {"site_id": site.id}).all()
    if not reports:
        site.report_count = 0
        return
    confirmations = session.execute(CONFIRMATIONS, {"site_id": site.id}).all()
    _refresh(
        session,
        site,
        reports,
        [float(r.x) for r in reports],
        [float(r.y) for r in reports],
        confirmations,
        area_id,
    )


def _refresh(
    session: Session,
    site: BarrierSite,
    reports: Sequence[Any],
    xs: Sequence[float],
    ys: Sequence[float],
    confirmations: Sequence[Any],
    area_id: Any = LOOK_UP_AREA,
) -> None:
    """Set a site's aggregates from its counting reports (rows or objects), their EPSG:25832
    coordinates and its confirmations as (kind, count, latest) rows; then score it."""
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(ys)
    site.geom = from_shape(Point(mean_x, mean_y), srid=METRIC)
    site.severity = median_severity(r.severity for r in reports)
    site.groups = sorted({g for r in reports for g in r.groups})
    site.tag_counts = dict(sorted(Counter(t for r in reports for t in r.tags).items()))
    site.report_count = len(reports)
    counts = {kind: count for kind, count, _ in confirmations}
    site.confirmation_count = counts.get("still_there", 0)
    site.fixed_claim_count = counts.get("fixed_now", 0)
    moments = [_aware(r.created_at) for r in reports] + [
        _aware(latest) for _, _, latest in confirmations if latest is not None
    ]
    site.first_seen = min(_aware(r.created_at) for r in reports)
    site.last_seen = max(moments)
    if area_id is LOOK_UP_AREA:
        area = area_for_point(session, mean_x, mean_y)
        area_id = area.id if area else None
    site.area_id = area_id
    from fieldaudit.priority import score_site  # priority builds on this module

    score_site(session, site, reports)
    session.flush()


def rebuild_sites(session: Session, progress: Any = None) -> int:
    """Re-cluster every report from scratch, in arrival order; return the number of sites.

    Each new site inherits the review state (status, reason, plan) and the confirmations of
    the old site most of its reports belonged to; then the old sites are removed.
    """
    first_new_id = (session.scalar(select(func.max(BarrierSite.id))) or 0) + 1
    old_site_of = dict(session.execute(select(BarrierReport.id, BarrierReport.site_id)).all())
    session.execute(update(BarrierReport).values(site_id=None))
    session.expire_all()
    # Every report's coordinates in one query, the reports themselves in chunks, instead of
    # two queries per report.
    ids = session.execute(
        select(BarrierReport.id, func.ST_X(BarrierReport.geom), func.ST_Y(BarrierReport.geom))
        .where(BarrierReport.status.not_in(EXCLUDED_REPORT_STATUSES))
        .order_by(BarrierReport.received_at, BarrierReport.id)
    ).all()
    for start in range(0, len(ids), REBUILD_CHUNK):
        chunk = ids[start : start + REBUILD_CHUNK]
        loaded = {
            r.id: r
            for r in session.scalars(
                select(BarrierReport).where(BarrierReport.id.in_([row[0] for row in chunk]))
            )
        }
        for number, (report_id, x, y) in enumerate(chunk, start + 1):
            join_site(session, loaded[report_id], float(x), float(y), first_new_id)
            if progress is not None:
                progress(number, len(ids))
    _carry_over(session, old_site_of, first_new_id)
    session.execute(delete(BarrierSite).where(BarrierSite.id < first_new_id))
    session.flush()
    session.expire_all()
    return session.scalar(select(func.count()).select_from(BarrierSite)) or 0


def _carry_over(session: Session, old_site_of: dict[int, int | None], first_new_id: int) -> None:
    """Give each new site the review state and confirmations of its main old site."""
    votes: dict[int, Counter[int]] = {}
    for report_id, new_site in session.execute(
        select(BarrierReport.id, BarrierReport.site_id).where(BarrierReport.site_id.is_not(None))
    ).all():
        old_site = old_site_of.get(report_id)
        if old_site is not None:
            votes.setdefault(new_site, Counter())[old_site] += 1
    claimed: set[int] = set()
    for new_id, counter in sorted(votes.items()):
        old_id = counter.most_common(1)[0][0]
        if old_id in claimed:
            continue
        claimed.add(old_id)
        old, new = session.get(BarrierSite, old_id), session.get(BarrierSite, new_id)
        if old is None or new is None:
            continue
        new.status, new.status_reason = old.status, old.status_reason
        new.planned_year, new.planned_cost_dkk = old.planned_year, old.planned_cost_dkk
        moved = session.execute(
            update(SiteConfirmation)
            .where(SiteConfirmation.site_id == old_id)
            .values(site_id=new_id)
        ).rowcount
        if moved:
            refresh_site(session, new)
    session.flush()


CONFIRMATION_KINDS = ("still_there", "fixed_now")


def record_confirmation(
    session: Session,
    site: BarrierSite,
    confirmation: SiteConfirmation,
) -> tuple[SiteConfirmation, bool]:
    """Store a 'still there' / 'fixed now' for a site once per UUID; return it and 'created'.

    The same UUID with the same content returns the stored one; other content is a conflict.
    """
    existing = session.scalar(
        select(SiteConfirmation).where(SiteConfirmation.uuid == confirmation.uuid)
    )
    if existing is not None:
        if existing.content_hash != confirmation.content_hash:
            raise ConflictError(
                Problem(
                    "uuid",
                    "uuid_conflict",
                    Label(
                        "En anden bekræftelse med samme UUID er allerede modtaget.",
                        "A different confirmation with the same UUID has already been received.",
                    ),
                )
            )
        return existing, False
    confirmation.site_id = site.id
    session.add(confirmation)
    session.flush()
    refresh_site(session, site)
    return confirmation, True


def add_confirmation(
    session: Session,
    site: BarrierSite,
    confirmation_uuid: str,
    kind: str,
    created_at: datetime,
    reporter_id: int | None = None,
    device_token_hash: str | None = None,
) -> tuple[SiteConfirmation, bool]:
    """Record a 'still there' / 'fixed now' once per UUID; its content is site, kind and time."""
    content = {"site_id": site.id, "kind": kind, "created_at": created_at.isoformat()}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return record_confirmation(
        session,
        site,
        SiteConfirmation(
            uuid=confirmation_uuid,
            content_hash=digest,
            kind=kind,
            created_at=created_at,
            reporter_id=reporter_id,
            device_token_hash=device_token_hash,
        ),
    )
