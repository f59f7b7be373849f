"""The full rebuild of barrier sites and their scores, as one bulk operation.

``rebuild(session)`` re-clusters every report from scratch and replaces every site at once;
the command line (``fieldaudit sites rebuild``) calls it. The rules:

1. **Clustering**: every report that is neither rejected nor a merged duplicate is clustered
   in arrival order (``received_at``, then id) with the rule of ``fieldaudit.site_rule``
   (complete linkage within the category's radius, never the same reporter within 10
   minutes, at most 8 candidate sites nearest first) applied in memory by
   ``fieldaudit.clustering``, so the sites are exactly those ``sites.join_site`` builds
   report by report.
2. **Succession**: each new site (in creation order) succeeds the old site most of its
   clustered reports belonged to (a tie goes to the old site of the earliest of them), unless
   an earlier new site has already succeeded that old site. A successor *keeps the old site's
   id*, and with it its review state (status, status reason, planned year and cost), its
   confirmations ("still there", "fixed now") and its history; links to it stay valid. A new
   site without a predecessor is new and gets an id above every old one; old sites without a
   successor are deleted (with their confirmations and history).
3. **Merged duplicates stay merged**: a report a reviewer merged into a site
   (``report_review.mark_duplicate``: status 'duplicate', ``duplicate_of_site_id`` = the target)
   joins the successor of its target whatever the distance, and does not vote in (2). Only
   when the target has no successor is it clustered by distance like any other report
   (after all the others, in arrival order); a site it starts that way may succeed the target.
   Every report's ``duplicate_of_site_id`` then names its target's successor (NULL if none).
4. **Rejected reports** belong to no site after a rebuild (they do not hold a site together).
5. **Aggregates** as ``sites._refresh`` computes them from a site's reports and confirmations:
   mean position, median severity, groups, tag counts, report and confirmation counts, first
   and last seen (last seen includes confirmations); the area from the in-memory area index
   (``areas.area_index``); the priority score with ``priority.compute`` (with the status the
   site has taken over).
6. **Writing**, set-based, in the session's transaction (the caller commits): every new site
   goes into a temporary table (``bulk_write``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite); one
   ``UPDATE ... FROM`` rewrites the successors in which anything changed, one ``INSERT ...
   SELECT`` adds the others; one ``UPDATE ... FROM`` a second temporary table sets
   ``site_id`` and ``duplicate_of_site_id`` of the reports whose values change; one
   ``DELETE`` removes the old sites without a successor; then the per-cell counts of the maps
   (``site_cells``) are counted afresh. Rebuilding unchanged data therefore writes (almost)
   nothing, and the cost at 1,000,000 reports is the reading and the arithmetic in memory.

Reads every report once (one query), holds them in memory (about 1 KB each) and issues a
fixed number of statements, whatever the number of reports. Nothing here knows Flask.
(Giving every new site a new id instead would rewrite every report row and every index
entry pointing at it: 225 s of the first 755 s measured at 1,000,000 on PostGIS.)
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import String, Text, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from fieldaudit.areas import area_index
from fieldaudit.bulk_write import (
    NewSite,
    StepClock,
    replace_sites,
)
from fieldaudit.clustering import Cluster, Clusterer
from fieldaudit.models import BarrierReport, BarrierSite, SiteConfirmation
from fieldaudit.network_factor import network_facts
from fieldaudit.priority import compute, facts_for
from fieldaudit.site_cells import rebuild_site_cells
from fieldaudit.site_rule import (
    EXCLUDED_REPORT_STATUSES,
    ClusterPoint,
    counted_reports,
    median_severity,
    reporter_key_of,
)
from fieldaudit.sites import CONFIRMATION_ANONYMOUS, CONFIRMATION_COUNTED, confirmation_totals
from fieldaudit.status import Status
from fieldaudit.utc import as_utc

Progress = Callable[[int, int], None]

REPORTS = select(
    BarrierReport.id,
    BarrierReport.category,
    func.ST_X(BarrierReport.geom),
    func.ST_Y(BarrierReport.geom),
    # SQLite's text as it is (parsed below, much faster than the type's processor).
    type_coerce(BarrierReport.created_at, String()),
    BarrierReport.reporter_id,
    BarrierReport.device_token_hash,
    BarrierReport.severity,
    # JSON as text: the same few lists repeat, so each distinct text is parsed once.
    cast(BarrierReport.groups, Text),
    cast(BarrierReport.tags, Text),
    cast(BarrierReport.measurements, Text),
    BarrierReport.status,
    BarrierReport.site_id,
    BarrierReport.duplicate_of_site_id,
).order_by(BarrierReport.received_at, BarrierReport.id)
OLD_SITES = select(
    BarrierSite.id,
    BarrierSite.status,
    BarrierSite.status_reason,
    BarrierSite.planned_year,
    BarrierSite.planned_cost_dkk,
)
CONFIRMATIONS = select(
    SiteConfirmation.site_id,
    SiteConfirmation.kind,
    CONFIRMATION_ANONYMOUS,
    CONFIRMATION_COUNTED,
    func.max(SiteConfirmation.created_at),
).group_by(SiteConfirmation.site_id, SiteConfirmation.kind, CONFIRMATION_ANONYMOUS)


class ReportFacts(NamedTuple):
    """What the priority score needs of one report (``priority.facts_for``)."""

    status: str
    tags: list[str]
    measurements: dict[str, Any]
    reporter_id: int | None
    device_token_hash: str | None


NEW_SITE_FIELDS = tuple(f.name for f in fields(NewSite))


def _site_values(site: NewSite) -> tuple[Any, ...]:
    """A site as a plain tuple (pickled in half the time of the object)."""
    return tuple(getattr(site, name) for name in NEW_SITE_FIELDS)


def _site_from(values: tuple[Any, ...]) -> NewSite:
    return NewSite(*values)


@dataclass(frozen=True, slots=True)
class OldSite:
    """An old site's review state, which its successor takes over."""

    status: str
    status_reason: str
    planned_year: int | None
    planned_cost_dkk: int | None


