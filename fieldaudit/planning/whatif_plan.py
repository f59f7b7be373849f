"""The planners' what-if without Flask: read the form, run ``network.whatif.plan_fixes`` on the
stored network, and give the fixes as rows for the page, the CSV and the GeoJSON."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.errors import ValidationError
from fieldaudit.exports.csv import BOM, safe_cell
from fieldaudit.exports.rows import site_rows
from fieldaudit.models import BarrierSite
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import Router
from fieldaudit.network.whatif import MAX_FIXES, Budget, FixPlan, plan_fixes
from fieldaudit.network.whatif_inputs import ImpactInputs, load_inputs, site_costs
from fieldaudit.planning.domain import whole_number
from fieldaudit.problems import problem
from fieldaudit.taxonomy import GROUP_LABELS, Group, Label

SITES = "antal"
DKK = "kroner"
BUDGET_KINDS = (SITES, DKK)
MAX_DKK = 1_000_000_000
# The groups a what-if means something for: those whose profile has rules.
WHAT_IF_GROUPS = tuple(code for code, p in PROFILES.items() if p.site_rules or p.edge_rules)
# How the group gets there, in the figure's sentence.
WAYS = {
    Group.WHEEL.value: Label("trinfrit i kørestol", "step-free by wheelchair"),
}

INVALID_GROUP = problem("gruppe", "invalid_group")
INVALID_SITES = problem("budget", "invalid_sites", most=MAX_FIXES)
INVALID_DKK = problem("budget", "invalid_dkk")
INVALID_KIND = problem("budgettype", "invalid_budget_kind")


@dataclass(frozen=True)
class WhatIfRequest:
    """A planner's question: a group and a budget."""

    group: str
    kind: str
    amount: int

    @property
    def budget(self) -> Budget:
        """The budget as the what-if takes it."""
        return Budget(dkk=self.amount) if self.kind == DKK else Budget(sites=self.amount)

    def as_args(self) -> dict[str, str]:
        """The query string that asks this again (for the export links)."""
        return {"gruppe": self.group, "budgettype": self.kind, "budget": str(self.amount)}


def read_request(group: str | None, kind: str | None, amount: str | None) -> WhatIfRequest:
    """The form's text as a request; ValidationError with every problem (da and en)."""
    problems = []
    if group not in WHAT_IF_GROUPS:
        problems.append(INVALID_GROUP)
    if kind not in BUDGET_KINDS:
        problems.append(INVALID_KIND)
    number = whole_number(amount or "")
    if kind == SITES and (number is None or not 1 <= number <= MAX_FIXES):
        problems.append(INVALID_SITES)
    if kind == DKK and (number is None or not 1 <= number <= MAX_DKK):
        problems.append(INVALID_DKK)
    if problems:
        raise ValidationError(problems)
    return WhatIfRequest(str(group), str(kind), int(number or 0))


@dataclass(frozen=True)
class FixRow:
    """One site in the answer: its rank (0 for sites left out), what fixing it opens, its cost."""

    rank: int
    site_id: int
    category_label: str
    area: str
    opened: float
    pairs_opened: int
    metres_saved: float
    cost_dkk: int | None
    share_after: float
    easting: float
    northing: float
    lon: float
    lat: float


@dataclass
class WhatIfAnswer:
    """The plan in the page's words: the figure before and after, the fixes, the sites left out."""

    request: WhatIfRequest
    group_label: str
    way: str
    weighted: bool
    share_before: float
    share_after: float
    origins: int
    destinations: int
    seconds: float
    rows: list[FixRow] = field(default_factory=list)
    unpriced: list[FixRow] = field(default_factory=list)

    @property
    def spent_dkk(self) -> int:
        """What the chosen fixes cost in all."""
        return sum(r.cost_dkk or 0 for r in self.rows)


def _rows(
    session: Session, plan: FixPlan, ids: Sequence[int], costs: Mapping[int, int | None], lang: str
) -> list[FixRow]:
    """The given sites as rows, in the order given (a chosen fix carries its gain)."""
    sites = {s.id: s for s in session.scalars(select(BarrierSite).where(BarrierSite.id.in_(ids)))}
    described = {r.site_id: r for r in site_rows(session, [sites[i] for i in ids], lang=lang)}
    chosen = {f.site_id: (rank, f) for rank, f in enumerate(plan.fixes, start=1)}
    rows = []
    for site_id in ids:
        row = described[site_id]
        rank, fix = chosen.get(site_id, (0, None))
        rows.append(
            FixRow(
                rank,
                site_id,
                row.category_label,
                row.area,
                fix.opened if fix else 0.0,
                fix.pairs_opened if fix else 0,
                fix.metres_saved if fix else 0.0,
                costs.get(site_id),
                fix.share_after if fix else plan.share_before,
                row.easting,
                row.northing,
                row.lon,
                row.lat,
            )
        )
    return rows


