"""What planners do, without Flask: filter and rank sites; plan them through ``site_decisions``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session, selectinload

from fieldaudit import params
from fieldaudit.errors import ValidationError
from fieldaudit.models import Area, BarrierReport, BarrierSite, HistoryEntry, User
from fieldaudit.priority import DEFAULT_PRESET, PRESETS
from fieldaudit.site_decisions import (
    INVALID_COST,
    OPEN_FOR_DECISION,
    estimate_cost,
    plan_site,
    site_actions_for,
)
from fieldaudit.status import OPEN_STATUSES, STATUS_LABELS, Action, Status
from fieldaudit.taxonomy import GROUP_LABELS, Group, Label, category

OPEN = "open"
ALL = "all"
# The list's two views: what the council has verified (the default, it can be planned) and
# what still awaits the council's review.
READY = "ready"
AWAITING = "awaiting"
READY_STATUSES = tuple(sorted(OPEN_FOR_DECISION))
VIEWS = {
    READY: Label("Klar til planlægning", "Ready for planning"),
    AWAITING: Label("Afventer Handicaprådet", "Awaiting the Disability Council"),
}


STATUS_VALUES = frozenset(s.value for s in Status)


@dataclass(frozen=True)
class SiteFilter:
    """A planner's selection of sites: area, category, group, status and weighting."""

    area_id: int | None = None
    category: str | None = None
    group: str | None = None
    status: str = READY
    preset: str = DEFAULT_PRESET

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> SiteFilter:
        """Read a filter from query arguments; unknown values fall back to 'no filter'."""
        area = str(args.get("area", "") or "")
        code = args.get("category") or None
        group = args.get("group") or None
        status = args.get("status") or READY
        preset = args.get("preset") or DEFAULT_PRESET
        return cls(
            area_id=params.record_id(area),
            category=code if code and category(code) else None,
            group=group if group in Group.__members__ else None,
            status=status if status in {READY, AWAITING, OPEN, ALL} | STATUS_VALUES else READY,
            preset=preset if preset in PRESETS else DEFAULT_PRESET,
        )

    def as_args(self) -> dict[str, str]:
        """The filter as query arguments (only what differs from the default)."""
        args: dict[str, str] = {}
        if self.area_id is not None:
            args["area"] = str(self.area_id)
        if self.category:
            args["category"] = self.category
        if self.group:
            args["group"] = self.group
        if self.status != READY:
            args["status"] = self.status
        if self.preset != DEFAULT_PRESET:
            args["preset"] = self.preset
        return args

    def describe(self, session: Session, lang: str = "da") -> str:
        """The filter in words, for printed maps and export headers."""
        en = lang == "en"
        parts: list[str] = []
        if self.area_id is not None:
            area = session.get(Area, self.area_id)
            parts.append(("Area: " if en else "Område: ") + (area.name if area else "?"))
        if self.category and (cat := category(self.category)):
            parts.append(("Category: " if en else "Kategori: ") + cat.label.get(lang))
        if self.group:
            parts.append(
                ("Group: " if en else "Målgruppe: ") + GROUP_LABELS[Group(self.group)].get(lang)
            )
        status = {
            READY: Label("bekræftet af Handicaprådet", "verified by the Disability Council"),
            AWAITING: Label("afventer Handicaprådet", "awaiting the Disability Council"),
            OPEN: Label("åbne steder", "open sites"),
            ALL: Label("alle steder", "all sites"),
        }.get(self.status)
        if status is None:
            status = STATUS_LABELS[Status(self.status)]
        parts.append("Status: " + status.get(lang))
        parts.append(("Weighting: " if en else "Vægtning: ") + PRESETS[self.preset].label.get(lang))
        return " · ".join(parts)


def score_column(preset: str) -> Any:
    """The SQL expression of a site's score under a preset (balanced is an indexed column)."""
    if preset == DEFAULT_PRESET or preset not in PRESETS:
        return BarrierSite.priority_score
    return BarrierSite.priority_factors[("scores", preset)].as_float()


