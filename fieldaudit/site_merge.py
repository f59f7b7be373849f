"""Merging two sites that are one barrier (no Flask)::

    source (new / verified / rejected) ──merge──> target (new / verified / planned)

Every report of the source moves to the target with its status (a verified report moved into a
planned site takes the site's status, as ``site_decisions`` would have given it); so do the
volunteers' confirmations. The emptied source becomes a duplicate whose status history says where
its reports went (``history.merged_into``), so its pages redirect to the target. Nothing is
deleted: the source keeps its own history, the target gains one entry per moved report and one
for the merge. Only sites of one category merge (correct a report's category first); a site a
planner has decided on (planned, fixed, closed) is not merged away.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldaudit.errors import ValidationError
from fieldaudit.history import checked_text, record, wrong_status
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, SiteConfirmation, User
from fieldaudit.permissions import require
from fieldaudit.problems import problem
from fieldaudit.report_review import sites_near, update_site_status
from fieldaudit.sites import coordinates
from fieldaudit.status import PLANNER_SITE_STATUSES, REPORTS_FOLLOW_SITE, Action, Status
from fieldaudit.visibility import NearbySite

MERGE_FROM = frozenset({Status.NEW.value, Status.VERIFIED.value, Status.REJECTED.value})
MERGE_INTO = frozenset({Status.NEW.value, Status.VERIFIED.value, Status.PLANNED.value})
CANDIDATE_RADIUS_M = 100.0


# A site the given site could be merged into, with its distance in metres.
MergeCandidate = NearbySite


def check_merge(source: BarrierSite, target: BarrierSite | None) -> None:
    """Raise unless ``source`` may be merged into ``target`` (see the module docstring)."""
    if target is None or target.id == source.id:
        raise ValidationError(problem("target", "merge_target"))
    if source.status not in MERGE_FROM:
        raise wrong_status(source.status)
    if target.status not in MERGE_INTO:
        raise ValidationError(problem("target", "merge_target_closed"))
    if target.category != source.category:
        raise ValidationError(problem("target", "merge_other_category"))


def merge_sites(
    session: Session,
    source: BarrierSite,
    target: BarrierSite,
    actor: User,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """Move every report and confirmation of ``source`` into ``target``; the emptied source
    becomes a duplicate pointing at the target. Returns the target's merge entry (flushes)."""
    require(actor, Action.MERGE_SITE)
    reason = checked_text(reason, "reason", required=False)
    check_merge(source, target)
    reports = list(
        session.scalars(
            select(BarrierReport)
            .where(BarrierReport.site_id == source.id)
            .order_by(BarrierReport.created_at, BarrierReport.id)
        )
    )
    follows = target.status in PLANNER_SITE_STATUSES
    for report in reports:
        before = {"site_id": source.id, "status": report.status}
        report.site = target
        if report.duplicate_of_site_id == source.id:
            report.duplicate_of_site_id = target.id
        if follows and report.status in REPORTS_FOLLOW_SITE:
            report.status = target.status
        session.flush()
        record(
            session,
            Action.MERGE_SITE,
            actor,
            report=report,
            site=target,
            before=before,
            after={"site_id": target.id, "status": report.status},
            reason=reason,
            public=False,
            now=now,
        )
    session.execute(
        update(SiteConfirmation)
        .where(SiteConfirmation.site_id == source.id)
        .values(site_id=target.id)
    )
    moved = [r.id for r in reports]
    record(
        session,
        Action.MERGE_SITE,
        actor,
        site=source,
        before={"status": source.status, "report_count": source.report_count},
        after={"merged_into": target.id, "report_ids": moved},
        reason=reason,
        public=False,
        now=now,
    )
    entry = record(
        session,
        Action.MERGE_SITE,
        actor,
        site=target,
        before={"report_count": target.report_count},
        after={"from_site_id": source.id, "report_ids": moved},
        reason=reason,
        public=True,
        now=now,
    )
    update_site_status(session, target, actor, now)
    update_site_status(session, source, actor, now, moved_to=target)
    session.flush()
    return entry


def merge_candidates(
    session: Session, site: BarrierSite, radius_m: float = CANDIDATE_RADIUS_M, limit: int = 8
) -> list[MergeCandidate]:
    """Open sites of the same category near ``site``, nearest first: what it may merge into."""
    ((_, x, y),) = coordinates(session, BarrierSite.geom, BarrierSite.id == site.id)
    conditions = [
        BarrierSite.id != site.id,
        BarrierSite.category == site.category,
        BarrierSite.status.in_(sorted(MERGE_INTO)),
    ]
    return sites_near(session, x, y, conditions, radius_m, limit)
