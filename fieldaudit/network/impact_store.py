"""The stored network impact: each public open site's figures per group in
``site_network_impacts``, kept up to date after sites open, close or change.

``refresh_impacts`` loads the network and its sites (``routing.load_router``), and for each
group with site rules takes its kept searches (``kept_state``; built afresh when there are
none, when they were kept for another network, origins or destinations, or when ``full``),
runs again only the searches the changes since the last run can alter
(``ImpactState.update``), and reads every site's figures (``site_impact``). A row is written
for every public open site placed on the network (its ``groups`` empty when it changes no
route); rows of sites no longer placed are deleted. The sites whose stored figures changed
are returned, for the caller to score again (``network_scores.py``, which stands above the
priority): the scores stay fast and no request runs graph work. When nothing changed (the same costs per group, the same placed sites) the run stops
before any search. Origins are the cell centres of a regular grid over the municipality
(``impact.origin_grid``, 250 m), weighted by the people of the population grid when one is
imported (``whatif_inputs.load_inputs``: each pair weighs as its origin's people, as in
``network_impact``), destinations the stored places. The kept searches are keyed on the
weights too: importing or replacing the population grid builds them afresh.

Callers: the job ``network-impact`` (``jobs.py``, at each run of the timer), ``fieldaudit
sites rescore`` (``full``) and ``fieldaudit network impact``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierSite, SiteNetworkImpact
from fieldaudit.network import kept_state
from fieldaudit.network.impact import DEFAULT_SPACING_M, NetworkImpact
from fieldaudit.network.impact_state import ImpactState
from fieldaudit.network.placement import BARRIER_STATUSES
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import Router
from fieldaudit.network.site_impact import group_impacts
from fieldaudit.network.store import network_version
from fieldaudit.network.whatif_inputs import load_inputs

META = "impact-meta.json"


@dataclass
class Refreshed:
    """What a refresh did."""

    groups: list[str] = field(default_factory=list)
    searches: int = 0  # searches run (kept ones not counted)
    placed: int = 0  # public open sites on the network
    changed: list[int] = field(default_factory=list)  # sites whose stored figures changed
    skipped: str = ""  # why nothing was computed
    found: dict[str, NetworkImpact] = field(default_factory=dict)  # per group (when computed)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the job's record and the command's output."""
        if self.skipped:
            return f"network impact: {self.skipped}; {len(self.changed)} sites rescored"
        return (
            f"network impact for {', '.join(self.groups) or 'no group'}: {self.placed} sites on "
            f"the network, {self.searches} searches run, {len(self.changed)} sites changed and "
            f"rescored ({self.seconds:.1f} s)"
        )


def ruled_profiles() -> list:
    """The groups whose profile has site rules (a group no site can matter to has no impact)."""
    return [p for p in PROFILES.values() if p.site_rules]


def _placed(router: Router) -> dict[int, int]:
    """Each placed site's edge id."""
    return {
        site.site_id: router.edge_ids[edge]
        for edge, placed in router.sites.items()
        for site in placed
    }


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / META).read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (META + ".partial")
    partial.write_text(json.dumps(meta))
    partial.replace(folder / META)


def _written(session: Session) -> str:
    """When the stored rows were last written (another server's run changes it)."""
    return str(session.scalar(select(func.max(SiteNetworkImpact.computed_at))))


def _store(
    session: Session, placed: dict[int, int], figures: dict[int, dict[str, Any]], now: datetime
) -> list[int]:
    """Write the rows; return the sites whose figures changed (added, altered or removed).
    When the first rows are written, every public open site changes (those off the network
    now get 0 and say so)."""
    stored = {row.site_id: row for row in session.scalars(select(SiteNetworkImpact))}
    changed = sorted(set(stored) - set(placed))  # no longer placed: closed, moved away
    if changed:
        session.execute(delete(SiteNetworkImpact).where(SiteNetworkImpact.site_id.in_(changed)))
    if not stored and placed:
        changed += _open_barriers(session)
    for site_id, edge_id in placed.items():
        groups = figures.get(site_id, {})
        row = stored.get(site_id)
        if row is None:
            session.add(
                SiteNetworkImpact(site_id=site_id, edge_id=edge_id, groups=groups, computed_at=now)
            )
        elif row.groups == groups and row.edge_id == edge_id:
            continue
        else:
            row.groups, row.edge_id, row.computed_at = groups, edge_id, now
        changed.append(site_id)
    session.flush()
    return sorted(set(changed))


def _open_barriers(session: Session) -> list[int]:
    return list(
        session.scalars(select(BarrierSite.id).where(BarrierSite.status.in_(BARRIER_STATUSES)))
    )


def clear_impacts(session: Session) -> list[int]:
    """Delete every stored impact (no network); if there were any, every public open site is
    returned, to be scored again (the factor is left out again)."""
    if session.scalar(select(SiteNetworkImpact.site_id).limit(1)) is None:
        return []
    site_ids = _open_barriers(session)
    session.execute(delete(SiteNetworkImpact))
    return site_ids


def refresh_impacts(
    session: Session,
    folder: Path,
    full: bool = False,
    spacing: float = DEFAULT_SPACING_M,
    force: bool = False,
    now: datetime | None = None,
) -> Refreshed:
    """Bring the stored impacts up to date (all of them afresh when ``full``; from the kept
    searches even when nothing changed when ``force``); see the module."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    result = Refreshed()
    inputs = load_inputs(session, spacing)
    if inputs is None:
        result.changed = clear_impacts(session)
        result.skipped = "no network, municipality or destinations loaded"
        return result
    meta = _read_meta(folder)
    router, origins, targets = inputs.router, inputs.origins, inputs.targets
    names = list(inputs.names)
    key = kept_state.state_key(
        (network_version(session), names, spacing), origins, targets, inputs.weights
    )
    placed = _placed(router)
    profiles = ruled_profiles()
    digests = {
        p.group.value: kept_state.costs_digest(router.costs_for(p).prepared.costs) for p in profiles
    }
    result.placed, result.groups = len(placed), [p.group.value for p in profiles]
    unchanged = (
        meta.get("key") == key
        and meta.get("costs") == digests
        and meta.get("placed") == sorted(placed)
        and set(session.scalars(select(SiteNetworkImpact.site_id))) == set(placed)
        and meta.get("written") == _written(session)
    )
    if unchanged and not (full or force):
        result.seconds = time.perf_counter() - started
        return result
    figures: dict[int, dict[str, Any]] = {}
    for profile in profiles:
        state = None if full else kept_state.load(folder, profile, key, router)
        if state is None:
            state = ImpactState(router, profile, origins, targets, inputs.weights)
        else:
            state.update(router)
        result.searches += state.last_redone
        found, impacts = group_impacts(state, names)
        result.found[profile.group.value] = found
        for site_id, impact in impacts.items():
            figures.setdefault(site_id, {})[profile.group.value] = impact.as_dict()
        kept_state.save(state, folder, key)
    result.changed = _store(session, placed, figures, now)
    _write_meta(
        folder,
        {
            "key": key,
            "costs": digests,
            "placed": sorted(placed),
            "spacing": spacing,
            "written": _written(session),
        },
    )
    result.seconds = time.perf_counter() - started
    return result
