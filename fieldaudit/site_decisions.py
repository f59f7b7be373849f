"""Planners' decisions on barrier sites (no Flask)::

    verified ──plan (year, optional cost)──> planned ──fix──> fixed
    verified/planned ──fix──> fixed;  verified/planned ──close (reason)──> closed
    fixed/closed ──reopen (reason)──> verified

A site becomes verified when a reviewer verifies one of its reports (``report_review``); once a
planner has planned, fixed or closed it, review actions no longer change its status. When a
planner changes a site's status, its reports that are verified, planned, fixed or closed take
the same status, so a reporter following a report sees what happens to the barrier. Each
decision is recorded in the history (``history.record``); who may decide is ``permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.errors import ValidationError
from fieldaudit.history import checked_text, record, wrong_status
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, User
from fieldaudit.permissions import require
from fieldaudit.priority import score_site
from fieldaudit.problems import problem
from fieldaudit.status import REPORTS_FOLLOW_SITE, Action, Status
from fieldaudit.utc import utc_now

MAX_COST_DKK = 1_000_000_000
INVALID_COST = problem("cost", "invalid_cost")


@dataclass(frozen=True)
class SiteDecision:
    """A planner's decision on a site: the status it gives, from which statuses, and its text."""

    status: Status
    allowed_from: frozenset[str]
    text_field: str
    text_required: bool


OPEN_FOR_DECISION = frozenset({Status.VERIFIED.value, Status.PLANNED.value})
SITE_DECISIONS: dict[Action, SiteDecision] = {
    Action.PLAN: SiteDecision(Status.PLANNED, OPEN_FOR_DECISION, "note", False),
    Action.FIX: SiteDecision(Status.FIXED, OPEN_FOR_DECISION, "note", False),
    Action.CLOSE: SiteDecision(Status.CLOSED, OPEN_FOR_DECISION, "reason", True),
    Action.REOPEN: SiteDecision(
        Status.VERIFIED, frozenset({Status.FIXED.value, Status.CLOSED.value}), "reason", True
    ),
}


def _site_decision(
    session: Session,
    site: BarrierSite,
    actor: User,
    action: Action,
    text: str,
    before_extra: dict[str, Any] | None = None,
    after_extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> HistoryEntry:
    """Apply one of ``SITE_DECISIONS``; the site's verified (or later) reports follow it."""
    decision = SITE_DECISIONS[action]
    require(actor, action)
    reason = checked_text(text, decision.text_field, required=decision.text_required)
    if site.status not in decision.allowed_from:
        raise wrong_status(site.status)
    before = {"status": site.status, **(before_extra or {})}
    follow = decision.status.value
    site.status = follow
    site.status_reason = reason
    entry = record(
        session,
        action,
        actor,
        site=site,
        before=before,
        after={"status": follow, **(after_extra or {})},
        reason=reason,
        now=now,
    )
    for report in session.scalars(
        select(BarrierReport).where(
            BarrierReport.site_id == site.id,
            BarrierReport.status.in_(REPORTS_FOLLOW_SITE),
            BarrierReport.status != follow,
        )
    ):
        previous = report.status
        report.status = follow
        report.status_reason = reason
        record(
            session,
            Action.SITE_STATUS,
            actor,
            report=report,
            site=site,
            before={"status": previous},
            after={"status": follow},
            reason=reason,
            now=now,
        )
    score_site(session, site, now=now)
    session.flush()
    return entry


def plan_site(
    session: Session,
    site: BarrierSite,
    actor: User,
    year: int | None,
    cost_dkk: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """A planner plans the repair of a verified site for a year, with an optional cost estimate."""
    require(actor, Action.PLAN)
    moment = utc_now(now)
    problems = []
    if year is None or not moment.year - 1 <= year <= moment.year + 30:
        problems.append(
            problem("year", "invalid_year", first=moment.year - 1, last=moment.year + 30)
        )
    if cost_dkk is not None and not 0 <= cost_dkk <= MAX_COST_DKK:
        problems.append(INVALID_COST)
    if problems:
        raise ValidationError(problems)
    entry = _site_decision(
        session,
        site,
        actor,
        Action.PLAN,
        note,
        {"planned_year": site.planned_year, "planned_cost_dkk": site.planned_cost_dkk},
        {"planned_year": year, "planned_cost_dkk": cost_dkk},
        now,
    )
    site.planned_year = year
    site.planned_cost_dkk = cost_dkk
    session.flush()
    return entry


def estimate_cost(
    session: Session,
    site: BarrierSite,
    actor: User,
    cost_dkk: int | None,
    now: datetime | None = None,
) -> HistoryEntry:
    """A planner sets (or with None clears) an open site's cost estimate in DKK without
    planning it, for the what-if's budget; recorded for staff only."""
    require(actor, Action.ESTIMATE_COST)
    if site.status not in OPEN_FOR_DECISION:
        raise wrong_status(site.status)
    if cost_dkk is not None and not 0 <= cost_dkk <= MAX_COST_DKK:
        raise ValidationError(INVALID_COST)
    entry = record(
        session,
        Action.ESTIMATE_COST,
        actor,
        site=site,
        before={"planned_cost_dkk": site.planned_cost_dkk},
        after={"planned_cost_dkk": cost_dkk},
        public=False,
        now=now,
    )
    site.planned_cost_dkk = cost_dkk
    session.flush()
    return entry


def fix_site(
    session: Session, site: BarrierSite, actor: User, note: str = "", now: datetime | None = None
) -> HistoryEntry:
    """A planner marks a verified or planned site as fixed."""
    return _site_decision(session, site, actor, Action.FIX, note, now=now)


def close_site(
    session: Session, site: BarrierSite, actor: User, reason: str, now: datetime | None = None
) -> HistoryEntry:
    """A planner closes a site without action, with a reason that is shown publicly."""
    return _site_decision(session, site, actor, Action.CLOSE, reason, now=now)


def reopen_site(
    session: Session, site: BarrierSite, actor: User, reason: str, now: datetime | None = None
) -> HistoryEntry:
    """A planner reopens a fixed or closed site (for example: it is still there)."""
    return _site_decision(session, site, actor, Action.REOPEN, reason, now=now)


def site_actions(site: BarrierSite) -> list[Action]:
    """The planners' actions possible on a site in its present status."""
    return site_actions_for(site.status)


def site_actions_for(status: str) -> list[Action]:
    """The planners' actions possible on a site of this status."""
    return [action for action, rule in SITE_DECISIONS.items() if status in rule.allowed_from]
