"""The candidate sites of a join: the open sites of a category near a new report, each with its
counting reports, read in one statement (``candidate_sites``), and the nearest open sites for
the duplicate check (``nearby_open_sites``).

On PostGIS each site's reports come as one JSON array (``SpatialBackend.rows_as_json``: a few
wide rows instead of a row per report, each of which the driver decodes); on SpatiaLite, in
the same process, as a row each. ``fieldaudit.sites`` applies the rule of
``fieldaudit.site_rule`` to what this module reads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from geoalchemy2.elements import WKBElement
from sqlalchemy import Float, Integer, and_, bindparam, func, literal, select
from sqlalchemy.orm import Session

from fieldaudit.crs import METRIC
from fieldaudit.database import driver_rows
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.network_factor import impact_flags
from fieldaudit.site_rule import CANDIDATE_SITES, EXCLUDED_REPORT_STATUSES
from fieldaudit.spatial import backend
from fieldaudit.status import OPEN_STATUSES
from fieldaudit.utc import as_utc


def _constants(values: Any) -> list[Any]:
    """Fixed values of an IN list as plain parameters: a list parameter is "expanding", and
    SQLAlchemy writes the statement's text again at every execution to spell it out."""
    return [literal(value) for value in values]


COUNTED = _constants(EXCLUDED_REPORT_STATUSES)
OPEN_STATUS_VALUES = [s.value for s in OPEN_STATUSES]
OPEN = _constants(OPEN_STATUS_VALUES)
# Built once: building and caching a statement costs more than running it on a small site.
COUNTING_COLUMNS = select(
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
).where(BarrierReport.status.not_in(COUNTED))
COUNTING_REPORTS = COUNTING_COLUMNS.where(BarrierReport.site_id == bindparam("site_id"))


_nearby_statements: dict[str, Any] = {}


def _nearest_open(spatial: Any, *columns: Any) -> Any:
    """``columns`` and the ``distance`` of the open sites of a category nearest a point, with
    bound parameters (``x``, ``y``, ``radius``, ``limit``, ``category``)."""
    x, y = bindparam("x", type_=Float), bindparam("y", type_=Float)
    distance = spatial.distance(BarrierSite.geom, x, y).label("distance")
    stmt = select(*columns, distance).where(
        BarrierSite.category == bindparam("category"),
        BarrierSite.status.in_(OPEN),
    )
    radius, limit = bindparam("radius", type_=Float), bindparam("limit", type_=Integer)
    return spatial.nearest(stmt, BarrierSite.geom, x, y, radius, limit)


def _nearby_statement(session: Session) -> Any:
    """The candidate-sites query with bound parameters, built once per database kind."""
    spatial = backend(session)
    stmt = _nearby_statements.get(spatial.name)
    if stmt is None:
        stmt = _nearby_statements[spatial.name] = _nearest_open(spatial, BarrierSite)
    return stmt


def nearby_open_sites(
    session: Session,
    category_code: str,
    x: float,
    y: float,
    radius_m: float,
    limit: int = 5,
) -> list[tuple[BarrierSite, float]]:
    """The open sites of a category nearest an EPSG:25832 point, within a radius, with distances."""
    params = {
        "x": float(x),
        "y": float(y),
        "radius": float(radius_m),
        "limit": int(limit),
        "category": category_code,
    }
    rows = session.execute(_nearby_statement(session), params).all()
    return [(site, float(d)) for site, d in rows]


# What a join needs of a candidate site (read as plain rows: a join writes the site with Core
# statements and needs no object of it; the site's aggregates, JSON ones among them, are
# computed afresh and not read: decoding them would cost more than the rest of the row).
SITE_COLUMNS = (
    BarrierSite.id,
    BarrierSite.category,
    BarrierSite.status,
    BarrierSite.severity,
    BarrierSite.report_count,
    BarrierSite.confirmation_count,
    BarrierSite.fixed_claim_count,
    BarrierSite.geom,
)


def _candidates_statement(session: Session) -> tuple[Any, bool]:
    """The candidate sites (``SITE_COLUMNS``, the open sites of the category nearest the
    point as ``_nearby_statement`` selects them) with all their counting reports, in one
    statement, nearest site first (an equal distance: the lower id, as the rule in memory);
    and whether the reports come as one JSON array per site (``SpatialBackend.rows_as_json``:
    PostGIS, where each row costs a round trip's worth of decoding) or as a row each after the
    site's columns (the member's columns None for a site without reports). Built once per
    database kind."""
    spatial = backend(session)
    key = f"{spatial.name}+members"
    built = _nearby_statements.get(key)
    if built is None:
        flags = impact_flags(BarrierSite.id)
        nearby = _nearest_open(spatial, *SITE_COLUMNS, *flags).subquery("candidates")
        counting = and_(
            BarrierReport.site_id == nearby.c.id,
            BarrierReport.status.not_in(COUNTED),
        )
        columns = list(COUNTING_COLUMNS.selected_columns)
        as_json = spatial.rows_as_json(columns, BarrierReport.id)
        site = [nearby.c[column.key] for column in SITE_COLUMNS]
        stmt = select(*site, nearby.c.impact_stored, nearby.c.on_network)
        if as_json is None:
            stmt = (
                stmt.add_columns(*columns)
                .outerjoin(BarrierReport, counting)
                .order_by(nearby.c.distance, nearby.c.id, BarrierReport.id)
            )
        else:
            members = select(as_json).where(counting).scalar_subquery()
            stmt = stmt.add_columns(members).order_by(nearby.c.distance, nearby.c.id)
        built = _nearby_statements[key] = (stmt, as_json is not None)
    return built


