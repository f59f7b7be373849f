"""The network impact's kept searches saved between runs (one file per group).

``ImpactState`` keeps, per group, the searches from the destinations and from the origins
(distances and trees) and the edge costs they were run on. The job ``network-impact`` runs in a
fresh process each time, so the state is saved to ``network_state_dir`` (``config.py``) as a
NumPy archive and read back; ``ImpactState.update`` then runs again only what a change can
alter. A file is used only when its key matches: the same network, origins and destinations
(``state_key``); otherwise the caller builds the state afresh. Files are written to a temporary
name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fieldaudit.network.impact_state import ImpactState, _Searches
from fieldaudit.network.profiles import Profile
from fieldaudit.network.routing import Router


def state_key(
    network: tuple,
    origins: list[tuple[float, float]],
    destinations: list[tuple[float, float]],
    weights: Sequence[float] | None = None,
) -> str:
    """What a kept state depends on besides the sites: the graph, the origins (and their people
    from the population grid, None when none is imported), the destinations."""
    digest = hashlib.sha256(repr(network).encode())
    digest.update(np.asarray(origins, dtype=float).tobytes())
    digest.update(np.asarray(destinations, dtype=float).tobytes())
    digest.update(b"unweighted" if weights is None else np.asarray(weights, float).tobytes())
    return digest.hexdigest()


def costs_digest(costs: np.ndarray) -> str:
    """A fingerprint of a group's edge costs (infinite for blocked edges)."""
    return hashlib.sha256(np.ascontiguousarray(costs, dtype=float).tobytes()).hexdigest()


def _path(folder: Path, group: str) -> Path:
    return folder / f"impact-{group}.npz"


def save(state: ImpactState, folder: Path, key: str) -> Path:
    """Write a group's kept searches (replacing the previous file at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = _path(folder, state.profile.group.value)
    partial = path.with_suffix(".partial.npz")
    with partial.open("wb") as handle:
        np.savez(
            handle,
            key=np.array(key),
            costs=state.costs,
            target_index=np.asarray(state.target_index, dtype=np.int64),
            target_nodes=state.targets.nodes,
            target_dist=state.targets.dist,
            target_pred=state.targets.pred,
            origin_nodes=state.origins.nodes,
            origin_dist=state.origins.dist,
            origin_pred=state.origins.pred,
            weighted=np.array(state.people is not None),
            people=np.zeros(0) if state.people is None else state.people,
        )
    os.replace(partial, path)
    return path


def _searches(nodes: np.ndarray, dist: np.ndarray, pred: np.ndarray) -> _Searches:
    searches = _Searches.__new__(_Searches)
    searches.nodes, searches.dist, searches.pred = nodes, dist, pred
    return searches


def load(folder: Path, profile: Profile, key: str, router: Router) -> ImpactState | None:
    """The group's saved state if it was kept for the same key (its router is ``router``, the
    one to ``update`` it with), else None."""
    path = _path(folder, profile.group.value)
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) != key or len(saved["costs"]) != len(router.edge_ids):
                return None
            state = ImpactState.__new__(ImpactState)
            state.profile, state.router = profile, router
            state.fixed = frozenset()
            state.group_costs = router.costs_for(profile)  # until ``update`` runs
            state.costs = saved["costs"].copy()
            state.target_index = saved["target_index"].tolist()
            state.targets = _searches(
                saved["target_nodes"], saved["target_dist"], saved["target_pred"]
            )
            state.origins = _searches(
                saved["origin_nodes"], saved["origin_dist"], saved["origin_pred"]
            )
            state.people = saved["people"].copy() if bool(saved["weighted"]) else None
            state.last_redone = 0
            return state
    except (OSError, KeyError, ValueError):  # missing, unreadable or from another version
        return None
