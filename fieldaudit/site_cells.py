"""Barrier sites counted per grid cell, kept up to date, for maps that show many sites at once.

A zoomed-out map cannot draw a million points; it draws grid cells with their counts. Counting
them on each request means reading every site in the view (hundreds of milliseconds at
1,000,000 reports), so the counts are kept in ``site_cells`` instead, one row per cell of a
fixed square grid at each size in ``LEVELS``: how many public sites lie in it (verified,
planned, fixed or closed: ``status.PUBLIC_SITE_STATUSES``; a site under review or rejected is
never counted, so a cell cannot betray it), how many of them are of high severity, their
reports, and the sum of their offsets from the cell's corner (so a cell is drawn where its
sites are on average). A map then reads at most a couple of thousand rows through the key.

Every change to a site made through the ORM (a new site, a site that moves, changes severity,
report count or status, a deleted site) updates the cells in the same flush and transaction
(``track_site_cells``), so they are never out of step with the sites. Bulk writes that bypass
the ORM (the sites rebuild, the bench loader) call ``rebuild_site_cells`` afterwards;
``fieldaudit check`` compares the table with a fresh count and ``--repair`` rebuilds it.

Cells are ``floor(x / size)`` of EPSG:25832 coordinates, computed the same way in Python and SQL
(``spatial.cell_index``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierSite, site_cells
from fieldaudit.spatial import SpatialBackend, backend
from fieldaudit.status import PUBLIC_SITE_STATUSES
from fieldaudit.stored_points import point_xy

# Cell sizes in metres: the round sizes the map chooses (1, 2, 5 x 10^k) from 10 m to 5 km.
LEVELS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
# Sites the cells count: the public ones only (the rule of ``visibility.site_is_public``).
COUNTED_STATUSES = PUBLIC_SITE_STATUSES
HIGH = "high"


@dataclass(frozen=True)
class Cell:
    """A stored cell: its size, index, counts and where its sites are on average."""

    level: int
    gx: int
    gy: int
    sites: int
    high: int
    reports: int
    x: float
    y: float


@dataclass(frozen=True)
class SiteState:
    """What a site contributes to the cells it lies in."""

    x: float
    y: float
    high: bool
    reports: int


def cell_of(x: float, y: float, level: int) -> tuple[int, int]:
    """The cell of an EPSG:25832 point at a level (as the SQL computes it)."""
    return int(x / level), int(y / level)


def _state(x: Any, y: Any, status: Any, severity: Any, reports: Any) -> SiteState | None:
    if status not in COUNTED_STATUSES or x is None:
        return None
    return SiteState(float(x), float(y), severity == HIGH, int(reports or 0))


Delta = dict[tuple[int, int, int], list[float]]


def add_to_delta(delta: Delta, state: SiteState | None, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) a site's contribution at every level."""
    if state is None:
        return
    for level in LEVELS:
        gx, gy = cell_of(state.x, state.y, level)
        entry = delta.setdefault((level, gx, gy), [0, 0, 0, 0.0, 0.0])
        entry[0] += sign
        entry[1] += sign * state.high
        entry[2] += sign * state.reports
        entry[3] += sign * (state.x - gx * level)
        entry[4] += sign * (state.y - gy * level)


_upserts: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding to a cell, built once per dialect."""
    stmt = _upserts.get(dialect)
    if stmt is None:
        module = postgresql if dialect == "postgresql" else sqlite
        insert = module.insert(site_cells)
        stmt = _upserts[dialect] = insert.on_conflict_do_update(
            index_elements=["level", "gx", "gy"],
            set_={
                name: site_cells.c[name] + insert.excluded[name]
                for name in ("sites", "high", "reports", "sum_dx", "sum_dy")
            },
        )
    return stmt


def apply_delta(connection: Any, delta: Delta) -> None:
    """Write a set of changes to the cells in one statement (cells with no change skipped)."""
    rows = [
        {
            "level": level,
            "gx": gx,
            "gy": gy,
            "sites": sites,
            "high": high,
            "reports": reports,
            "sum_dx": dx,
            "sum_dy": dy,
        }
        for (level, gx, gy), (sites, high, reports, dx, dy) in delta.items()
        if sites or high or reports or abs(dx) > 1e-9 or abs(dy) > 1e-9
    ]
    if rows:
        connection.execute(_upsert(connection.dialect.name), rows)


def _xy(geom: Any) -> tuple[float, float] | tuple[None, None]:
    if geom is None:
        return None, None
    return point_xy(geom)


def state_of(geom: Any, status: Any, severity: Any, report_count: Any) -> SiteState | None:
    """What a site with these stored values adds to the cells (None: it is not counted)."""
    if status not in COUNTED_STATUSES or geom is None:
        return None
    return _state(*_xy(geom), status, severity, report_count)


def apply_change(connection: Any, old: SiteState | None, new: SiteState | None) -> None:
    """Write one site's change (its contribution before and after) to the cells, for writes
    that bypass the ORM's flush (and so ``track_site_cells``)."""
    if old != new:
        delta: Delta = {}
        add_to_delta(delta, old, -1)
        add_to_delta(delta, new, 1)
        apply_delta(connection, delta)


