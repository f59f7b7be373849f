"""The priority's network factor (issue 16): what a site costs people on the walking network.

For each group the stored impact of a public open site (``site_network_impacts``, written by
``network/impact_store.py``) holds ``pairs_lost`` (origin-destination pairs with a route only
without the site), ``extra_m`` (the metres, penalties included, it adds over the pairs that
have a route either way) and ``pairs`` (all the group's pairs: 250 m grid cells x
destinations). The group's impact, 0-1, is

    impact = min(1, (pairs_lost + extra_m / 2000) / (0.02 × pairs))

a pair cut off counts as 2 km of detour, and a site that costs 2 % of the group's pairs (or
that many 2 km detours) gets the whole of it. With a population grid imported each pair weighs
as the people of its origin cell, and the stored ``people_lost``, ``people_extra_m`` (metres x
people) and ``people`` take the place of the three figures: the share of people's
connections. Under a preset the groups are weighed by the preset's group weights and the
largest weighted impact counts:

    network = 1 + 1.0 × max over groups (group weight × impact)          (1-2)

A site not on the network (none within 15 m), or on it but changing no route, gets 0 (× 1).
While no impact is stored at all (no network loaded, or never computed) the factor is left
out and the scores are those without it. The three figures are ``priority.Weights``
(``network_weight``, ``network_lost_pair_m``, ``network_full_share``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fieldaudit.models import SiteNetworkImpact
from fieldaudit.network.placement import BARRIER_STATUSES
from fieldaudit.taxonomy import Group, Label

GROUP_ORDER = [g.value for g in Group]
# The group as the people in the sentence ("fjernes den, får kørestolsbrugere ...").
PEOPLE: dict[str, Label] = {
    Group.WHEEL.value: Label("kørestolsbrugere", "wheelchair users"),
    Group.MOB.value: Label("gangbesværede", "people who walk with difficulty"),
    Group.VIS.value: Label("synshandicappede", "visually impaired people"),
    Group.HEAR.value: Label("hørehandicappede", "hearing impaired people"),
    Group.ALLERGY.value: Label("astma- og allergiramte", "people with asthma or allergies"),
    Group.COG.value: Label("udviklingshandicappede", "people with intellectual disabilities"),
    Group.READ.value: Label("folk med læsevanskeligheder", "people with reading difficulties"),
}


def network_value(figures: Mapping[str, Any], lost_pair_m: float, full_share: float) -> float:
    """A group's network impact of a site, 0-1 (the module's formula; of people when the
    figures are weighted by a population grid)."""
    prefix = "pairs" if figures.get("people") is None else "people"
    pairs = float(figures.get(prefix) or 0)
    if pairs <= 0:
        return 0.0
    lost = float(figures.get(f"{prefix}_lost") or 0)
    extra = figures.get("extra_m" if prefix == "pairs" else "people_extra_m")
    equivalent = lost + float(extra or 0.0) / lost_pair_m
    return min(1.0, equivalent / (full_share * pairs))


# Whether any impact is stored, and the stored figures per group of some sites.
StoredImpacts = tuple[bool, dict[int, dict[str, Any]]]


def network_factors(
    network: Mapping[str, Mapping[str, Any]] | None,
    on_network: bool,
    weights: Any,
    presets: Mapping[str, Any],
) -> tuple[dict[str, float], dict[str, Any] | None]:
    """The factor under each preset (``priority.PRESETS``, which weigh the groups) and what the
    explanation needs (``weights``: the priority's ``Weights``). With ``network`` None every
    factor is 1 and the detail None."""
    if network is None:
        return dict.fromkeys(presets, 1.0), None
    weight, lost_pair_m = weights.network_weight, weights.network_lost_pair_m
    full_share = weights.network_full_share
    values = {g: network_value(f, lost_pair_m, full_share) for g, f in network.items()}
    factors = {
        code: 1.0
        + weight * max((p.group_weights.get(g, 0.0) * v for g, v in values.items()), default=0.0)
        for code, p in presets.items()
    }
    detail: dict[str, Any] = {
        "on_network": on_network,
        "values": {g: round(v, 4) for g, v in sorted(values.items())},
        "group": None,
    }
    order = {g: GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER) for g in values}
    ranked = sorted((g for g in values if values[g] > 0), key=lambda g: (-values[g], order[g]))
    if ranked:
        top = network[ranked[0]]
        detail.update(
            group=ranked[0],
            pairs_lost=int(top.get("pairs_lost") or 0),
            extra_m=float(top.get("extra_m") or 0.0),
            **{key: top.get(key) for key in ("from", "to", "gain_m", "effect")},
        )
    return factors, detail


def _metres(value: float, en: bool) -> str:
    text = f"{value:,.0f}"
    return text if en else text.replace(",", ".")


def network_text(network: Mapping[str, Any], lang: str = "da") -> str:
    """The factor's sentence: the pair of destinations that gains most without the site
    ("fjernes den, får kørestolsbrugere en trinfri vej fra Herlev Station til Herlev
    Bibliotek, 420 m kortere"), else the connections over the origin grid, or why it is 0."""
    en = lang == "en"
    if not network.get("on_network"):
        return "not on the walking network (network 0)" if en else "ikke på gangnettet (net 0)"
    group = network.get("group")
    if group not in Group.__members__:
        return "changes no route on the walking network" if en else "ændrer ingen vej på gangnettet"
    who = PEOPLE[group].get(lang)
    if group == Group.WHEEL.value:
        way = "a step-free way" if en else "en trinfri vej"
    else:
        way = "an easier way" if en else "en lettere vej"
    start = f"removing it gives {who} " if en else f"fjernes den, får {who} "
    origin, destination = network.get("from"), network.get("to")
    if origin and destination:
        pair = (
            f"{way} from {origin} to {destination}"
            if en
            else f"{way} fra {origin} til {destination}"
        )
        gain = network.get("gain_m")
        if gain is None:
            return start + pair + (", which they lack today" if en else ", som de ikke har i dag")
        metres = _metres(float(gain), en)
        if network.get("effect") == "penalty":  # the profile's equivalent metres
            return (
                start
                + pair
                + (
                    f", the equivalent of {metres} m shorter"
                    if en
                    else f", svarende til {metres} m kortere"
                )
            )
        return start + pair + (f", {metres} m shorter" if en else f", {metres} m kortere")
    lost = int(network.get("pairs_lost") or 0)
    if lost:
        return start + (
            f"{lost} more connections between neighbourhoods and destinations"
            if en
            else f"{lost} forbindelser mere mellem kvarterer og vigtige steder"
        )
    metres = _metres(float(network.get("extra_m") or 0.0), en)
    return start + (
        f"ways between neighbourhoods and destinations, {metres} m shorter in all"
        if en
        else f"veje mellem kvarterer og vigtige steder, i alt {metres} m kortere"
    )


def network_facts(session: Session, site_ids: Sequence[int] | None) -> StoredImpacts:
    """Whether any network impact is stored, and the stored figures per group of these sites
    (all of them with None; a site not on the network: absent)."""
    query = select(SiteNetworkImpact.site_id, SiteNetworkImpact.groups)
    if site_ids is not None:
        query = query.where(SiteNetworkImpact.site_id.in_(list(site_ids)))
    rows = dict(session.execute(query).all())
    stored = bool(rows) or session.scalar(select(SiteNetworkImpact.site_id).limit(1)) is not None
    return stored, {site_id: dict(groups or {}) for site_id, groups in rows.items()}


_impacts = SiteNetworkImpact.__table__
_this_site = _impacts.c.site_id == bindparam("site_id")
# One site's facts in one statement (a join or a review decision scores one site): whether any
# impact is stored, whether this site has one, and its figures.
ONE_SITE_FACTS = select(
    select(_impacts.c.site_id).exists(),
    select(_impacts.c.site_id).where(_this_site).exists(),
    select(_impacts.c.groups).where(_this_site).scalar_subquery(),
)


def one_site_facts(session: Session, site_id: int) -> StoredImpacts:
    """``network_facts`` of one site, in one statement."""
    any_stored, present, groups = session.execute(ONE_SITE_FACTS, {"site_id": site_id}).one()
    return bool(any_stored), ({site_id: dict(groups or {})} if present else {})


def impact_flags(site_id: Any) -> tuple[Any, Any]:
    """Two columns for a query of sites (``site_id`` its id column): whether any network impact
    is stored, and whether this site has one. Read with the sites, a site's score needs no
    query of its own unless it is on the network (``facts_from_flags``)."""
    return (
        select(_impacts.c.site_id).exists().label("impact_stored"),
        select(_impacts.c.site_id)
        .where(_impacts.c.site_id == site_id)
        .exists()
        .label("on_network"),
    )


def facts_from_flags(
    session: Session, site_id: int, impact_stored: bool, on_network: bool
) -> StoredImpacts:
    """``network_facts`` of one site from its ``impact_flags``: its figures are read only when
    it is on the network."""
    if on_network:
        return one_site_facts(session, site_id)
    return bool(impact_stored), {}


def site_network(
    session: Session, site: Any, stored: StoredImpacts | None = None
) -> tuple[Mapping[str, Mapping[str, Any]] | None, bool]:
    """A site's network facts for the formula (``stored``: ``network_facts`` of a batch of
    sites, read for this one when not given): its figures per group ({} when not on the
    network) or None (no impact stored, or not a public open barrier), and whether it is on."""
    if site.status not in BARRIER_STATUSES:  # no query for a new or closed site
        return None, False
    any_stored, impacts = stored if stored is not None else one_site_facts(session, site.id)
    if not any_stored:
        return None, False
    return impacts.get(site.id, {}), site.id in impacts
