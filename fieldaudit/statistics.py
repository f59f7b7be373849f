"""Statistics for Handicaprådet: counts, reports per month and how long things take (no Flask).

* counts of reports by area, category, affected group and status, and of sites by status;
* per month: new reports (by the time they were made), verifications and fixes (by the time
  they were recorded in the history);
* the median time from a report being made to its first review (verify, reject or duplicate),
  and from a report being made to its site being fixed.

Every figure counts all reports, hidden ones too (this is for the council, not the public).
An optional period (``since``/``until``, dates inclusive) limits which reports are counted.
"""

from __future__ import annotations

import statistics as stats
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fieldaudit.models import Area, BarrierReport, BarrierSite, HistoryEntry
from fieldaudit.status import FIX_ACTIONS, OPEN_STATUSES, STATUS_LABELS, Action, Status
from fieldaudit.taxonomy import CATEGORIES, GROUP_LABELS, Group, Label, category
from fieldaudit.utc import as_utc
from fieldaudit.visibility import needs_new_look

REVIEW_ACTIONS = (Action.VERIFY.value, Action.REJECT.value, Action.DUPLICATE.value)
MAX_MONTHS = 120  # ten years
MONTHLY_UP_TO = 24  # longer spans are shown by quarter, and beyond 60 months by year
QUARTERLY_UP_TO = 60
OUTSIDE_AREAS = Label("Uden for områderne", "Outside the areas")


@dataclass(frozen=True)
class Count:
    """One row of a count: a code, its label, and how many."""

    code: str
    label: Label
    count: int


@dataclass(frozen=True)
class Month:
    """New reports, verifications and fixes in one calendar month."""

    month: str
    new: int
    verified: int
    fixed: int


@dataclass
class Statistics:
    """Everything the statistics page and the status report show."""

    generated_at: datetime
    since: date | None
    until: date | None
    total_reports: int
    total_sites: int
    by_area: list[Count] = field(default_factory=list)
    by_category: list[Count] = field(default_factory=list)
    by_group: list[Count] = field(default_factory=list)
    by_status: list[Count] = field(default_factory=list)
    sites_by_status: list[Count] = field(default_factory=list)
    per_month: list[Month] = field(default_factory=list)
    reviewed: int = 0
    median_days_to_review: float | None = None
    fixed_reports: int = 0
    median_days_to_fix: float | None = None
    open_sites: int = 0
    high_open_sites: int = 0
    needing_new_look: int = 0


def _month(moment: datetime) -> str:
    return as_utc(moment).astimezone(UTC).strftime("%Y-%m")


def _months_between(first: str, last: str) -> list[str]:
    year, month = (int(p) for p in first.split("-"))
    end_year, end_month = (int(p) for p in last.split("-"))
    months = []
    while (year, month) <= (end_year, end_month):
        months.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return months


def _period(since: date | None, until: date | None) -> list[Any]:
    conditions: list[Any] = []
    if since is not None:
        conditions.append(BarrierReport.created_at >= datetime.combine(since, time(), UTC))
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), time(), UTC)
        conditions.append(BarrierReport.created_at < end)
    return conditions


def _sorted(counts: list[Count]) -> list[Count]:
    return sorted(counts, key=lambda c: (-c.count, c.label.da))