# The last plans, for the same network, sites, estimates and population (the router object is
# rebuilt by ``load_router`` when the network or the sites change): the export after the page
# does not run the greedy again.
_PLANS: OrderedDict[tuple, tuple[Router, FixPlan]] = OrderedDict()
KEPT_PLANS = 16


def _kept_plan(
    inputs: ImpactInputs, request: WhatIfRequest, costs: Mapping[int, int | None]
) -> FixPlan:
    """``plan_fixes`` for the request, kept while nothing it reads has changed."""
    weights = tuple(inputs.weights) if inputs.weights is not None else None
    key = (id(inputs.router), request, tuple(sorted(costs.items())), weights)
    kept = _PLANS.get(key)
    if kept is not None and kept[0] is inputs.router:
        _PLANS.move_to_end(key)
        return kept[1]
    plan = plan_fixes(
        inputs.router,
        PROFILES[request.group],
        inputs.origins,
        inputs.targets,
        request.budget,
        costs,
        inputs.weights,
    )
    _PLANS[key] = (inputs.router, plan)
    while len(_PLANS) > KEPT_PLANS:
        _PLANS.popitem(last=False)
    return plan


def answer_what_if(session: Session, request: WhatIfRequest, lang: str) -> WhatIfAnswer | None:
    """Run the what-if on the stored network; None when no network, municipality or
    destinations are loaded."""
    started = time.perf_counter()
    inputs = load_inputs(session)
    if inputs is None:
        return None
    profile = PROFILES[request.group]
    placed = inputs.router.costs_for(profile).effects
    costs = site_costs(session, [s.site_id for items in placed.values() for s, _r in items])
    plan = _kept_plan(inputs, request, costs)
    group_label = GROUP_LABELS[Group(request.group)].get(lang)
    way = WAYS.get(request.group)
    answer = WhatIfAnswer(
        request,
        group_label,
        way.get(lang) if way else "",
        plan.weighted,
        plan.share_before,
        plan.share_after,
        plan.origins,
        plan.destinations,
        0.0,
    )
    answer.rows = _rows(session, plan, [f.site_id for f in plan.fixes], costs, lang)
    answer.unpriced = _rows(session, plan, plan.unpriced, costs, lang)
    answer.seconds = time.perf_counter() - started
    return answer


# (field, Danish column): the CSV opens in a Danish Excel straight into columns.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "rang"),
    ("site_id", "sted_id"),
    ("category_label", "kategori"),
    ("area", "område"),
    ("opened", "åbnede_forbindelser"),
    ("pairs_opened", "åbnede_par"),
    ("metres_saved", "sparede_meter"),
    ("cost_dkk", "prisoverslag_kr"),
    ("share_after", "andel_efter"),
    ("easting", "easting_25832"),
    ("northing", "northing_25832"),
    ("lon", "længdegrad"),
    ("lat", "breddegrad"),
)


def what_if_csv(answer: WhatIfAnswer) -> bytes:
    """The chosen fixes (and, with rank 0, the sites left out for want of a cost estimate)
    as Danish CSV: BOM, ';' between cells, decimal comma."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([da for _f, da in CSV_COLUMNS])
    for row in [*answer.rows, *answer.unpriced]:
        writer.writerow([safe_cell(_rounded(getattr(row, f)), True) for f, _da in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def what_if_geojson(answer: WhatIfAnswer, exported: str) -> bytes:
    """The chosen fixes as a GeoJSON FeatureCollection (WGS84), the question and the figures
    in its ``metadata``."""
    features = [
        {
            "type": "Feature",
            "id": row.site_id,
            "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
            "properties": {
                "rank": row.rank,
                "site_id": row.site_id,
                "category_label": row.category_label,
                "area": row.area,
                "opened": row.opened,
                "pairs_opened": row.pairs_opened,
                "metres_saved": round(row.metres_saved, 1),
                "cost_dkk": row.cost_dkk,
                "share_after": round(row.share_after, 4),
            },
        }
        for row in answer.rows
    ]
    metadata = {
        "group": answer.request.group,
        "budget": {"kind": answer.request.kind, "amount": answer.request.amount},
        "weighted_by_population": answer.weighted,
        "share_before": round(answer.share_before, 4),
        "share_after": round(answer.share_after, 4),
        "origins": answer.origins,
        "destinations": answer.destinations,
        "without_cost_estimate": [r.site_id for r in answer.unpriced],
        "exported": exported,
    }
    collection = {"type": "FeatureCollection", "metadata": metadata, "features": features}
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")
