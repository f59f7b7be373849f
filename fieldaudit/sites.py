"""Barrier sites: putting each new report into its site, and confirmations of sites.

``join_site`` applies the rule of ``fieldaudit.site_rule`` (complete linkage within the
category's radius, never the same reporter within 10 minutes) to one report and the candidate
sites ``fieldaudit.site_candidates`` reads, and keeps the site's aggregates and score up to
date. The full rebuild
(``fieldaudit.site_rebuild``) runs the same rule over every report in arrival order, so it
gives the same sites as this incremental path.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from fieldaudit.areas import area_for_point
from fieldaudit.errors import ConflictError
from fieldaudit.models import BarrierReport, BarrierSite, SiteConfirmation
from fieldaudit.network_factor import StoredImpacts, facts_from_flags
from fieldaudit.priority import score_site
from fieldaudit.problems import problem
from fieldaudit.site_candidates import (
    COUNTING_REPORTS,
    Candidate,
    CandidateSite,
    candidate_rows,
    candidate_sites,
    candidates_of,
)
from fieldaudit.site_cells import SiteState, apply_change, state_of
from fieldaudit.site_rule import (
    EXCLUDED_REPORT_STATUSES,
    ClusterPoint,
    counted_reports,
    join_lock_keys,
    median_severity,
    radius_for,
    reporter_key,
    site_to_join,
)
from fieldaudit.site_writes import (
    NEW_SITE_REST,
    REPORT_TO_SITE,
    SITE_AGGREGATES,
    SITE_DELETE,
    expire_loaded,
    site_params,
    site_writes_for,
    with_report,
)
from fieldaudit.spatial import backend
from fieldaudit.status import Status
from fieldaudit.stored_points import point_element
from fieldaudit.utc import as_utc

# Confirmations count once per count key (the account, else the device, else the client
# address, per local day: ``confirmation_count_key``), apart for those without an account.
CONFIRMATION_ANONYMOUS = case((SiteConfirmation.reporter_id.is_(None), 1), else_=0)
CONFIRMATION_COUNTED = func.count(
    func.distinct(func.coalesce(SiteConfirmation.count_key, SiteConfirmation.uuid))
)
CONFIRMATIONS = (
    select(
        SiteConfirmation.kind,
        CONFIRMATION_ANONYMOUS,
        CONFIRMATION_COUNTED,
        func.max(SiteConfirmation.created_at),
    )
    .where(SiteConfirmation.site_id == bindparam("site_id"))
    .group_by(SiteConfirmation.kind, CONFIRMATION_ANONYMOUS)
)
CONFIRMATION_DAY = ZoneInfo("Europe/Copenhagen")
LOOK_UP_AREA: Any = object()


def coordinates(session: Session, geom_column: Any, where: Any) -> list[tuple[Any, float, float]]:
    """Return (id, x, y) rows of EPSG:25832 points."""
    table = geom_column.table
    (pk,) = table.primary_key.columns
    rows = session.execute(
        select(pk, func.ST_X(geom_column), func.ST_Y(geom_column)).where(where)
    ).all()
    return [(r[0], float(r[1]), float(r[2])) for r in rows]


def _point(row: Any) -> ClusterPoint:
    """What the rule needs of a report row (its time made aware, as the rule compares times)."""
    return ClusterPoint(float(row.x), float(row.y), as_utc(row.created_at), reporter_key(row))


def _join_lock_keys(report: Any, x: float, y: float) -> list[int]:
    return join_lock_keys(report.category, x, y, radius_for(report.category))


def _choose(
    report: Any, x: float, y: float, candidates: list[Candidate]
) -> tuple[Candidate | None, list[Any]]:
    """The candidate a report at (x, y) joins by the rule (None: it starts a new site) and
    that site's other counting reports as rows."""
    point = ClusterPoint(x, y, as_utc(report.created_at), reporter_key(report))
    by_id = {found.site.id: found for found in candidates}
    others = {
        site_id: [row for row in found.members if row.id != report.id]
        for site_id, found in by_id.items()
    }
    radius = radius_for(report.category)
    site_id = site_to_join(others, lambda key: [_point(row) for row in others[key]], point, radius)
    if site_id is None:
        return None, []
    return by_id[site_id], others[site_id]


