"""The statements a join writes a site with: Core INSERTs and UPDATEs of a site's aggregates,
built once per database, and the parameters they take.

Every value is a parameter named ``set_`` and the column's name (``site_params``), the site's
position two numbers (``site_x``, ``site_y``: no geometry is encoded for the driver, nor
parsed again by the database from text), so that a report's columns (``reports``, named
``report_``) can be parameters of the same statement: SQLAlchemy adds a parameter that is named
as a column to an INSERT's or UPDATE's columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Float, bindparam
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.spatial import backend
from fieldaudit.stored_points import point_xy

# The columns of a site a join starts that no report decides (its id aside), as the model's
# defaults.
NEW_SITE_REST = {"planned_year": None, "planned_cost_dkk": None, "status_reason": ""}
# What a new site writes besides its aggregates: what a site starts with.
NEW_SITE_COLUMNS = ("category", "status", *NEW_SITE_REST)
# What ``sites._refresh`` sets on a site, the columns a join writes: all the others (a new
# column must be computed by ``sites._refresh`` or named above).
SITE_AGGREGATES = tuple(
    column.name
    for column in BarrierSite.__table__.columns
    if column.name not in ("id", "category", "status", *NEW_SITE_REST)
)
_sites = BarrierSite.__table__
_reports = BarrierReport.__table__
SITE_X, SITE_Y = bindparam("site_x", type_=Float), bindparam("site_y", type_=Float)
SITE_DELETE = _sites.delete().where(_sites.c.id == bindparam("site_id"))
REPORT_TO_SITE = (
    _reports.update()
    .where(_reports.c.id == bindparam("report_id"))
    .values(site_id=bindparam("to_site"))
)


class SiteWrites(NamedTuple):
    """A database's statements that write a site's aggregates: the INSERT of a new site
    (``RETURNING id``), the UPDATE of the site ``to_site``, and that UPDATE with a stored
    report's move into the site (as few statements as the database allows,
    ``SpatialBackend.together``)."""

    insert: Any
    update: Any
    update_with_report: list[Any]


_site_writes: dict[str, SiteWrites] = {}


def site_writes_for(session: Session) -> SiteWrites:
    """The site writes of the session's database, built once."""
    spatial = backend(session)
    writes = _site_writes.get(spatial.name)
    if writes is None:
        geom = spatial.point(SITE_X, SITE_Y)

        def parameters(names: Iterable[str]) -> dict[str, Any]:
            return {
                name: geom
                if name == "geom"
                else bindparam(f"set_{name}", type_=_sites.c[name].type)
                for name in names
            }

        update = (
            _sites.update()
            .where(_sites.c.id == bindparam("to_site"))
            .values(parameters(SITE_AGGREGATES))
        )
        insert = _sites.insert().values(parameters(SITE_AGGREGATES + NEW_SITE_COLUMNS))
        writes = _site_writes[spatial.name] = SiteWrites(
            insert.returning(_sites.c.id), update, spatial.together(update, REPORT_TO_SITE)
        )
    return writes


def site_params(values: SimpleNamespace, new: bool) -> dict[str, Any]:
    """The parameters of ``SiteWrites``'s statements for a site's refreshed aggregates
    (``values``; a ``new`` site's first values too)."""
    params = {f"set_{name}": getattr(values, name) for name in SITE_AGGREGATES if name != "geom"}
    params["site_x"], params["site_y"] = point_xy(values.geom)
    if new:
        params.update(set_category=values.category, set_status=values.status)
        params.update({f"set_{name}": value for name, value in NEW_SITE_REST.items()})
    return params


_with_reports: dict[tuple[str, Any], tuple[Any, Any]] = {}


def with_report(session: Session, insert: Any) -> tuple[Any, Any]:
    """A report's INSERT (``insert``, into the site ``to_site``) with a site's UPDATE and with
    a new site's INSERT, each as one statement where the database can (else None), built once
    per database and statement."""
    spatial = backend(session)
    key = (spatial.name, insert)
    found = _with_reports.get(key)
    if found is None:
        writes = site_writes_for(session)
        found = _with_reports[key] = (
            spatial.if_inserted(insert, writes.update),
            spatial.with_new_parent(writes.insert, insert, "site_id"),
        )
    return found


def expire_loaded(session: Session, site_id: int) -> None:
    """Expire the session's copy of a site written with Core, if it holds one."""
    key = BarrierSite.__mapper__.identity_key_from_primary_key([site_id])
    loaded = session.identity_map.get(key)
    if loaded is not None:
        session.expire(loaded)