class _Parsed(dict[str, Any]):
    """JSON texts parsed once each (the parsed values are shared: never change them)."""

    def __missing__(self, text: str | None) -> Any:
        value = json.loads(text) if text is not None else None
        self[text] = value  # type: ignore[index]
        return value


@dataclass
class Plan:
    """The outcome of the in-memory part: the new sites, where every report goes, and which
    old site each new site succeeds."""

    first_new_id: int
    sites: list[NewSite]
    report_ids: Sequence[int]
    site_of_report: list[int | None]
    duplicate_of: list[int | None]
    old_site_of_report: Sequence[int | None]
    old_duplicate_of: Sequence[int | None]
    successor: dict[int, int]  # old site id -> the id of its successor (the same id)


def rebuild(
    session: Session, progress: Progress | None = None, timings: dict[str, float] | None = None
) -> int:
    """Re-cluster every report and replace every site in bulk; return the number of sites.

    ``timings``, when given, receives the seconds of each step (read, cluster, aggregate,
    score and write steps).
    """
    timings = timings if timings is not None else {}
    session.flush()
    # Millions of small objects and no reference cycles: the cyclic garbage collector would
    # only walk them again and again (about half the reading and clustering time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        plan = plan_rebuild(session, progress, timings=timings)
        write(session, plan, timings)
    finally:
        if collecting:
            gc.enable()
    started = time.perf_counter()
    rebuild_site_cells(session)  # the bulk writes bypass the ORM that keeps them up to date
    timings["site cells"] = time.perf_counter() - started
    session.expire_all()
    return len(plan.sites)