# What a new site has besides its first report: no network facts, no confirmations.
NO_READS: tuple[StoredImpacts | None, list[Any]] = (None, [])


def _site_reads(session: Session, found: Candidate) -> tuple[StoredImpacts, list[Any]]:
    """What a join reads of the site it joins besides the candidates: its network facts for
    the score (a query only for a site on the walking network) and its confirmations as
    ``CONFIRMATIONS`` rows (a query only if it has any)."""
    site = found.site
    network = facts_from_flags(session, site.id, found.impact_stored, found.on_network)
    confirmations = (
        session.execute(CONFIRMATIONS, {"site_id": site.id}).all()
        if site.confirmation_count or site.fixed_claim_count
        else []
    )
    return network, confirmations


def _site_to_join(
    session: Session, report: Any, x: float, y: float
) -> tuple[Candidate | None, list[Any]]:
    """``_choose`` on the candidates read once the join locks are held (a concurrent join of
    a report nearby waits until this one is committed)."""
    backend(session).hold_join_locks(session.connection(), _join_lock_keys(report, x, y))
    radius = radius_for(report.category)
    return _choose(report, x, y, candidate_sites(session, report.category, x, y, radius))


def _new_site(report: Any, x: float, y: float) -> BarrierSite:
    return BarrierSite(
        category=report.category,
        geom=point_element(x, y),
        severity=report.severity,
        status=Status.NEW.value,
    )


def _refresh_with(
    session: Session,
    site: Any,
    rows: list[Any],
    report: Any,
    x: float,
    y: float,
    reads: tuple[StoredImpacts | None, list[Any]],
    area_id: Any,
) -> None:
    """Refresh a site from its other counting reports (rows) and one more counting report at
    (x, y), with its network facts and confirmations (``_site_reads``; none for a new site)
    and its area (``LOOK_UP_AREA``: from its new position)."""
    network, confirmations = reads
    _refresh(
        session,
        site,
        [*rows, report],
        [float(r.x) for r in rows] + [x],
        [float(r.y) for r in rows] + [y],
        confirmations,
        area_id,
        network=network,
    )


def join_site(session: Session, report: BarrierReport, x: float, y: float) -> BarrierSite:
    """Put a report (at EPSG:25832 x, y; new and not yet flushed, or stored without a site)
    into its site, creating one if none fits. Costs one read (the candidate sites with all
    their reports) and one write: a stored report is written with its site (one statement
    on PostGIS, ``SpatialBackend.together``), a new one flushed after it; the site is
    refreshed from what the read returned instead of reading it back.
    """
    found, rows = _site_to_join(session, report, x, y)
    site = None if found is None else found.site
    if report.status in EXCLUDED_REPORT_STATUSES:
        if site is None:
            joined = _new_site(report, x, y)
            session.add(joined)
        else:
            joined = session.get_one(BarrierSite, site.id)
        report.site = joined
        session.flush()
        refresh_site(session, joined)
        return joined
    values = _joining(site, report)
    reads = NO_READS if found is None else _site_reads(session, found)
    _refresh_with(session, values, rows, report, x, y, reads, LOOK_UP_AREA)
    if inspect(report).pending:
        report.site = _written_site(session, _write_site(session, site, values), values, site)
        session.flush()
        return report.site
    site_id = _write_site(session, site, values, report_id=report.id)
    written = _written_site(session, site_id, values, site)
    set_committed_value(report, "site_id", site_id)
    set_committed_value(report, "site", written)
    session.expire(written, ["reports"])
    return written


