"""What planners do, without Flask: filter and rank sites, mark them planned or fixed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from fieldaudit.errors import Problem, ValidationError
from fieldaudit.models import Area, BarrierSite, HistoryEntry, User
from fieldaudit.priority import DEFAULT_PRESET, PRESETS, score_site
from fieldaudit.status import OPEN_STATUSES, STATUS_LABELS, Status
from fieldaudit.taxonomy import GROUP_LABELS, Group, Label, category

OPEN = "open"
ALL = "all"
MAX_PLAN_YEARS_AHEAD = 30
MAX_COST_DKK = 1_000_000_000
MAX_REASON = 2000


@dataclass(frozen=True)
class SiteFilter:
    """A planner's selection of sites: area, category, group, status and weighting."""

    area_id: int | None = None
    category: str | None = None
    group: str | None = None
    status: str = OPEN
    preset: str = DEFAULT_PRESET

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> SiteFilter:
        """Read a filter from query arguments; unknown values fall back to 'no filter'."""
        area = str(args.get("area", "") or "")
        code = args.get("category") or None
        group = args.get("group") or None
        status = args.get("status") or OPEN
        preset = args.get("preset") or DEFAULT_PRESET
        return cls(
            area_id=int(area) if area.isdigit() else None,
            category=code if code and category(code) else None,
            group=group if group in Group.__members__ else None,
            status=status if status in {OPEN, ALL} | {s.value for s in Status} else OPEN,
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
        if self.status != OPEN:
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
    if site_filter.status == OPEN:
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


def _problem(field_name: str, code: str, da: str, en: str) -> Problem:
    return Problem(field_name, code, Label(da, en))


def _site_state(site: BarrierSite) -> dict[str, Any]:
    return {
        "status": site.status,
        "planned_year": site.planned_year,
        "planned_cost_dkk": site.planned_cost_dkk,
        "status_reason": site.status_reason,
    }


def _record(
    session: Session,
    site: BarrierSite,
    actor: User | None,
    action: str,
    before: dict[str, Any],
    reason: str = "",
) -> HistoryEntry:
    entry = HistoryEntry(
        site_id=site.id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        before=before,
        after=_site_state(site),
        reason=reason,
        public=True,
        created_at=datetime.now(UTC),
    )
    session.add(entry)
    return entry


# As in fieldaudit.lifecycle: verified -> planned -> fixed.
PLANNABLE = frozenset({Status.VERIFIED.value, Status.PLANNED.value})


def _parse_int(raw: Any) -> int | None:
    text = str(raw if raw is not None else "").strip().replace(".", "").replace(" ", "")
    if text.startswith("-"):
        return None
    return int(text) if text.isdigit() else None


def mark_planned(
    session: Session,
    site: BarrierSite,
    actor: User | None,
    year: Any,
    cost_dkk: Any,
    now: datetime | None = None,
) -> HistoryEntry:
    """Mark a site as planned for a year at a cost in DKK; record the change in its history."""
    now = now or datetime.now(UTC)
    problems: list[Problem] = []
    parsed_year = _parse_int(year)
    if parsed_year is None or not now.year <= parsed_year <= now.year + MAX_PLAN_YEARS_AHEAD:
        problems.append(
            _problem(
                "year",
                "invalid_year",
                f"Året skal være et årstal fra {now.year} til {now.year + MAX_PLAN_YEARS_AHEAD}.",
                f"The year must be from {now.year} to {now.year + MAX_PLAN_YEARS_AHEAD}.",
            )
        )
    cost_text = str(cost_dkk if cost_dkk is not None else "").strip()
    parsed_cost = _parse_int(cost_text) if cost_text else None
    if cost_text and (parsed_cost is None or parsed_cost > MAX_COST_DKK):
        problems.append(
            _problem(
                "cost",
                "invalid_cost",
                "Prisen skal være et helt antal kroner (0 eller mere), fx 45000.",
                "The cost must be a whole number of kroner (0 or more), e.g. 45000.",
            )
        )
    if site.status not in PLANNABLE:  # the lifecycle: only a verified site can be planned
        problems.append(
            _problem(
                "status",
                "not_plannable",
                "Kun et sted, som Handicaprådet har bekræftet, kan planlægges.",
                "Only a site the Disability Council has verified can be planned.",
            )
        )
    if problems:
        raise ValidationError(problems)
    before = _site_state(site)
    site.status = Status.PLANNED.value
    site.planned_year = parsed_year
    site.planned_cost_dkk = parsed_cost
    entry = _record(session, site, actor, "planned", before)
    score_site(session, site, now=now)
    session.flush()
    return entry


def mark_fixed(
    session: Session,
    site: BarrierSite,
    actor: User | None,
    reason: Any = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """Mark a site as fixed, with an optional note; record the change in its history."""
    text = str(reason or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationError(
            _problem(
                "reason",
                "invalid_reason",
                f"Noten må højst være {MAX_REASON} tegn.",
                f"The note may be at most {MAX_REASON} characters.",
            )
        )
    if site.status not in PLANNABLE:  # the lifecycle: verified or planned -> fixed
        raise ValidationError(
            _problem(
                "status",
                "not_fixable",
                "Kun et bekræftet eller planlagt sted kan markeres som udbedret.",
                "Only a verified or planned site can be marked as fixed.",
            )
        )
    before = _site_state(site)
    site.status = Status.FIXED.value
    site.status_reason = text
    entry = _record(session, site, actor, "fixed", before, text)
    score_site(session, site, now=now)
    session.flush()
    return entry


def site_history(session: Session, site: BarrierSite) -> list[HistoryEntry]:
    """The recorded changes of a site, newest first."""
    return list(
        session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.site_id == site.id)
            .order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc())
        )
    )