class CandidateSite(NamedTuple):
    """What a join reads of a candidate site (``SITE_COLUMNS``)."""

    id: int
    category: str
    status: str
    severity: str
    report_count: int
    confirmation_count: int
    fixed_claim_count: int
    geom: Any


_SITE_WIDTH = len(SITE_COLUMNS)


class Member(NamedTuple):
    """A counting report of a candidate site read as JSON: ``COUNTING_COLUMNS``, by name."""

    id: int
    x: float
    y: float
    severity: str
    groups: list[str]
    tags: list[str]
    measurements: dict[str, Any]
    status: str
    created_at: datetime
    reporter_id: int | None
    device_token_hash: str | None


_CREATED_AT = Member._fields.index("created_at")


def _members(arrays: list[list[Any]] | None) -> list[Member]:
    """A site's counting reports from their JSON arrays (``Member``'s order; the moment comes
    as ISO 8601 text)."""
    members = []
    for values in arrays or ():
        values[_CREATED_AT] = datetime.fromisoformat(values[_CREATED_AT])
        members.append(Member(*values))
    return members


class Candidate(NamedTuple):
    """An open site a new report is tried against: the site, its counting reports as rows
    (``COUNTING_COLUMNS``) and its ``network_factor.impact_flags``."""

    site: CandidateSite
    members: list[Any]
    impact_stored: bool
    on_network: bool


def candidate_rows(
    session: Session, category_code: str, x: float, y: float, radius_m: float
) -> list[Any]:
    """The rows of the candidate sites of a report at (x, y) (``candidate_sites``) as read,
    to decode (``candidates_of``) or to compare with a later read: on SpatiaLite as the
    driver returns them (``database.driver_rows``). Pending changes of the session are
    flushed first, as an ORM query would."""
    session.flush()
    params = {
        "x": float(x),
        "y": float(y),
        "radius": float(radius_m),
        "limit": CANDIDATE_SITES,
        "category": category_code,
    }
    stmt, as_json = _candidates_statement(session)
    if as_json:
        return session.connection().execute(stmt, params).all()
    return driver_rows(session.connection(), stmt, params)


def candidates_of(session: Session, rows: list[Any]) -> list[Candidate]:
    """The candidates in rows ``candidate_rows`` read."""
    width = _SITE_WIDTH
    if _candidates_statement(session)[1]:
        return [
            Candidate(CandidateSite(*row[:width]), _members(row[width + 2]), *_flags(row, width))
            for row in rows
        ]
    # SQLite's stored forms: JSON and moments as text, the point as hexadecimal EWKB.
    found: dict[int, Candidate] = {}
    for row in rows:
        candidate = found.get(row[0])
        if candidate is None:
            geom = WKBElement(_ewkb(row[width - 1]), srid=METRIC, extended=True)
            site = CandidateSite(*row[: width - 1], geom)
            candidate = found[row[0]] = Candidate(site, [], *_flags(row, width))
        if row[width + 2] is not None:
            candidate.members.append(_stored_member(row[width + 2 :]))
    return list(found.values())


def _ewkb(value: str | bytes) -> bytes:
    """SpatiaLite's ``AsEWKB``: EWKB as hexadecimal text."""
    return bytes.fromhex(value) if isinstance(value, str) else bytes(value)


def _stored_member(values: Any) -> Member:
    """A counting report from SQLite's stored forms (``Member``'s order)."""
    member_id, x, y, severity, groups, tags, measurements, status, created_at, *who = values
    return Member(
        member_id,
        x,
        y,
        severity,
        json.loads(groups),
        json.loads(tags),
        json.loads(measurements),
        status,
        as_utc(datetime.fromisoformat(created_at)),
        *who,
    )


def candidate_sites(
    session: Session, category_code: str, x: float, y: float, radius_m: float
) -> list[Candidate]:
    """The open sites of a category a report at (x, y) is tried against (``CANDIDATE_SITES``
    at most, within ``radius_m``, nearest first), each with its counting reports, in one
    statement."""
    return candidates_of(session, candidate_rows(session, category_code, x, y, radius_m))


def _flags(row: Any, width: int) -> tuple[bool, bool]:
    return bool(row[width]), bool(row[width + 1])
