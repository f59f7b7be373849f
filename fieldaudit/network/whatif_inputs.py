"""What the impact and the what-if read from the database: the router, the origin grid over
the municipality (weighted by the population grid when one is imported), the destinations
and the sites' cost estimates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierSite
from fieldaudit.network.impact import DEFAULT_SPACING_M, origin_grid
from fieldaudit.network.population import origin_weights, stored_population
from fieldaudit.network.routing import Router, load_router
from fieldaudit.network.store import destination_points, municipality_outline


@dataclass(frozen=True)
class ImpactInputs:
    """The router, origins (EPSG:25832) with their people (None: unweighted), destinations."""

    router: Router
    origins: list[tuple[float, float]]
    weights: list[float] | None
    targets: list[tuple[float, float]]
    spacing: float
    names: tuple[str, ...] = ()  # the destinations' names, in the targets' order


def load_inputs(session: Session, spacing: float = DEFAULT_SPACING_M) -> ImpactInputs | None:
    """The stored network, grid and destinations; None when one of them is missing."""
    router = load_router(session)
    outline = municipality_outline(session)
    places = destination_points(session)
    if router is None or outline is None or not places:
        return None
    origins = origin_grid(outline, spacing)
    cells = stored_population(session)
    weights = origin_weights(cells, origins, spacing) if cells else None
    targets = [p for _n, p in places]
    return ImpactInputs(router, origins, weights, targets, spacing, tuple(n for n, _p in places))


def site_costs(session: Session, site_ids: Iterable[int]) -> dict[int, int | None]:
    """Each site's cost estimate in DKK (the planners' estimate; None when there is none)."""
    wanted = list(site_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(BarrierSite.id, BarrierSite.planned_cost_dkk).where(BarrierSite.id.in_(wanted))
    )
    return {site_id: cost for site_id, cost in rows}