def _old_and_new(site: BarrierSite) -> tuple[SiteState | None, SiteState | None]:
    """A site's contribution before this flush (as stored) and after it."""
    state = inspect(site)
    values: dict[str, tuple[Any, Any]] = {}
    for name in ("geom", "status", "severity", "report_count"):
        history = state.attrs[name].history
        current = getattr(site, name)
        old = history.deleted[0] if history.deleted else current
        values[name] = (old, current)
    old_xy = _xy(values["geom"][0])
    new_xy = _xy(values["geom"][1]) if values["geom"][1] is not values["geom"][0] else old_xy
    old = _state(*old_xy, values["status"][0], values["severity"][0], values["report_count"][0])
    new = _state(*new_xy, values["status"][1], values["severity"][1], values["report_count"][1])
    return old, new


def _changed(site: BarrierSite) -> bool:
    state = inspect(site)
    return any(
        state.attrs[name].history.has_changes()
        for name in ("geom", "status", "severity", "report_count")
    )


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    delta: Delta = {}
    for site in session.new:
        if isinstance(site, BarrierSite):
            add_to_delta(delta, _old_and_new(site)[1], 1)
    for site in session.dirty:
        if isinstance(site, BarrierSite) and _changed(site):
            old, new = _old_and_new(site)
            if old != new:
                add_to_delta(delta, old, -1)
                add_to_delta(delta, new, 1)
    for site in session.deleted:
        if isinstance(site, BarrierSite):
            add_to_delta(delta, _old_and_new(site)[0], -1)
    if delta:
        apply_delta(session.connection(), delta)


def track_site_cells(session_class: Any) -> None:
    """Keep ``site_cells`` in step with every ORM change to a site (idempotent)."""
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)


def _cells_sql(level: int, spatial: SpatialBackend) -> Any:
    x, y = func.ST_X(BarrierSite.geom), func.ST_Y(BarrierSite.geom)
    gx = spatial.cell_index(x, level)
    gy = spatial.cell_index(y, level)
    inner = (
        select(
            gx.label("gx"),
            gy.label("gy"),
            x.label("x"),
            y.label("y"),
            case((BarrierSite.severity == HIGH, 1), else_=0).label("high"),
            BarrierSite.report_count.label("reports"),
        )
        .where(BarrierSite.status.in_(COUNTED_STATUSES))
        .subquery()
    )
    return select(
        literal(level).label("level"),
        inner.c.gx,
        inner.c.gy,
        func.count().label("sites"),
        func.sum(inner.c.high).label("high"),
        func.coalesce(func.sum(inner.c.reports), 0).label("reports"),
        func.sum(inner.c.x - inner.c.gx * level).label("sum_dx"),
        func.sum(inner.c.y - inner.c.gy * level).label("sum_dy"),
    ).group_by(inner.c.gx, inner.c.gy)


def rebuild_site_cells(session: Session) -> int:
    """Count every public site afresh (after bulk writes); return the number of cells."""
    session.flush()
    connection = session.connection()
    connection.execute(delete(site_cells))
    for level in LEVELS:
        query = _cells_sql(level, backend(session))
        connection.execute(
            site_cells.insert().from_select(
                ["level", "gx", "gy", "sites", "high", "reports", "sum_dx", "sum_dy"], query
            )
        )
    return connection.execute(select(func.count()).select_from(site_cells)).scalar_one()


def cells_in_box(
    session: Session, level: int, bbox: Sequence[float], more_than: int | None = None
) -> list[Cell]:
    """The non-empty cells of a level that a box touches (EPSG:25832), through the key; with
    ``more_than``, only when they hold more sites than that (else none: the sum is taken in
    SQL, so a box the map shows as sites sends no cells back)."""
    x0, y0 = cell_of(bbox[0], bbox[1], level)
    x1, y1 = cell_of(bbox[2], bbox[3], level)
    c = site_cells.c
    in_box = and_(
        c.level == level,
        c.gx.between(x0, x1),
        c.gy.between(y0, y1),
        c.sites > 0,
    )
    stmt = select(c.gx, c.gy, c.sites, c.high, c.reports, c.sum_dx, c.sum_dy).where(in_box)
    if more_than is not None:
        stmt = stmt.where(select(func.sum(c.sites)).where(in_box).scalar_subquery() > more_than)
    return [
        Cell(level, gx, gy, sites, high, reports, gx * level + dx / sites, gy * level + dy / sites)
        for gx, gy, sites, high, reports, dx, dy in session.execute(stmt).all()
    ]


def differences(session: Session) -> list[str]:
    """Where the stored cells differ from a fresh count (empty when they agree)."""
    stored: dict[tuple[int, int, int], tuple[int, int, int, float, float]] = {}
    for level, gx, gy, sites, high, reports, dx, dy in session.execute(select(site_cells)):
        if sites:
            stored[(level, gx, gy)] = (sites, high, reports, dx, dy)
    fresh: dict[tuple[int, int, int], tuple[int, int, int, float, float]] = {}
    for level in LEVELS:
        for row in session.execute(_cells_sql(level, backend(session))):
            fresh[(level, row.gx, row.gy)] = (
                row.sites,
                row.high or 0,
                row.reports or 0,
                row.sum_dx,
                row.sum_dy,
            )
    problems: list[str] = []
    for key in sorted(set(stored) | set(fresh)):
        a, b = stored.get(key), fresh.get(key)
        if a is None or b is None or a[:3] != b[:3] or not _close(a[3:], b[3:]):
            problems.append(f"site_cells {key}: stored {a}, counted {b}")
    return problems


def _close(a: Iterable[float], b: Iterable[float]) -> bool:
    return all(abs(p - q) < 1e-3 for p, q in zip(a, b, strict=True))
