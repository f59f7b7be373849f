"""Priority scores of barrier sites: one published formula, one configuration of weights.

    score = 100 × severity × groups × area × evidence × measurement × no_alternative × network
            × age × open

- **severity**: the site's (median) severity, 0.33 / 0.67 / 1.0 (``taxonomy.SEVERITIES``,
  Project Sidewalk's multipliers).
- **groups**: breadth of the affected groups under a *preset*. The highest weight among the
  site's groups counts in full, every further group adds ``extra_group_share`` of its weight.
  Balanced (all weights 1): one group 1.0, two 1.15, all seven 1.9.
- **area**: the importance of the area the site lies in (``Area.importance``, 0-10; 1 when
  the site lies in no known area).
- **evidence**: 1 + 0.2 per further independent reporter + 0.1 per "still there"
  confirmation, at most 2; × 1.25 when the Disability Council has verified it. A site counts
  one confirmation per account, else device, else client address per day
  (``sites.confirmation_count_key``), and confirmations without an account add at most 0.3
  together (anyone can make up a device or a new address).
- **measurement**: 1 + 0.5 × how far the worst measurement (the median of the site's reports
  per measured value) lies beyond its Danish threshold, as a ratio capped at 2 (so 1-2).
- **no_alternative**: × 1.5 when at least half of the site's reports carry the tag "no
  alternative route" (the 50 % rule of Project Sidewalk).
- **network**: 1-2, what the site costs people on the walking network per group, weighed by
  the preset (``network_factor.py``); × 1 off the network or while no impact is stored.
- **age**: × 0.5 when the site has not been reported or confirmed for 4 years (the shortest
  re-survey interval of StreetComplete).
- **open**: fixed, closed, rejected and duplicate sites score 0.

The stored ``priority_score`` uses the balanced preset; ``priority_factors`` keeps every
factor, the score under each preset and what the explanation needs. Nothing here knows Flask.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit import network_factor as net
from fieldaudit.areas import area_index
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.site_rule import EXCLUDED_REPORT_STATUSES, reporter_key
from fieldaudit.status import OPEN_STATUSES, STATUS_LABELS, Status
from fieldaudit.taxonomy import (
    GROUP_LABELS,
    NO_ALTERNATIVE_ROUTE,
    SEVERITIES,
    Group,
    Label,
    MeasurementVerdict,
    Severity,
    category,
    judge,
)

FACTORS_VERSION = 1


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Preset:
    """A weighting of the seven affected groups."""

    code: str
    label: Label
    description: Label
    group_weights: Mapping[str, float]


PRESETS: dict[str, Preset] = {
    p.code: p
    for p in (
        Preset(
            "balanced",
            Label("Ligelig", "Balanced"),
            Label("Alle målgrupper vejer lige meget.", "Every group weighs the same."),
            _frozen({g.value: 1.0 for g in Group}),
        ),
        Preset(
            "wheelchair",
            Label("Kørestol og gangbesvær", "Wheelchair and walking"),
            Label(
                "Barrierer for kørestolsbrugere og gangbesværede vejer mest.",
                "Barriers for wheelchair users and people who walk with difficulty weigh most.",
            ),
            _frozen(
                {"WHEEL": 1.0, "MOB": 0.8, "VIS": 0.3, "HEAR": 0.2, "ALLERGY": 0.2}
                | {"COG": 0.3, "READ": 0.2}
            ),
        ),
        Preset(
            "sight",
            Label("Syn", "Sight"),
            Label(
                "Barrierer for synshandicappede vejer mest.",
                "Barriers for visually impaired people weigh most.",
            ),
            _frozen(
                {"VIS": 1.0, "READ": 0.5, "COG": 0.4, "MOB": 0.4, "WHEEL": 0.3}
                | {"HEAR": 0.2, "ALLERGY": 0.2}
            ),
        ),
        Preset(
            "cognition",
            Label("Forståelse og læsning", "Cognition and reading"),
            Label(
                "Barrierer for udviklingshandicappede og folk med læsevanskeligheder vejer mest.",
                "Barriers for people with intellectual disabilities or reading difficulties "
                "weigh most.",
            ),
            _frozen(
                {"COG": 1.0, "READ": 0.8, "VIS": 0.4, "HEAR": 0.3, "MOB": 0.3}
                | {"WHEEL": 0.3, "ALLERGY": 0.2}
            ),
        ),
    )
}
DEFAULT_PRESET = "balanced"
OPEN_STATUS_VALUES = frozenset(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True)
class Weights:
    """Every weight of the priority formula, in one place (published at /api/v1/priority)."""

    base: float = 100.0
    severity: Mapping[str, float] = field(
        default_factory=lambda: _frozen({s.value: i.weight for s, i in SEVERITIES.items()})
    )
    extra_group_share: float = 0.15
    unknown_group_weight: float = 0.5
    area_importance_min: float = 0.0
    area_importance_max: float = 10.0
    no_area_importance: float = 1.0
    evidence_per_extra_reporter: float = 0.2
    evidence_per_confirmation: float = 0.1
    evidence_anonymous_confirmations_max: float = 0.3
    evidence_max: float = 2.0
    verified_factor: float = 1.25
    measurement_weight: float = 0.5
    measurement_excess_max: float = 2.0
    no_alternative_share: float = 0.5
    no_alternative_factor: float = 1.5
    stale_after_days: int = 4 * 365
    stale_factor: float = 0.5
    closed_factor: float = 0.0
    network_weight: float = 1.0
    network_lost_pair_m: float = 2000.0
    network_full_share: float = 0.02

    def as_dict(self) -> dict[str, Any]:
        """The weights as plain JSON-able data."""
        return {
            f.name: dict(value) if isinstance(value, Mapping) else value
            for f in fields(self)
            if (value := getattr(self, f.name)) is not None
        }


WEIGHTS = Weights()


@dataclass(frozen=True)
class PriorityClass:
    """A band of scores with its colour on the maps (colour-blind safe, light to dark)."""

    number: int
    minimum: float
    colour: str
    label: Label


PRIORITY_CLASSES: tuple[PriorityClass, ...] = (
    PriorityClass(1, 0.0, "#fde725", Label("Lav", "Low")),
    PriorityClass(2, 50.0, "#f9a242", Label("Moderat", "Moderate")),
    PriorityClass(3, 100.0, "#e35932", Label("Betydelig", "Considerable")),
    PriorityClass(4, 200.0, "#a11a5b", Label("Høj", "High")),
    PriorityClass(5, 400.0, "#3b0f70", Label("Meget høj", "Very high")),
)


def priority_class(score: float) -> PriorityClass:
    """The band a score falls in."""
    chosen = PRIORITY_CLASSES[0]
    for band in PRIORITY_CLASSES:
        if score >= band.minimum:
            chosen = band
    return chosen


@dataclass(frozen=True)
class SiteFacts:
    """Everything the formula needs to know about a site."""

    category: str
    severity: str
    status: str
    groups: Sequence[str]
    report_count: int
    independent_reporters: int
    confirmations: int
    verified: bool
    no_alternative_reports: int
    measurements: Sequence[Mapping[str, Any]]
    last_seen: datetime
    area_id: int | None = None
    area_name: str | None = None
    area_importance: float | None = None
    anonymous_confirmations: int = 0
    network: Mapping[str, Mapping[str, Any]] | None = None
    on_network: bool = False


def group_factor(groups: Iterable[str], preset: Preset, weights: Weights = WEIGHTS) -> float:
    """Breadth of the affected groups: the top weight in full, each further one a share."""
    ranked = sorted((preset.group_weights.get(g, 0.0) for g in groups), reverse=True)
    if not ranked:
        return weights.unknown_group_weight
    return ranked[0] + weights.extra_group_share * sum(ranked[1:])


@lru_cache(maxsize=1024)
def _default_group_factors(groups: tuple[str, ...]) -> Mapping[str, float]:
    """``group_factor`` of every preset with the published weights (a site's groups are one
    of few combinations, so a full rebuild computes each once)."""
    return MappingProxyType({code: group_factor(groups, p) for code, p in PRESETS.items()})


def _group_factors(groups: Sequence[str], weights: Weights) -> Mapping[str, float]:
    if weights is WEIGHTS:
        return _default_group_factors(tuple(groups))
    return {code: group_factor(groups, p, weights) for code, p in PRESETS.items()}


def worst_measurement(
    category_code: str, measurements: Iterable[Mapping[str, Any]]
) -> MeasurementVerdict | None:
    """The measured value furthest beyond its rule (median per value over the reports)."""
    measurements = [m for m in measurements if m]
    if not measurements:
        return None
    cat = category(category_code)
    if cat is None:
        return None
    values: dict[str, list[float]] = {}
    for measured in measurements:
        for key, quantity in measured.items():
            value = quantity.get("value") if isinstance(quantity, Mapping) else quantity
            if isinstance(value, int | float) and cat.measurement(key) is not None:
                values.setdefault(key, []).append(float(value))
    worst: MeasurementVerdict | None = None
    for key in sorted(values):
        verdict = judge(cat, key, statistics.median(values[key]))
        if verdict.broken and (worst is None or verdict.excess > worst.excess):
            worst = verdict
    return worst


def _round(value: float) -> float:
    return round(value, 4)


def confirmation_evidence(confirmations: int, anonymous: int, weights: Weights = WEIGHTS) -> float:
    """What counted 'still there' confirmations add to the evidence factor: each one its
    share, but those without an account together at most ``evidence_anonymous_confirmations_max``."""
    anonymous = min(max(anonymous, 0), confirmations)
    with_account = confirmations - anonymous
    return weights.evidence_per_confirmation * with_account + min(
        weights.evidence_per_confirmation * anonymous,
        weights.evidence_anonymous_confirmations_max,
    )


def compute(
    facts: SiteFacts, now: datetime | None = None, weights: Weights = WEIGHTS
) -> tuple[float, dict[str, Any]]:
    """Score a site; return the balanced score and the factors (with every preset's score)."""
    now = now or datetime.now(UTC)
    severity = weights.severity.get(facts.severity, weights.severity[Severity.MEDIUM.value])
    if facts.area_importance is None:
        area = weights.no_area_importance
    else:
        area = min(
            max(facts.area_importance, weights.area_importance_min), weights.area_importance_max
        )
    evidence = min(
        weights.evidence_max,
        1.0
        + weights.evidence_per_extra_reporter * max(0, facts.independent_reporters - 1)
        + confirmation_evidence(facts.confirmations, facts.anonymous_confirmations, weights),
    )
    if facts.verified:
        evidence *= weights.verified_factor
    verdict = worst_measurement(facts.category, facts.measurements)
    excess = min(verdict.excess, weights.measurement_excess_max) if verdict else 0.0
    measurement = 1.0 + weights.measurement_weight * excess
    share = facts.no_alternative_reports / facts.report_count if facts.report_count else 0.0
    no_alternative = share >= weights.no_alternative_share and facts.no_alternative_reports > 0
    last_seen = facts.last_seen if facts.last_seen.tzinfo else facts.last_seen.replace(tzinfo=UTC)
    stale = now - last_seen > timedelta(days=weights.stale_after_days)
    is_open = facts.status in OPEN_STATUS_VALUES
    common = (
        weights.base
        * severity
        * area
        * evidence
        * measurement
        * (weights.no_alternative_factor if no_alternative else 1.0)
        * (weights.stale_factor if stale else 1.0)
        * (1.0 if is_open else weights.closed_factor)
    )
    group_factors = _group_factors(facts.groups, weights)
    by_preset, network = net.network_factors(facts.network, facts.on_network, weights, PRESETS)
    scores = {code: round(common * f * by_preset[code], 2) for code, f in group_factors.items()}
    factors: dict[str, Any] = {
        "version": FACTORS_VERSION,
        "category": facts.category,
        "severity": {"value": facts.severity, "factor": severity},
        "groups": {
            "codes": sorted(facts.groups),
            "factor": _round(group_factors[DEFAULT_PRESET]),
        },
        "area": {
            "id": facts.area_id,
            "name": facts.area_name,
            "importance": facts.area_importance,
            "factor": area,
        },
        "evidence": {
            "reports": facts.report_count,
            "independent_reporters": facts.independent_reporters,
            "confirmations": facts.confirmations,
            "anonymous_confirmations": facts.anonymous_confirmations,
            "verified": facts.verified,
            "factor": _round(evidence),
        },
        "measurement": None
        if verdict is None
        else {
            "key": verdict.key,
            "value": verdict.value,
            "unit": verdict.unit,
            "limit": verdict.limit,
            "kind": verdict.kind,
            "excess": _round(verdict.excess),
            "source": verdict.source,
            "provisional": verdict.provisional,
            "factor": _round(measurement),
        },
        "no_alternative_route": {
            "share": _round(share),
            "applies": no_alternative,
            "factor": weights.no_alternative_factor if no_alternative else 1.0,
        },
        "age": {
            "last_seen": last_seen.astimezone(UTC).isoformat(),
            "stale": stale,
            "factor": weights.stale_factor if stale else 1.0,
        },
        "status": {
            "value": facts.status,
            "open": is_open,
            "factor": 1.0 if is_open else weights.closed_factor,
        },
        "scores": scores,
    }
    if network is not None:
        factors["network"] = network | {"factor": _round(by_preset[DEFAULT_PRESET])}
    return scores[DEFAULT_PRESET], factors


def score_for(factors: Mapping[str, Any], preset: str = DEFAULT_PRESET) -> float:
    """A site's score under a preset, from its stored factors (0 if it was never scored)."""
    return float((factors.get("scores") or {}).get(preset, 0.0))


def _number(value: float, lang: str) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang != "en" else text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def explain_parts(factors: Mapping[str, Any], lang: str = "da") -> list[str]:
    """The reasons for a site's rank in plain words, most important first."""
    en = lang == "en"
    parts: list[str] = []
    if not factors:
        return parts
    status = factors.get("status") or {}
    if status and not status.get("open", True):
        try:
            label = STATUS_LABELS[Status(status["value"])].get(lang)
        except (KeyError, ValueError):
            label = status.get("value", "")
        parts.append(f"closed ({_lower_first(label)})" if en else f"lukket ({_lower_first(label)})")
    severity = (factors.get("severity") or {}).get("value")
    if severity in {s.value for s in Severity}:
        label = _lower_first(SEVERITIES[Severity(severity)].label.get(lang))
        parts.append(f"{label} severity" if en else f"{label} alvor")
    evidence = factors.get("evidence") or {}
    reporters = int(evidence.get("independent_reporters", 0) or 0)
    if reporters > 1:
        parts.append(
            f"{reporters} independent reports" if en else f"{reporters} uafhængige rapporter"
        )
    else:
        parts.append("1 report" if en else "1 rapport")
    confirmations = int(evidence.get("confirmations", 0) or 0)
    if confirmations:
        parts.append(
            (f"{confirmations} confirmation" + ("s" if confirmations > 1 else "") + " on site")
            if en
            else (
                f"{confirmations} bekræftelse" + ("r" if confirmations > 1 else "") + " på stedet"
            )
        )
    if evidence.get("verified"):
        parts.append("verified by the Disability Council" if en else "verificeret af Handicaprådet")
    area_name = (factors.get("area") or {}).get("name")
    if area_name:
        parts.append(f"at {area_name}" if en else f"ved {area_name}")
    groups = (factors.get("groups") or {}).get("codes") or []
    if len(groups) == 1 and groups[0] in Group.__members__:
        parts.append(
            ("affects " if en else "rammer ")
            + _lower_first(GROUP_LABELS[Group(groups[0])].get(lang))
        )
    elif len(groups) > 1:
        parts.append(f"affects {len(groups)} groups" if en else f"rammer {len(groups)} målgrupper")
    measured = factors.get("measurement")
    if measured:
        parts.append(_measurement_text(factors, measured, lang))
    if (factors.get("no_alternative_route") or {}).get("applies"):
        parts.append("no alternative route" if en else "ingen anden vej")
    if network := factors.get("network"):
        parts.append(net.network_text(network, lang))
    if (factors.get("age") or {}).get("stale"):
        years = WEIGHTS.stale_after_days // 365
        parts.append(
            f"not confirmed for over {years} years" if en else f"ikke bekræftet i over {years} år"
        )
    return parts


def _measurement_text(factors: Mapping[str, Any], measured: Mapping[str, Any], lang: str) -> str:
    en = lang == "en"
    key = str(measured.get("key", ""))
    cat = category(str(factors.get("category", "")))
    definition = cat.measurement(key) if cat else None
    label = definition.label.get(lang) if definition else key
    unit = measured.get("unit", "")
    value = f"{_number(float(measured['value']), lang)} {unit}"
    limit = f"{_number(float(measured['limit']), lang)} {unit}"
    if measured.get("kind") == "min":
        rule = f"against at least {limit} required" if en else f"mod mindst {limit} krævet"
    else:
        rule = f"against {limit} allowed" if en else f"mod {limit} tilladt"
    return f"{_lower_first(label)} {value} {rule}"


def explain(factors: Mapping[str, Any], lang: str = "da") -> str:
    """The explanation of a site's rank as one line ("høj alvor, 4 uafhængige rapporter, ...")."""
    return ", ".join(explain_parts(factors, lang))


def _area_facts(session: Session, area_id: int | None) -> tuple[str, float] | None:
    """An area's name and importance, from the in-memory area index."""
    if area_id is None:
        return None
    area = area_index(session).by_id.get(area_id)
    return (area.name, area.importance) if area else None


def facts_for(
    session: Session, site: BarrierSite, reports: Sequence[Any], network=None
) -> SiteFacts:
    """Gather a site's facts from the site and its reports (ORM objects, or rows with the
    columns status, tags, measurements, reporter_id and device_token_hash) and its stored
    network impact (``network_facts``, read for this one site when not given)."""
    counting = [r for r in reports if r.status not in EXCLUDED_REPORT_STATUSES]
    keys = [reporter_key(r) for r in counting]
    known = {key for key in keys if key is not None}
    anonymous = keys.count(None)
    area = _area_facts(session, site.area_id)
    verified = site.status in (Status.VERIFIED.value, Status.PLANNED.value) or any(
        r.status == Status.VERIFIED.value for r in counting
    )
    impacts, on_network = net.site_network(session, site, network)
    return SiteFacts(
        category=site.category,
        severity=site.severity,
        status=site.status or Status.NEW.value,
        groups=list(site.groups or []),
        report_count=len(counting),
        independent_reporters=len(known) + anonymous,
        confirmations=site.confirmation_count or 0,
        anonymous_confirmations=site.anonymous_confirmation_count or 0,
        verified=verified,
        no_alternative_reports=sum(1 for r in counting if NO_ALTERNATIVE_ROUTE in (r.tags or [])),
        measurements=[r.measurements or {} for r in counting],
        last_seen=site.last_seen or datetime.now(UTC),
        area_id=site.area_id if area else None,
        area_name=area[0] if area else None,
        area_importance=area[1] if area else None,
        network=impacts,
        on_network=on_network,
    )


def score_site(
    session: Session,
    site: BarrierSite,
    reports: Sequence[Any] | None = None,
    now: datetime | None = None,
    network: net.StoredImpacts | None = None,
) -> float:
    """Compute and store a site's priority score and factors; return the score.

    Costs one query for the site's reports when ``reports`` is not given (the site refresh
    passes the ones it has loaded), plus the site's area when it is not loaded yet.
    """
    if reports is None:
        reports = session.scalars(
            select(BarrierReport).where(BarrierReport.site_id == site.id)
        ).all()
    score, factors = compute(facts_for(session, site, reports, network), now)
    site.priority_score = score
    site.priority_factors = factors
    return score


def rescore_all(
    session: Session,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 500,
) -> int:
    """Recompute every site's score (for new weights and the 4-year rule); return the count."""
    now = now or datetime.now(UTC)
    ids = session.scalars(select(BarrierSite.id).order_by(BarrierSite.id)).all()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        sites = session.scalars(select(BarrierSite).where(BarrierSite.id.in_(chunk))).all()
        by_site: dict[int, list[BarrierReport]] = {site_id: [] for site_id in chunk}
        for report in session.scalars(
            select(BarrierReport).where(BarrierReport.site_id.in_(chunk))
        ):
            by_site[report.site_id].append(report)  # type: ignore[index]
        network = net.network_facts(session, chunk)
        for site in sites:
            score_site(session, site, by_site[site.id], now, network)
        session.flush()
        if progress is not None:
            progress(min(start + batch, len(ids)), len(ids))
    return len(ids)


def published_weights() -> dict[str, Any]:
    """The whole configuration as published at /api/v1/priority/weights."""
    return {
        "version": FACTORS_VERSION,
        "formula": (
            "score = base × severity × groups × area × evidence × measurement × "
            "no_alternative_route × network × age × open"
        ),
        "weights": WEIGHTS.as_dict(),
        "default_preset": DEFAULT_PRESET,
        "presets": [
            {
                "code": p.code,
                "label": p.label.as_dict(),
                "description": p.description.as_dict(),
                "group_weights": dict(p.group_weights),
            }
            for p in PRESETS.values()
        ],
        "classes": [
            {
                "number": c.number,
                "minimum": c.minimum,
                "colour": c.colour,
                "label": c.label.as_dict(),
            }
            for c in PRIORITY_CLASSES
        ],
    }