def plan_rebuild(
    session: Session,
    progress: Progress | None = None,
    now: datetime | None = None,
    timings: dict[str, float] | None = None,
) -> Plan:
    """Read every report and site once and compute the new sites (writes nothing)."""
    now = now or datetime.now(UTC)
    clock = StepClock(timings)
    first_new_id = (session.scalar(select(func.max(BarrierSite.id))) or 0) + 1
    rows = session.execute(REPORTS).all()
    old_sites = {
        row[0]: OldSite(row[1], row[2] or "", row[3], row[4]) for row in session.execute(OLD_SITES)
    }
    confirmations: dict[int, list[tuple[str, int, int, Any]]] = {}
    for site_id, kind, anonymous, count, latest in session.execute(CONFIRMATIONS):
        confirmations.setdefault(site_id, []).append((kind, anonymous, count, latest))
    total = len(rows)
    clock.lap("read")
    if not rows:
        return Plan(first_new_id, [], [], [], [], [], [], {})
    (
        ids,
        categories,
        xs,
        ys,
        created_raw,
        reporter_ids,
        devices,
        severities,
        groups_raw,
        tags_raw,
        measurements_raw,
        statuses,
        old_site_of,
        old_duplicate_of,
    ) = zip(*rows, strict=True)
    del rows
    created = [as_utc(moment) for moment in created_raw]
    rejected = set(EXCLUDED_REPORT_STATUSES)
    duplicate = Status.DUPLICATE.value
    points: list[ClusterPoint | None] = [None] * total
    plain: list[int] = []
    merged: list[int] = []
    for i in range(total):
        if statuses[i] in rejected:
            continue
        reporter = reporter_key_of(reporter_ids[i], devices[i])
        points[i] = ClusterPoint(xs[i], ys[i], created[i], reporter)
        if statuses[i] == duplicate and old_duplicate_of[i] is not None:
            merged.append(i)
        else:
            plain.append(i)

    clock.lap("prepare")
    clusterer = Clusterer(points)  # type: ignore[arg-type]
    for done, i in enumerate(plain, 1):
        clusterer.add(categories[i], i)
        if progress is not None and done % 20_000 == 0:
            progress(done, total)
    clusters = clusterer.clusters
    predecessor: dict[int, int] = {}  # cluster number -> old site id
    successor_number: dict[int, int] = {}  # old site id -> cluster number

    def succeed(batch: Iterable[Cluster]) -> None:
        for cluster in batch:
            votes = Counter(old for i in cluster.members if (old := old_site_of[i]) is not None)
            if votes:
                old = votes.most_common(1)[0][0]
                if old not in successor_number:
                    successor_number[old] = cluster.number
                    predecessor[cluster.number] = old

    succeed(clusters)
    unplaced: list[int] = []
    for i in merged:
        number = successor_number.get(old_duplicate_of[i])
        if number is None:
            unplaced.append(i)
        else:
            clusterer.attach(clusters[number], i)
    first_fallback = len(clusters)
    for i in unplaced:
        clusterer.add(categories[i], i)
    succeed(clusters[first_fallback:])
    if progress is not None:
        progress(total, total)
    clock.lap("cluster")

    parsed = _Parsed()
    index = area_index(session)
    area_ids = index.locate_many(
        np.fromiter((c.cx for c in clusters), dtype=float, count=len(clusters)),
        np.fromiter((c.cy for c in clusters), dtype=float, count=len(clusters)),
    )
    scorer = _Scorer(session, now)
    site_ids: list[int] = []
    next_id = first_new_id
    for cluster in clusters:
        old_id = predecessor.get(cluster.number)
        if old_id is None:
            site_ids.append(next_id)
            next_id += 1
        else:
            site_ids.append(old_id)  # a successor keeps its predecessor's id
    site_of_report: list[int | None] = [None] * total
    for cluster, site_id in zip(clusters, site_ids, strict=True):
        for i in cluster.members:
            site_of_report[i] = site_id

    def build(numbers: range) -> list[NewSite]:
        """The sites of these clusters with their aggregates and scores."""
        built: list[NewSite] = []
        for number in numbers:
            cluster, area_id, site_id = clusters[number], area_ids[number], site_ids[number]
            old_id = predecessor.get(cluster.number)
            members = cluster.members
            counted = counted_reports(
                [statuses[i] for i in members],
                lambda k, m=members: (xs[m[k]], ys[m[k]]),
                (cluster.cx, cluster.cy),
            )
            if len(counted.shown) < len(members):  # unreviewed reports of a reviewed site
                members = [members[k] for k in counted.shown]  # don't count
            x, y = counted.x, counted.y
            old = old_sites.get(old_id) if old_id is not None else None
            totals = confirmation_totals(
                confirmations.get(old_id, []) if old_id is not None else []
            )
            moments = [created[i] for i in members]
            first_seen = min(moments)
            moments += [as_utc(latest) for latest in totals.latest]
            member_tags = [parsed[tags_raw[i]] or [] for i in members]
            site = NewSite(
                id=site_id,
                category=cluster.category,
                x=x,
                y=y,
                status=old.status if old else Status.NEW.value,
                severity=median_severity(severities[i] for i in members),
                groups=sorted({g for i in members for g in parsed[groups_raw[i]] or []}),
                tag_counts=dict(sorted(Counter(t for tags in member_tags for t in tags).items())),
                report_count=len(members),
                confirmation_count=totals.still_there,
                anonymous_confirmation_count=totals.anonymous_still_there,
                fixed_claim_count=totals.fixed_now,
                first_seen=first_seen,
                last_seen=max(moments),
                area_id=area_id,
                priority_score=0.0,
                priority_factors="{}",
                planned_year=old.planned_year if old else None,
                planned_cost_dkk=old.planned_cost_dkk if old else None,
                status_reason=old.status_reason if old else "",
            )
            reports = [
                ReportFacts(
                    statuses[i],
                    tags,
                    parsed[measurements_raw[i]] or {},
                    reporter_ids[i],
                    devices[i],
                )
                for i, tags in zip(members, member_tags, strict=True)
            ]
            site.priority_score, site.priority_factors = scorer.score(site, reports)
            built.append(site)
        return built

    sites = in_two_processes(build, len(clusters), pack=_site_values, unpack=_site_from)

    clock.lap("aggregate and score")
    successor = {old: old for old in successor_number}
    duplicate_of = [target if target in successor else None for target in old_duplicate_of]
    return Plan(
        first_new_id,
        sites,
        ids,
        site_of_report,
        duplicate_of,
        old_site_of,
        old_duplicate_of,
        successor,
    )