def compute(
    session: Session,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> Statistics:
    """Compute the statistics for reports made in the period (all reports without one)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    period = _period(since, until)
    rows = session.execute(
        select(
            BarrierReport.id,
            BarrierReport.created_at,
            BarrierReport.area_id,
            BarrierReport.category,
            BarrierReport.groups,
            BarrierReport.status,
            BarrierReport.site_id,
        ).where(*period)
    ).all()
    result = Statistics(
        generated_at=now,
        since=since,
        until=until,
        total_reports=len(rows),
        total_sites=session.scalar(select(func.count()).select_from(BarrierSite)) or 0,
    )

    area_names = dict(session.execute(select(Area.id, Area.name)).all())
    by_area = Counter(row.area_id for row in rows)
    result.by_area = _sorted(
        [
            Count(str(a or ""), Label(area_names[a], area_names[a]) if a else OUTSIDE_AREAS, n)
            for a, n in by_area.items()
        ]
    )
    by_category = Counter(row.category for row in rows)
    result.by_category = [
        Count(c.code, c.label, by_category[c.code]) for c in CATEGORIES if by_category[c.code]
    ] + [
        Count(code, Label(code, code), n)
        for code, n in by_category.items()
        if category(code) is None
    ]
    result.by_category = _sorted(result.by_category)
    by_group = Counter(g for row in rows for g in (row.groups or []))
    result.by_group = _sorted(
        [Count(g.value, GROUP_LABELS[g], by_group[g.value]) for g in Group if by_group[g.value]]
    )
    by_status = Counter(row.status for row in rows)
    result.by_status = [
        Count(s.value, STATUS_LABELS[s], by_status[s.value]) for s in Status if by_status[s.value]
    ]
    site_rows = session.scalars(select(BarrierSite)).all()
    sites_by_status = Counter(site.status for site in site_rows)
    result.sites_by_status = [
        Count(s.value, STATUS_LABELS[s], sites_by_status[s.value])
        for s in Status
        if sites_by_status[s.value]
    ]
    open_values = {s.value for s in OPEN_STATUSES}
    result.open_sites = sum(1 for s in site_rows if s.status in open_values)
    result.high_open_sites = sum(1 for s in site_rows if is_open_high(s))
    result.needing_new_look = sum(1 for s in site_rows if needs_new_look(s, now))

    report_ids = [row.id for row in rows]
    made = {row.id: as_utc(row.created_at) for row in rows}
    first_review = (
        dict(
            session.execute(
                select(HistoryEntry.report_id, func.min(HistoryEntry.created_at))
                .where(
                    HistoryEntry.action.in_(REVIEW_ACTIONS), HistoryEntry.report_id.in_(report_ids)
                )
                .group_by(HistoryEntry.report_id)
            ).all()
        )
        if report_ids
        else {}
    )
    review_days = [
        max(0.0, (as_utc(moment) - made[rid]).total_seconds() / 86400)
        for rid, moment in first_review.items()
    ]
    result.reviewed = len(review_days)
    result.median_days_to_review = stats.median(review_days) if review_days else None

    fixed_at = dict(
        session.execute(
            select(HistoryEntry.site_id, func.max(HistoryEntry.created_at))
            .where(HistoryEntry.action.in_(FIX_ACTIONS), HistoryEntry.report_id.is_(None))
            .group_by(HistoryEntry.site_id)
        ).all()
    )
    fixed_status = {s.id for s in site_rows if s.status == Status.FIXED.value}
    fix_days = [
        max(0.0, (as_utc(fixed_at[row.site_id]) - made[row.id]).total_seconds() / 86400)
        for row in rows
        if row.site_id in fixed_status and row.site_id in fixed_at
    ]
    result.fixed_reports = len(fix_days)
    result.median_days_to_fix = stats.median(fix_days) if fix_days else None

    result.per_month = _per_month(session, rows, report_ids, now)
    return result


def is_open_high(site: BarrierSite) -> bool:
    """An open site (new, verified or planned) of high severity: the key figure and its list."""
    return site.status in {s.value for s in OPEN_STATUSES} and site.severity == "high"


def open_high_sites(session: Session, limit: int | None = None) -> list[BarrierSite]:
    """The open sites of high severity, highest priority first (the key figure's list)."""
    stmt = (
        select(BarrierSite)
        .options(selectinload(BarrierSite.area))
        .where(
            BarrierSite.status.in_([s.value for s in OPEN_STATUSES]),
            BarrierSite.severity == "high",
        )
        .order_by(BarrierSite.priority_score.desc(), BarrierSite.first_seen, BarrierSite.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def recently_fixed_sites(session: Session, days: int = 90) -> list[BarrierSite]:
    """The sites fixed in the last ``days`` days that are still fixed, by id."""
    since = datetime.now(UTC) - timedelta(days=days)
    fixed_ids = session.scalars(
        select(HistoryEntry.site_id).where(
            HistoryEntry.action.in_(FIX_ACTIONS),
            HistoryEntry.report_id.is_(None),
            HistoryEntry.created_at >= since,
        )
    ).all()
    return list(
        session.scalars(
            select(BarrierSite)
            .options(selectinload(BarrierSite.area))
            .where(BarrierSite.id.in_(fixed_ids or [-1]), BarrierSite.status == Status.FIXED.value)
            .order_by(BarrierSite.id)
        )
    )


def _entries_per_month(session: Session, *conditions: Any) -> Counter[str]:
    """How many history entries meeting ``conditions`` were recorded in each month."""
    return Counter(
        _month(moment)
        for moment in session.scalars(select(HistoryEntry.created_at).where(*conditions))
    )


def _per_month(
    session: Session, rows: list[Any], report_ids: list[int], now: datetime
) -> list[Month]:
    new = Counter(_month(row.created_at) for row in rows)
    verified: Counter[str] = Counter()
    if report_ids:
        verified = _entries_per_month(
            session,
            HistoryEntry.action == Action.VERIFY.value,
            HistoryEntry.report_id.in_(report_ids),
        )
    site_ids = {row.site_id for row in rows if row.site_id is not None}
    fixed: Counter[str] = Counter()
    if site_ids:
        fixed = _entries_per_month(
            session,
            HistoryEntry.action.in_(FIX_ACTIONS),
            HistoryEntry.report_id.is_(None),
            HistoryEntry.site_id.in_(site_ids),
        )
    months = set(new) | set(verified) | set(fixed)
    if not months:
        return []
    span = _months_between(min(months), max(max(months), _month(now)))[-MAX_MONTHS:]
    return [Month(m, new[m], verified[m], fixed[m]) for m in span]


def periods(months: list[Month], lang: str = "da") -> list[Month]:
    """The months as the chart and its table show them: by month up to two years, by quarter
    up to five, by year beyond (sums, so the table and the chart give the same numbers)."""
    if len(months) <= MONTHLY_UP_TO:
        return months
    quarterly = len(months) <= QUARTERLY_UP_TO
    grouped: dict[str, list[int]] = {}
    for m in months:
        year, month = m.month.split("-")
        if quarterly:
            key = f"{year} {'Q' if lang == 'en' else 'K'}{(int(month) - 1) // 3 + 1}"
        else:
            key = year
        sums = grouped.setdefault(key, [0, 0, 0])
        sums[0] += m.new
        sums[1] += m.verified
        sums[2] += m.fixed
    return [Month(key, *sums) for key, sums in grouped.items()]


def counts_table(counts: list[Count], lang: str) -> list[tuple[str, int]]:
    """Counts as (label, count) rows in a language, for tables and charts."""
    return [(c.label.get(lang), c.count) for c in counts]