def _written_site(
    session: Session, site_id: int, values: SimpleNamespace, site: CandidateSite | None
) -> BarrierSite:
    """The site ``_write_site`` wrote, as a persistent object holding what was written
    (nothing is read back; what was not written, loaded when first used)."""
    row = {name: getattr(values, name) for name in SITE_AGGREGATES}
    if site is None:
        row.update(category=values.category, status=values.status, **NEW_SITE_REST)
    written = BarrierSite(id=site_id, **row)
    make_transient_to_detached(written)
    # Merged without a load: a site of the same id that a rolled-back transaction left in
    # the session (SQLite gives the id out again) takes the new values instead of clashing.
    return session.merge(written, load=False)


class NewReportRow(NamedTuple):
    """How ``join_new_report`` writes a new report: ``statement``, an INSERT that writes it once
    (``ON CONFLICT (uuid) DO NOTHING RETURNING id``) into the site given as the parameter
    ``to_site``, and its other ``params``."""

    statement: Any
    params: dict[str, Any]


class JoinPlan(NamedTuple):
    """What a join of a new report decides from the candidate sites it read: the candidate it
    joins (None: it starts a site), the site's refreshed aggregates, and what deciding read
    of that site besides the candidates (``_site_reads``; None for a new site)."""

    found: Candidate | None
    values: SimpleNamespace
    reads: tuple[StoredImpacts, list[Any]] | None


def _plan(
    session: Session, report: Any, x: float, y: float, candidates: list[Candidate]
) -> JoinPlan:
    found, rows = _choose(report, x, y, candidates)
    values = _joining(None if found is None else found.site, report)
    if found is None:
        # A site the report starts lies where the report does: in the area just found for it.
        _refresh_with(session, values, rows, report, x, y, NO_READS, report.area_id)
        return JoinPlan(None, values, None)
    reads = _site_reads(session, found)
    _refresh_with(session, values, rows, report, x, y, reads, LOOK_UP_AREA)
    return JoinPlan(found, values, reads)


def _unchanged(session: Session, plan: JoinPlan, rows: list[Any], again: list[Any]) -> bool:
    """Whether a decision made before the locks stands: the same candidate rows, and the same
    network facts and confirmations of the site it joins where it read them."""
    return again == rows and (plan.found is None or _site_reads(session, plan.found) == plan.reads)


def _planned_join(session: Session, report: Any, x: float, y: float) -> JoinPlan:
    """Decide a new report's join while holding the join locks.

    Where the locks stop every writer (SQLite's one writer) the join reads and decides
    before it waits for them, then reads again under them (``_unchanged``): what it read
    unchanged keeps the decision (the locks are held only for those reads and the writes);
    else it decides again from the new rows. Elsewhere (PostGIS's advisory locks stop only
    joins nearby) it takes the locks first."""
    spatial = backend(session)
    session.flush()  # pending writes first: on SQLite they would take the write lock
    connection = session.connection()
    keys = _join_lock_keys(report, x, y)
    radius = radius_for(report.category)
    if spatial.decides_before_join_locks(connection):
        rows = candidate_rows(session, report.category, x, y, radius)
        plan = _plan(session, report, x, y, candidates_of(session, rows))
        spatial.hold_join_locks(connection, keys)
        again = candidate_rows(session, report.category, x, y, radius)
        if _unchanged(session, plan, rows, again):
            return plan
    else:
        spatial.hold_join_locks(connection, keys)
        again = candidate_rows(session, report.category, x, y, radius)
    return _plan(session, report, x, y, candidates_of(session, again))