# Below this many sites the aggregation runs in one process (forking costs more than it saves).
PARALLEL_MIN_SITES = 20_000


def in_two_processes(
    work: Callable[[range], list[Any]],
    count: int,
    minimum: int | None = None,
    pack: Callable[[Any], Any] | None = None,
    unpack: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """``work(range(count))``, one item per number, in order. With at least ``minimum``
    items, two cores and ``fork``, a forked child process does the odd numbers while this one
    does the even ones (alternating, so both get as many old and new sites).

    The child inherits everything read so far (copy-on-write), touches no database connection,
    sends its items back through a pipe (pickled, each through ``pack``; ``unpack`` here) and
    leaves with ``os._exit`` (nothing of the parent's, such as its database connections, is
    closed or flushed by it).
    """
    minimum = PARALLEL_MIN_SITES if minimum is None else minimum
    if count < max(2, minimum) or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return work(range(count))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_fd)
            items = work(range(1, count, 2))
            with os.fdopen(write_fd, "wb") as out:
                pickle.dump(
                    [pack(item) for item in items] if pack else items,
                    out,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    incoming = os.fdopen(read_fd, "rb")
    try:
        even = work(range(0, count, 2))
        odd = pickle.load(incoming)
    finally:
        incoming.close()  # a child still writing gets a broken pipe and ends
        _, status = os.waitpid(pid, 0)
    if status != 0 or len(odd) != count // 2:
        raise RuntimeError(f"the rebuild's second process failed (status {status})")
    result: list[Any] = [None] * count
    result[0::2] = even
    result[1::2] = [unpack(item) for item in odd] if unpack else odd
    return result


class _Scorer:
    """``priority.compute`` for many sites at one moment; the factors as JSON text."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        # json.dumps' own output, without its check for cycles (the factors are plain trees).
        self.encode = json.JSONEncoder(check_circular=False).encode
        # Every stored network impact, read once (also for the forked second process).
        self.network = network_facts(session, None)

    def score(self, site: NewSite, reports: Sequence[ReportFacts]) -> tuple[float, str]:
        """The balanced score and the factors as JSON text."""
        facts = facts_for(self.session, site, reports, self.network)  # type: ignore[arg-type]
        score, factors = compute(facts, self.now)
        return score, self.encode(factors)


# --- writing ---------------------------------------------------------------------------------


def write(session: Session, plan: Plan, timings: dict[str, float] | None = None) -> None:
    """Store a plan: update the sites that have a predecessor (where anything changed),
    insert the others, point the reports whose site changed at it, delete the old sites
    without a successor (``bulk_write.replace_sites``)."""
    replace_sites(
        session, plan.sites, _changed_reports(plan), plan.first_new_id, StepClock(timings)
    )


def _changed_reports(plan: Plan) -> list[tuple[int, int | None, int | None]]:
    return [
        (report_id, site_id, duplicate_of)
        for report_id, site_id, duplicate_of, old_site, old_duplicate in zip(
            plan.report_ids,
            plan.site_of_report,
            plan.duplicate_of,
            plan.old_site_of_report,
            plan.old_duplicate_of,
            strict=True,
        )
        if site_id != old_site or duplicate_of != old_duplicate
    ]
