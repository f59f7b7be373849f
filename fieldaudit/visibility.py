"""What the public sees, and what the field app's duplicate check may tell anyone (no Flask).

The rule (``status.PUBLIC_SITE_STATUSES`` and ``status.ACCEPTED_REPORT_STATUSES``), applied by
every public page, feed, map, API, export and cell count: sites a reviewer has verified
(verified, planned, fixed, closed); reports that are reviewed (not new) and not hidden, but of a
rejected report only its category, area, date, status and public reason
(``report_content_is_public``: text and photos only of accepted reports); photos that are not
hidden, of accepted reports. A new site is seen only by whoever reported it
(``own_unreviewed_site_ids``, ``visible_site_clause``). A site not confirmed for four years
needs a new look.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierReport, BarrierSite, Photo
from fieldaudit.spatial import backend
from fieldaudit.status import (
    ACCEPTED_REPORT_STATUSES,
    OPEN_STATUSES,
    PUBLIC_SITE_STATUSES,
    Status,
)
from fieldaudit.utc import as_utc, utc_now

NEW_LOOK_AFTER = timedelta(days=4 * 365 + 1)
OWN_SITES_LIMIT = 500
# A site under review is placed on a grid of this many metres before the check, and the check
# answers yes within UNDER_REVIEW_WITHIN_M of its cell's centre, whatever the asker's accuracy:
# probing the answer's edge from many points finds the cell, never the reported position.
UNDER_REVIEW_CELL_M = 40.0
UNDER_REVIEW_WITHIN_M = 30


def grid_cell_centre(
    x: float, y: float, cell_m: float = UNDER_REVIEW_CELL_M
) -> tuple[float, float]:
    """The centre of the grid cell (EPSG:25832, ``cell_m`` wide) that holds a point."""
    return (
        (math.floor(x / cell_m) + 0.5) * cell_m,
        (math.floor(y / cell_m) + 0.5) * cell_m,
    )


ACCEPTED_REPORT_VALUES = tuple(sorted(s.value for s in ACCEPTED_REPORT_STATUSES))


def needs_new_look(site: BarrierSite, now: datetime | None = None) -> bool:
    """An open site nobody has confirmed (or reported) for four years needs a new look."""
    if site.status in (Status.FIXED.value, Status.CLOSED.value):
        return False
    if site.status not in (Status.NEW.value, Status.VERIFIED.value, Status.PLANNED.value):
        return False
    return as_utc(site.last_seen) < utc_now(now) - NEW_LOOK_AFTER


def new_look_before(now: datetime | None = None) -> datetime:
    """Sites last seen before this moment need a new look."""
    return utc_now(now) - NEW_LOOK_AFTER


def report_is_public(report: BarrierReport) -> bool:
    """A report is public once reviewed, unless hidden."""
    return not report.hidden and report.status != Status.NEW.value


def public_report_clause() -> ColumnElement[bool]:
    """SQL condition: the report is public."""
    return and_(BarrierReport.hidden.is_(False), BarrierReport.status != Status.NEW.value)


def report_content_is_public(report: BarrierReport) -> bool:
    """A report's text and photos are public once a reviewer has accepted it (not rejected)."""
    return report_is_public(report) and report.status in ACCEPTED_REPORT_VALUES


def public_report_content_clause() -> ColumnElement[bool]:
    """SQL condition: the report's text and photos are public."""
    return and_(BarrierReport.hidden.is_(False), BarrierReport.status.in_(ACCEPTED_REPORT_VALUES))


def site_is_public(site: BarrierSite) -> bool:
    """A site is public once a reviewer has verified it."""
    return site.status in PUBLIC_SITE_STATUSES


def public_site_clause() -> ColumnElement[bool]:
    """SQL condition: the site is public."""
    return BarrierSite.status.in_(PUBLIC_SITE_STATUSES)


def own_unreviewed_site_ids(
    session: Session, reporter_id: int | None, device_token_hash: str | None
) -> list[int]:
    """The sites under review (new) holding a report of this account or device: what its
    reporter sees on the maps beside the public sites (nobody else does)."""
    owners = []
    if reporter_id is not None:
        owners.append(BarrierReport.reporter_id == reporter_id)
    if device_token_hash:
        owners.append(BarrierReport.device_token_hash == device_token_hash)
    if not owners:
        return []
    return list(
        session.scalars(
            select(BarrierSite.id)
            .join(BarrierReport, BarrierReport.site_id == BarrierSite.id)
            .where(or_(*owners), BarrierSite.status == Status.NEW.value)
            .distinct()
            .order_by(BarrierSite.id)
            .limit(OWN_SITES_LIMIT)
        )
    )


def visible_site_clause(own_site_ids: Sequence[int] = ()) -> ColumnElement[bool]:
    """SQL condition: the site is public, or one of the asker's own sites under review."""
    if not own_site_ids:
        return public_site_clause()
    return or_(public_site_clause(), BarrierSite.id.in_(list(own_site_ids)))


def photo_is_public(photo: Photo) -> bool:
    """A photo is public when it is not hidden and its report was accepted by a reviewer."""
    return not photo.hidden and report_content_is_public(photo.report)


@dataclass(frozen=True)
class NearbySite:
    """A site near a report, with its distance in metres."""

    site: BarrierSite
    distance_m: float


@dataclass(frozen=True)
class DuplicateCheck:
    """What the field app's duplicate check may tell anyone about a place: the open sites they
    may see, and whether a report of the category is under review nearby (rounded distance)."""

    sites: list[NearbySite]
    under_review_within_m: int | None


def duplicate_check(
    session: Session,
    category_code: str,
    x: float,
    y: float,
    radius_m: float,
    own_site_ids: Sequence[int] = (),
    limit: int = 5,
) -> DuplicateCheck:
    """Open sites of a category near an EPSG:25832 point that the asker may see (public, or
    their own under review), and whether another site of the category is under review about
    ``UNDER_REVIEW_WITHIN_M`` from it (its grid cell's centre is; no id, text, photo, time or
    distance of it)."""
    spatial = backend(session)
    distance = spatial.distance(BarrierSite.geom, x, y).label("distance")
    same_kind = select(BarrierSite, distance).where(BarrierSite.category == category_code)
    visible = same_kind.where(
        visible_site_clause(own_site_ids),
        BarrierSite.status.in_([s.value for s in OPEN_STATUSES]),
    )
    rows = session.execute(spatial.nearest(visible, BarrierSite.geom, x, y, radius_m, limit))
    sites = [NearbySite(site, float(d)) for site, d in rows.all()]
    under_review = same_kind.where(BarrierSite.status == Status.NEW.value)
    if own_site_ids:
        under_review = under_review.where(BarrierSite.id.not_in(list(own_site_ids)))
    reach = UNDER_REVIEW_WITHIN_M + UNDER_REVIEW_CELL_M / math.sqrt(2)
    candidates = session.execute(spatial.nearest(under_review, BarrierSite.geom, x, y, reach, 20))
    for site, _distance in candidates.all():
        point = to_shape(site.geom)
        cx, cy = grid_cell_centre(point.x, point.y)
        if math.hypot(cx - x, cy - y) <= UNDER_REVIEW_WITHIN_M:
            return DuplicateCheck(sites, UNDER_REVIEW_WITHIN_M)
    return DuplicateCheck(sites, None)