def join_new_report(
    session: Session,
    report: BarrierReport,
    x: float,
    y: float,
    row: NewReportRow,
) -> tuple[int, int] | None:
    """Join a new, counting report that is not in the session (its ``area_id`` that of
    (x, y)) to its site, write both, and return (site id, report id); None when the report
    may not be written (its UUID is stored already): then the sites are left as they were.

    The report and the site are written with Core statements (``site_writes``), on PostGIS
    as one (``SpatialBackend.if_inserted``: the site's UPDATE only if the report was inserted;
    ``SpatialBackend.with_new_parent``: a new site and the report in it), elsewhere one after
    the other (an existing site after the report, a new one before it and deleted again if
    the report is refused), so nothing needs a rollback; then the site's change to the
    cells."""
    found, values, _ = _planned_join(session, report, x, y)
    site = None if found is None else found.site
    connection = session.connection()
    writes = site_writes_for(session)
    joined, started = with_report(session, row.statement)
    params = {**row.params, **site_params(values, site is None)}
    if site is not None:
        params["to_site"] = site.id
        if joined is not None:
            report_id = connection.execute(joined, params).scalar()
        else:
            report_id = connection.execute(row.statement, params).scalar()
            if report_id is not None:
                connection.execute(writes.update, params)
        if report_id is None:
            return None
        site_id = site.id
        expire_loaded(session, site_id)
    else:
        if started is not None:
            site_id, report_id = connection.execute(started, params).one()
        else:
            site_id = connection.execute(writes.insert, params).scalar_one()
            report_id = connection.execute(row.statement, {**params, "to_site": site_id}).scalar()
        if report_id is None:
            connection.execute(SITE_DELETE, {"site_id": site_id})
            return None
    apply_change(connection, None if site is None else _cell_state(site), _cell_state(values))
    return site_id, report_id


def _joining(site: CandidateSite | None, report: Any) -> SimpleNamespace:
    """What a site's refresh starts from when a counting report joins it (or starts it)."""
    if site is None:
        return SimpleNamespace(
            id=None,
            category=report.category,
            status=Status.NEW.value,
            confirmation_count=0,
            fixed_claim_count=0,
        )
    return SimpleNamespace(
        id=site.id,
        category=site.category,
        status=site.status,
        confirmation_count=site.confirmation_count,
        fixed_claim_count=site.fixed_claim_count,
    )


def _cell_state(site: Any) -> SiteState | None:
    return state_of(site.geom, site.status, site.severity, site.report_count)


def _write_site(
    session: Session,
    site: CandidateSite | None,
    values: SimpleNamespace,
    report_id: int | None = None,
) -> int:
    """Write a site's refreshed aggregates (``values``) as one Core statement, an UPDATE of a
    candidate site as read or an INSERT of a new one, then its change to the cells; return
    the site's id (nothing is read back, and the ORM's unit of work is not involved; a copy
    of the site the session holds is expired). With ``report_id`` that stored report is put
    into the site too (with an UPDATE of the site, in the same statement where the database
    can)."""
    connection = session.connection()
    writes = site_writes_for(session)
    params = site_params(values, site is None)
    if site is None:
        site_id = connection.execute(writes.insert, params).scalar_one()
        old = None
        if report_id is not None:
            connection.execute(REPORT_TO_SITE, {"report_id": report_id, "to_site": site_id})
    else:
        site_id = params["to_site"] = site.id
        old = _cell_state(site)
        if report_id is None:
            connection.execute(writes.update, params)
        else:
            params["report_id"] = report_id
            for statement in writes.update_with_report:
                connection.execute(statement, params)
        expire_loaded(session, site_id)
    apply_change(connection, old, _cell_state(values))
    return site_id


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
    session.flush()


