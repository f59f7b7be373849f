"""The rule that merges reports of the same barrier into one site (complete linkage, as
Project Sidewalk), in one place and free of the database.

A report is tried against the open sites of its category whose position (the mean of their
reports) lies within the category's radius of it (7.5 m for kerbs and ramps, 10 m for the
rest), nearest first, at most ``CANDIDATE_SITES`` of them; it joins the first whose every
report lies within the radius of it and has no report by the same reporter within
``SAME_REPORTER_WINDOW``; otherwise it starts a new site. Rejected reports hold no site
together. A site's severity is the median of its reports'.

``fieldaudit.sites`` applies the rule one report at a time through the database (its query
selects the candidates), ``fieldaudit.clustering`` to many reports at once in memory (for the
full rebuild and the benchmarks' generator); ``fieldaudit.priority`` counts reporters with
``reporter_key``.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

from fieldaudit.status import ACCEPTED_REPORT_STATUSES, Status
from fieldaudit.taxonomy import SEVERITIES, Severity, category

SAME_REPORTER_WINDOW = timedelta(minutes=10)
CANDIDATE_SITES = 8
# Two reports can meet in a site only within twice the radius of each other; joins lock the
# cells of this size (per category) that the box of a report's radius touches.
JOIN_LOCK_CELL_M = 50.0
DEFAULT_RADIUS_M = 10.0
# Reports that no longer describe a barrier do not hold a site together.
EXCLUDED_REPORT_STATUSES = (Status.REJECTED.value,)
ACCEPTED_REPORT_VALUES = frozenset(status.value for status in ACCEPTED_REPORT_STATUSES)
# A report in one of these makes its site public (a merged duplicate alone does not).
VERIFYING_REPORT_VALUES = ACCEPTED_REPORT_VALUES - {Status.DUPLICATE.value}
SEVERITY_BY_RANK = {info.rank: severity for severity, info in SEVERITIES.items()}

Site = TypeVar("Site")


@dataclass(slots=True)
class ClusterPoint:
    """What the rule needs of one report: its EPSG:25832 position, when it was made (compared
    with others, so all aware or all naive UTC) and who made it (``reporter_key``)."""

    x: float
    y: float
    created_at: datetime
    reporter: str | None


def reporter_key_of(reporter_id: int | None, device_token_hash: str | None) -> str | None:
    """Who made a report: the account, else the device, else unknown (None)."""
    if reporter_id is not None:
        return f"user:{reporter_id}"
    if device_token_hash:
        return f"device:{device_token_hash}"
    return None


def reporter_key(report: Any) -> str | None:
    """Who made a report (an object or row with ``reporter_id`` and ``device_token_hash``)."""
    return reporter_key_of(report.reporter_id, report.device_token_hash)


def radius_for(category_code: str) -> float:
    """The merge radius of a category in metres."""
    cat = category(category_code)
    return cat.cluster_radius_m if cat else DEFAULT_RADIUS_M


def can_join(members: Iterable[ClusterPoint], candidate: ClusterPoint, radius: float) -> bool:
    """Complete linkage: every member within ``radius`` of the candidate, and none by the same
    reporter within ``SAME_REPORTER_WINDOW`` of it."""
    limit = radius * radius
    x, y, reporter = candidate.x, candidate.y, candidate.reporter
    for member in members:
        if (member.x - x) ** 2 + (member.y - y) ** 2 > limit:
            return False
        if (
            reporter is not None
            and member.reporter == reporter
            and abs(member.created_at - candidate.created_at) <= SAME_REPORTER_WINDOW
        ):
            return False
    return True


def join_lock_keys(category_code: str, x: float, y: float, radius: float) -> list[int]:
    """The locks a join of a report at (x, y) holds while it reads and writes its site, sorted:
    one per cell (``JOIN_LOCK_CELL_M``, per category) that the square of the radius around the
    point touches. Any site both of two reports could join, and a site one of them starts
    that the other could join, lies in both squares, so the two share a cell and one join
    waits for the other (as signed 64-bit integers, PostgreSQL's advisory lock keys)."""
    size = JOIN_LOCK_CELL_M
    keys = []
    for gx in range(math.floor((x - radius) / size), math.floor((x + radius) / size) + 1):
        for gy in range(math.floor((y - radius) / size), math.floor((y + radius) / size) + 1):
            digest = hashlib.blake2b(f"{category_code}|{gx}|{gy}".encode(), digest_size=8)
            keys.append(int.from_bytes(digest.digest(), "big", signed=True))
    return sorted(keys)


def nearest_first(within: list[tuple[float, int]]) -> list[int]:
    """In memory, which sites a report is tried against: of (distance, site number) pairs of
    the sites within the radius, the numbers nearest first (an equal distance: the lower
    number), at most ``CANDIDATE_SITES`` of them. (Through the database, the candidate query
    of ``site_candidates.nearby_open_sites`` selects them.)"""
    if len(within) > 1:
        within = sorted(within)
    return [number for _distance, number in within[:CANDIDATE_SITES]]


def site_to_join(
    candidates: Iterable[Site],
    members: Callable[[Site], Iterable[ClusterPoint]],
    candidate: ClusterPoint,
    radius: float,
) -> Site | None:
    """The site a report joins: the first of the candidate sites (nearest first) whose members
    it may join (``can_join``), looking at ``CANDIDATE_SITES`` of them at most; None: the
    report starts a new site."""
    for site in islice(candidates, CANDIDATE_SITES):
        if can_join(members(site), candidate, radius):
            return site
    return None


def shown_reports(statuses: Sequence[str | None]) -> list[int]:
    """The positions of the counting reports a site's aggregates and score come from: once the
    council has verified a report of the site (so the site is public), its accepted reports
    (verified and later, and duplicates merged into it); until then all of them (a site under
    review, which only staff see). So an unreviewed report never changes what the public sees
    of a site, nor how a public site ranks; it counts once the council accepts it."""
    if not any(status in VERIFYING_REPORT_VALUES for status in statuses):
        return list(range(len(statuses)))
    return [i for i, status in enumerate(statuses) if status in ACCEPTED_REPORT_VALUES]


@dataclass(frozen=True)
class Counted:
    """Which of a site's reports count (their positions in the list) and their mean position."""

    shown: list[int]
    x: float
    y: float


def counted_reports(
    statuses: Sequence[str | None],
    position: Callable[[int], tuple[float, float]],
    centre: tuple[float, float] | None = None,
) -> Counted:
    """The ``shown_reports`` of a site and the mean of their EPSG:25832 positions
    (``position(i)`` is the i-th report's); ``centre``, the mean of all the reports when the
    caller has it already, is used as it is when every report counts."""
    shown = shown_reports(statuses)
    if centre is not None and len(shown) == len(statuses):
        return Counted(shown, centre[0], centre[1])
    points = [position(i) for i in shown]
    return Counted(
        shown, statistics.fmean(p[0] for p in points), statistics.fmean(p[1] for p in points)
    )


def median_severity(severities: Iterable[str]) -> str:
    """The median severity (the higher middle value when the count is even)."""
    ranks = [SEVERITIES[Severity(s)].rank for s in severities]
    return SEVERITY_BY_RANK[statistics.median_high(ranks)].value
