"""Statistics per area for planners: sites by category and severity, a score, audit coverage.

The area score is the sum of the priority scores of the area's open sites (under a preset):
an area with many serious barriers in an important place ranks high. "Last audited" is the
time of the latest report placed in the area; areas without any report were never audited,
which is what a coverage map for planning audit walks shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldaudit.models import Area, BarrierReport, BarrierSite
from fieldaudit.priority import DEFAULT_PRESET, score_for
from fieldaudit.status import OPEN_STATUSES
from fieldaudit.taxonomy import MUNICIPALITY, Label
from fieldaudit.utc import as_utc

# Coverage classes, for the coverage map and its legend.
RECENT_AUDIT = timedelta(days=365)
COVERAGE_LABELS: dict[str, Label] = {
    "never": Label("Aldrig gennemgået", "Never audited"),
    "old": Label("Gennemgået for over et år siden", "Audited more than a year ago"),
    "recent": Label("Gennemgået inden for et år", "Audited within a year"),
}
COVERAGE_COLOURS = {"never": "#b2182b", "old": "#f4a582", "recent": "#2166ac"}


@dataclass
class AreaStats:
    """What a planner needs to know about one area."""

    area_id: int
    name: str
    kind: str
    importance: float
    approximate: bool
    site_count: int = 0
    open_count: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    score: float = 0.0
    top_score: float = 0.0
    report_count: int = 0
    last_audited: datetime | None = None

    @property
    def never_audited(self) -> bool:
        """True when no report was ever placed in the area."""
        return self.last_audited is None

    def coverage(self, now: datetime | None = None) -> str:
        """'never', 'old' (over a year ago) or 'recent'."""
        if self.last_audited is None:
            return "never"
        now = now or datetime.now(UTC)
        return "recent" if now - self.last_audited <= RECENT_AUDIT else "old"


def area_statistics(session: Session, preset: str = DEFAULT_PRESET) -> list[AreaStats]:
    """Statistics for every area (not the municipal boundary), highest area score first."""
    stats: dict[int, AreaStats] = {
        area.id: AreaStats(area.id, area.name, area.kind, area.importance, area.approximate)
        for area in session.scalars(select(Area).where(Area.kind != MUNICIPALITY))
    }
    open_values = {s.value for s in OPEN_STATUSES}
    rows = session.execute(
        select(
            BarrierSite.area_id,
            BarrierSite.category,
            BarrierSite.severity,
            BarrierSite.status,
            BarrierSite.priority_score,
            BarrierSite.priority_factors,
        ).where(BarrierSite.area_id.is_not(None))
    )
    for area_id, category, severity, status, score, factors in rows:
        entry = stats.get(area_id)
        if entry is None:
            continue
        entry.site_count += 1
        if status not in open_values:
            continue
        value = score if preset == DEFAULT_PRESET else score_for(factors or {}, preset)
        entry.open_count += 1
        entry.by_category[category] += 1
        entry.by_severity[severity] += 1
        entry.score += value or 0.0
        entry.top_score = max(entry.top_score, value or 0.0)
    audits = session.execute(
        select(BarrierReport.area_id, func.count(), func.max(BarrierReport.created_at))
        .where(BarrierReport.area_id.is_not(None))
        .group_by(BarrierReport.area_id)
    )
    for area_id, count, latest in audits:
        if area_id in stats:
            stats[area_id].report_count = count
            stats[area_id].last_audited = as_utc(latest)
    for entry in stats.values():
        entry.score = round(entry.score, 2)
    return sorted(stats.values(), key=lambda s: (-s.score, s.name))


def never_audited(stats: list[AreaStats]) -> list[AreaStats]:
    """The areas nobody has reported from yet, by name."""
    return sorted((s for s in stats if s.never_audited), key=lambda s: s.name)