def _refresh(
    session: Session,
    site: BarrierSite,
    reports: Sequence[Any],
    xs: Sequence[float],
    ys: Sequence[float],
    confirmations: Sequence[Any],
    area_id: Any = LOOK_UP_AREA,
    network: StoredImpacts | None = None,
) -> None:
    """Set a site's aggregates from its counting reports (rows or objects), their EPSG:25832
    coordinates and its confirmations as ``CONFIRMATIONS`` rows; then score it (with its
    network facts when the caller has them). Only the ``shown_reports`` count."""
    counted = counted_reports([r.status for r in reports], lambda i: (xs[i], ys[i]))
    if len(counted.shown) < len(reports):
        reports = [reports[i] for i in counted.shown]
    mean_x, mean_y = counted.x, counted.y
    site.geom = point_element(mean_x, mean_y)
    site.severity = median_severity(r.severity for r in reports)
    site.groups = sorted({g for r in reports for g in r.groups})
    site.tag_counts = dict(sorted(Counter(t for r in reports for t in r.tags).items()))
    site.report_count = len(reports)
    totals = confirmation_totals(confirmations)
    site.confirmation_count = totals.still_there
    site.anonymous_confirmation_count = totals.anonymous_still_there
    site.fixed_claim_count = totals.fixed_now
    moments = [as_utc(r.created_at) for r in reports] + [as_utc(m) for m in totals.latest]
    site.first_seen = min(as_utc(r.created_at) for r in reports)
    site.last_seen = max(moments)
    if area_id is LOOK_UP_AREA:
        area = area_for_point(session, mean_x, mean_y)
        area_id = area.id if area else None
    site.area_id = area_id
    score_site(session, site, reports, network=network)


CONFIRMATION_KINDS = ("still_there", "fixed_now")


@dataclass(frozen=True)
class ConfirmationTotals:
    """A site's counted confirmations: 'still there' (and how many of them without an account),
    'fixed now', and the latest moment of each kind."""

    still_there: int = 0
    anonymous_still_there: int = 0
    fixed_now: int = 0
    latest: tuple[Any, ...] = ()


def confirmation_totals(rows: Iterable[Sequence[Any]]) -> ConfirmationTotals:
    """Add up ``CONFIRMATIONS`` rows: (kind, anonymous 0/1, counted, latest)."""
    still_there = anonymous = fixed_now = 0
    latest = []
    for kind, is_anonymous, counted, moment in rows:
        if kind == "still_there":
            still_there += counted
            anonymous += counted if is_anonymous else 0
        elif kind == "fixed_now":
            fixed_now += counted
        if moment is not None:
            latest.append(moment)
    return ConfirmationTotals(still_there, anonymous, fixed_now, tuple(latest))


def confirmation_count_key(
    reporter_id: int | None,
    device_token_hash: str | None,
    client_key: str | None,
    received_at: datetime,
) -> str:
    """What a confirmation counts as: one per account, else per device, else per client
    address (already a keyed hash), per day in Herlev; SHA-256 of who and the day."""
    if reporter_id is not None:
        who = f"user:{reporter_id}"
    elif device_token_hash:
        who = f"device:{device_token_hash}"
    elif client_key:
        who = f"address:{client_key}"
    else:
        who = "unknown"
    day = as_utc(received_at).astimezone(CONFIRMATION_DAY).date().isoformat()
    return hashlib.sha256(f"{who}|{day}".encode()).hexdigest()


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
            raise ConflictError(problem("uuid", "uuid_conflict.confirmation"))
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
    client_key: str | None = None,
    now: datetime | None = None,
    time_sent: bool = True,
) -> tuple[SiteConfirmation, bool]:
    """Record a 'still there' / 'fixed now' once per UUID; its content is site, kind and time.

    A site counts one confirmation of a kind per account, else device, else client address
    (``client_key``, a keyed hash of it) per day of receipt (``now``); more are stored but
    not counted. ``time_sent`` False: ``created_at`` is the server's fallback, not content
    (a retry matches).
    """
    received_at = (now or datetime.now(UTC)).astimezone(UTC)
    sent_time = created_at.isoformat() if time_sent else None
    content = {"site_id": site.id, "kind": kind, "created_at": sent_time}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return record_confirmation(
        session,
        site,
        SiteConfirmation(
            uuid=confirmation_uuid,
            content_hash=digest,
            kind=kind,
            created_at=created_at,
            received_at=received_at,
            reporter_id=reporter_id,
            device_token_hash=device_token_hash,
            count_key=confirmation_count_key(
                reporter_id, device_token_hash, client_key, received_at
            ),
        ),
    )