def filtered(site_filter: SiteFilter) -> Select[Any]:
    """The sites matching a filter, highest score first."""
    stmt = select(BarrierSite)
    if site_filter.area_id is not None:
        stmt = stmt.where(BarrierSite.area_id == site_filter.area_id)
    if site_filter.category:
        stmt = stmt.where(BarrierSite.category == site_filter.category)
    if site_filter.group:
        # Group codes are distinct words, so the quoted code matches only that group.
        stmt = stmt.where(cast(BarrierSite.groups, String).like(f'%"{site_filter.group}"%'))
    if site_filter.status == READY:
        stmt = stmt.where(BarrierSite.status.in_(READY_STATUSES))
    elif site_filter.status == AWAITING:
        stmt = stmt.where(BarrierSite.status == Status.NEW.value)
    elif site_filter.status == OPEN:
        stmt = stmt.where(BarrierSite.status.in_([s.value for s in OPEN_STATUSES]))
    elif site_filter.status != ALL:
        stmt = stmt.where(BarrierSite.status == site_filter.status)
    score = score_column(site_filter.preset)
    return stmt.order_by(func.coalesce(score, 0.0).desc(), BarrierSite.id)


def ranked_sites(
    session: Session, site_filter: SiteFilter, limit: int | None = None, offset: int = 0
) -> tuple[list[BarrierSite], int]:
    """One page of the ranked sites of a filter, and how many match in all."""
    stmt = filtered(site_filter)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.scalars(stmt)), total


def can_be_planned(status: str) -> bool:
    """Whether a planner may plan a site now (only what the council has verified)."""
    return Action.PLAN in site_actions_for(status)


def plannability(status: str) -> Label:
    """What a row of the list says about planning the site."""
    if status == Status.NEW.value:
        return Label(
            "Kan ikke planlægges endnu: afventer Handicaprådet",
            "Not yet: awaiting the Disability Council",
        )
    if status == Status.PLANNED.value:
        return Label("Planlagt (kan ændres)", "Planned (can be changed)")
    if can_be_planned(status):
        return Label("Kan planlægges", "Can be planned")
    return Label("Kan ikke planlægges", "Cannot be planned")


def count_views(session: Session, site_filter: SiteFilter) -> dict[str, int]:
    """How many sites of the filter each view holds (for the view tabs)."""
    return {
        view: ranked_sites(session, replace(site_filter, status=view), limit=0)[1] for view in VIEWS
    }


def site_reports(session: Session, site: BarrierSite) -> list[BarrierReport]:
    """A site's reports, oldest first, with their photos loaded (for the planning page)."""
    return list(
        session.scalars(
            select(BarrierReport)
            .options(selectinload(BarrierReport.photos))
            .where(BarrierReport.site_id == site.id)
            .order_by(BarrierReport.created_at, BarrierReport.id)
        )
    )


def whole_number(text: str) -> int | None:
    """A whole number as planners write it ('45.000', '45 000', '-5'); None when it is not one."""
    digits = text.strip().replace(".", "").replace(" ", "")
    negative = digits.startswith("-")
    digits = digits.removeprefix("-")
    if not digits.isdigit():
        return None
    return -int(digits) if negative else int(digits)


def cost_from_text(cost: str) -> int | None:
    """A cost in DKK as planners write it; None when empty; ValidationError when not a number."""
    cost_text = (cost or "").strip()
    cost_dkk = whole_number(cost_text) if cost_text else None
    if cost_text and cost_dkk is None:
        raise ValidationError(INVALID_COST)
    return cost_dkk


def estimate_from_text(
    session: Session, site: BarrierSite, actor: User, cost: str, now: datetime | None = None
) -> HistoryEntry:
    """Set a site's cost estimate from the site page's text (empty clears it)."""
    return estimate_cost(session, site, actor, cost_from_text(cost), now=now)


def plan_from_text(
    session: Session,
    site: BarrierSite,
    actor: User,
    year: str,
    cost: str,
    now: datetime | None = None,
) -> HistoryEntry:
    """Plan a site from the planning form's text: ``site_decisions.plan_site`` after parsing."""
    return plan_site(session, site, actor, whole_number(year or ""), cost_from_text(cost), now=now)
