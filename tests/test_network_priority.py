"""The network factor in the priority (issue 16): the stored impact per site, its sentence, the
job that keeps it up to date and the full recompute of ``fieldaudit sites rescore``.

The grid of ``test_network_impact.py`` (two halves joined by one bridge), with three named
destinations and the municipality drawn around it (origins: the cells of a 100 m grid):

      (0,100) ---------------- (100,100)                 (200,100) Herlev Rådhus
          |                        |                         |
    Herlev Station (0,0) ----- (100,0) ==== bridge ==== (200,0) ---- (300,0) Herlev Bibliotek

(Equal pairs are named in the destinations' order by name: Bibliotek, Rådhus, Station.)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box
from sqlalchemy import select

from fieldaudit import jobs, priority
from fieldaudit.areas import AreaFeature, upsert_area
from fieldaudit.config import network_state_dir
from fieldaudit.models import SiteNetworkImpact
from fieldaudit.network import kept_state
from fieldaudit.network.lines import EdgeFacts, NetworkLine
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import load_router
from fieldaudit.network.store import DestinationFeature, replace_network, upsert_destinations
from fieldaudit.network_scores import refresh_network_scores
from fieldaudit.taxonomy import MUNICIPALITY
from tests.test_network_impact import LINES, X0, Y0, _at

SPACING = 100.0
BRIDGE_SENTENCE_DA = (
    "fjernes den, får kørestolsbrugere en trinfri vej fra Herlev Bibliotek til Herlev Station, "
    "som de ikke har i dag"
)
BRIDGE_SENTENCE_EN = (
    "removing it gives wheelchair users a step-free way from Herlev Bibliotek to Herlev "
    "Station, which they lack today"
)


@pytest.fixture
def halves(app, db):
    app.config["NETWORK_SPACING_M"] = SPACING
    lines = [NetworkLine(LineString(_at(c)), EdgeFacts(highway="footway")) for c in LINES]
    replace_network(db.session, lines)
    outline = box(X0 - 20, Y0 - 20, X0 + 320, Y0 + 120)
    upsert_area(db.session, AreaFeature("Prøvekommune", MUNICIPALITY, MultiPolygon([outline])))
    places = [("Herlev Station", "station", 0, 0), ("Herlev Rådhus", "town_hall", 200, 100)]
    places.append(("Herlev Bibliotek", "library", 300, 0))
    upsert_destinations(
        db.session,
        [DestinationFeature(n, k, Point(X0 + x, Y0 + y)) for n, k, x, y in places],
    )
    db.session.commit()


def refresh(app, db, **options):
    result = refresh_network_scores(
        db.session, network_state_dir(app.config), spacing=SPACING, **options
    )
    db.session.commit()
    return result


def searches_run(summary: str) -> int:
    return int(re.search(r"(\d+) searches run", summary).group(1))


def scores_without_network(db, site) -> dict[str, float]:
    """The site's score under each preset by the formula with the network factor left out."""
    from fieldaudit.models import BarrierReport

    reports = db.session.scalars(select(BarrierReport).where(BarrierReport.site_id == site.id))
    facts = priority.facts_for(db.session, site, list(reports), (False, {}))
    assert facts.network is None
    return priority.compute(facts)[1]["scores"]


def test_a_site_on_the_only_bridge_gets_the_factor_and_names_the_pair(
    app, db, halves, make_public_report
):
    bridge = make_public_report(dx=150).site  # a 12 cm step: blocks wheelchairs
    before = bridge.priority_score
    assert "network" not in bridge.priority_factors  # nothing stored yet: left out
    result = refresh(app, db)
    assert result.placed == 1 and result.changed == [bridge.id]
    db.session.refresh(bridge)
    network = bridge.priority_factors["network"]
    assert network["on_network"] and network["group"] == "WHEEL"
    assert network["pairs_lost"] > 0 and network["gain_m"] is None
    assert (network["from"], network["to"]) == ("Herlev Bibliotek", "Herlev Station")
    values = network["values"]
    assert values["WHEEL"] == 1.0  # it cuts off far more than 2 % of the pairs
    assert "VIS" not in values  # a step does not matter to a blind person here
    assert 0.0 < values["MOB"] < 1.0  # 60 m penalty on the pairs across
    assert network["factor"] == 2.0 and bridge.priority_score == pytest.approx(2 * before, 0.001)
    plain = scores_without_network(db, bridge)
    for code, preset in priority.PRESETS.items():
        factor = 1 + max(preset.group_weights[g] * v for g, v in values.items())
        assert bridge.priority_factors["scores"][code] == pytest.approx(plain[code] * factor, 0.001)
    assert BRIDGE_SENTENCE_DA in priority.explain(bridge.priority_factors, "da")
    assert BRIDGE_SENTENCE_EN in priority.explain(bridge.priority_factors, "en")
    stored = db.session.get(SiteNetworkImpact, bridge.id).groups
    assert stored["WHEEL"]["pairs_lost"] == network["pairs_lost"] and stored["WHEEL"]["pairs"] > 0


def test_a_detour_names_the_metres_and_a_site_off_the_network_gets_0(
    app, db, halves, make_public_report
):
    side = make_public_report(dx=50, dy=-1).site  # Station-(100,0): the detour is 200 m longer
    off = make_public_report(dx=150, dy=-60).site  # 60 m from every edge
    refresh(app, db)
    db.session.refresh(side)
    db.session.refresh(off)
    network = side.priority_factors["network"]
    assert network["group"] == "WHEEL" and network["pairs_lost"] == 0
    assert network["gain_m"] == pytest.approx(200.0)
    assert (network["from"], network["to"]) == ("Herlev Bibliotek", "Herlev Station")
    assert (
        "fjernes den, får kørestolsbrugere en trinfri vej fra Herlev Bibliotek til Herlev "
        "Station, 200 m kortere" in priority.explain(side.priority_factors, "da")
    )
    assert "200 m shorter" in priority.explain(side.priority_factors, "en")
    assert side.priority_factors["network"]["factor"] > 1.0
    # Off the network: 0, the score is the one without the factor, and the explanation says so.
    assert off.priority_factors["network"] == {
        "on_network": False,
        "values": {},
        "factor": 1.0,
        "group": None,
    }
    assert off.priority_score == scores_without_network(db, off)["balanced"]
    assert "ikke på gangnettet (net 0)" in priority.explain(off.priority_factors, "da")
    assert "not on the walking network" in priority.explain(off.priority_factors, "en")
    assert db.session.get(SiteNetworkImpact, off.id) is None


def test_a_new_report_joining_a_site_keeps_its_network_factor(
    app, db, halves, make_report, make_public_report
):
    """The join reads whether an impact is stored, and the site's own, with the candidates:
    the score written at once keeps the factor (on and off the network)."""
    bridge = make_public_report(dx=150).site
    off = make_public_report(dx=150, dy=-60).site
    refresh(app, db)
    db.session.refresh(bridge)
    db.session.refresh(off)
    bridge_network = bridge.priority_factors["network"]
    assert bridge_network["factor"] == 2.0
    bridge_score, off_score = bridge.priority_score, off.priority_score
    assert make_report(dx=150.5).site_id == bridge.id  # the same step, another phone
    assert make_report(dx=150.5, dy=-60).site_id == off.id
    db.session.refresh(bridge)
    db.session.refresh(off)
    # (a verified site counts only accepted reports; the join scores it again all the same)
    assert bridge.priority_factors["network"] == bridge_network
    assert bridge.priority_score == pytest.approx(bridge_score)
    assert off.priority_factors["network"]["on_network"] is False
    assert off.priority_score == pytest.approx(off_score)


def test_after_a_review_decision_closes_a_site_the_job_updates_the_others(
    app, db, halves, make_public_report, make_user
):
    from fieldaudit import report_review

    first = make_public_report(dx=130)
    second = make_public_report(dx=170).site  # two steps on the bridge: each alone changes nothing
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    [outcome] = jobs.run_due(db.session, app.config, now=now, only="network-impact")
    assert outcome.status == "ok" and "2 sites on the network" in outcome.summary
    built = searches_run(outcome.summary)  # every group's searches, built afresh
    db.session.refresh(second)
    network = second.priority_factors["network"]
    assert "WHEEL" not in network["values"]  # wheelchairs are still blocked by the other step
    assert network["group"] == "MOB"  # each step costs those who walk with difficulty 60 m
    assert (
        "fjernes den, får gangbesværede en lettere vej fra Herlev Bibliotek til Herlev Station, "
        "svarende til 60 m kortere" in priority.explain(second.priority_factors)
    )
    assert (
        "removing it gives people who walk with difficulty an easier way from Herlev Bibliotek "
        "to Herlev Station, the equivalent of 60 m shorter"
    ) in priority.explain(second.priority_factors, "en")
    # Nothing changed: the next run runs no search and rescores nothing.
    [again] = jobs.run_due(
        db.session, app.config, now=now + timedelta(minutes=10), only="network-impact"
    )
    assert "0 searches run, 0 sites changed" in again.summary
    report_review.reject_report(db.session, first, make_user("reviewer"), "Findes ikke.")
    db.session.commit()
    db.session.refresh(second)
    assert second.priority_factors["network"]["group"] == "MOB"  # no graph work in the request
    later = now + timedelta(minutes=20)
    [outcome] = jobs.run_due(db.session, app.config, now=later, only="network-impact")
    assert outcome.status == "ok", outcome.summary
    assert "1 sites on the network" in outcome.summary
    # The kept searches were read back and updated: some run again, far from all.
    assert 0 < searches_run(outcome.summary) < built / 2
    db.session.refresh(second)
    network = second.priority_factors["network"]
    assert network["group"] == "WHEEL" and network["pairs_lost"] > 0
    assert db.session.scalars(select(SiteNetworkImpact.site_id)).all() == [second.id]
    assert BRIDGE_SENTENCE_DA in priority.explain(second.priority_factors)


def test_sites_rescore_recomputes_the_impact_in_full(app, db, halves, make_public_report, runner):
    bridge = make_public_report(dx=150).site
    refresh(app, db)
    # Spoil the kept searches: an update from them would find that nothing matters.
    path = Path(network_state_dir(app.config)) / "impact-WHEEL.npz"
    saved = dict(np.load(path))
    saved["target_dist"] = np.zeros_like(saved["target_dist"])
    np.savez(path, **saved)
    router = load_router(db.session)
    assert kept_state.load(path.parent, PROFILES["WHEEL"], "another network", router) is None
    db.session.execute(SiteNetworkImpact.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["sites", "rescore"])
    assert result.exit_code == 0, result.output
    assert "network impact for WHEEL" in result.output
    db.session.refresh(bridge)
    assert bridge.priority_factors["network"]["group"] == "WHEEL"
    assert bridge.priority_factors["network"]["pairs_lost"] > 0
    assert BRIDGE_SENTENCE_DA in priority.explain(bridge.priority_factors)


def test_network_impact_command_writes_the_stored_impact(db, halves, make_public_report, runner):
    bridge = make_public_report(dx=150).site
    result = runner.invoke(args=["network", "impact", "--group", "WHEEL", "--spacing", "100"])
    assert result.exit_code == 0, result.output
    assert f"site {bridge.id:6d}:" in result.output and "1 sites changed" in result.output
    db.session.refresh(bridge)
    assert bridge.priority_factors["network"]["group"] == "WHEEL"


def test_no_network_leaves_the_scores_as_they_were(app, db, make_public_report):
    site = make_public_report().site
    before = dict(site.priority_factors)
    result = refresh_network_scores(db.session, network_state_dir(app.config))
    assert result.skipped and result.changed == []
    db.session.refresh(site)
    assert "network" not in site.priority_factors and site.priority_factors == before


def test_the_published_formula_explains_the_network_factor(client):
    import html

    page = html.unescape(client.get("/planlaegning/saadan-prioriterer-vi").get_data(as_text=True))
    assert "Hvad barrieren betyder på gangnettet." in page
    assert "punkter hver 250 m over hele kommunen" in page
    assert "tæller som 2 km omvej. Koster barrieren 2 % af målgruppens forbindelser" in page
    assert "ganges med 2; mindre giver et tal mellem 1 og 2" in page
    assert "vejer hvert punkt med antallet af beboere omkring det" in page
    english = client.get("/planlaegning/saadan-prioriterer-vi?lang=en").get_data(as_text=True)
    english = html.unescape(english)
    assert "What the barrier means on the walking network." in english
    assert "counts as a 2 km detour. If the barrier costs 2 % of the group's" in english
    assert "each point weighs as the number of residents around it" in english
    weights = client.get("/api/v1/priority/weights").get_json()
    assert "× network ×" in weights["formula"]
    assert weights["weights"]["network_lost_pair_m"] == 2000.0


def test_the_planners_site_page_shows_the_factor_and_its_sentence(
    app, db, halves, make_public_report, client, login
):
    import html

    from flask_babel import refresh as refresh_babel

    bridge = make_public_report(dx=150).site
    refresh(app, db)
    login("planner")
    page = html.unescape(client.get(f"/planlaegning/steder/{bridge.id}").get_data(as_text=True))
    assert f"<li>{BRIDGE_SENTENCE_DA}</li>" in page
    assert '<th scope="row">Betydning på gangnettet</th><td>× 2</td>' in page
    refresh_babel()  # the requests share the test's app context, where the locale is kept
    english = client.get(f"/planlaegning/steder/{bridge.id}?lang=en").get_data(as_text=True)
    english = html.unescape(english)
    assert f"<li>{BRIDGE_SENTENCE_EN}</li>" in english
    assert '<th scope="row">Impact on the walking network</th><td>× 2</td>' in english


def test_the_full_rebuild_keeps_the_stored_network_factor(app, db, halves, make_public_report):
    from fieldaudit import site_rebuild

    bridge = make_public_report(dx=150).site
    refresh(app, db)
    db.session.refresh(bridge)
    factors = dict(bridge.priority_factors)
    site_rebuild.rebuild(db.session)
    db.session.commit()
    db.session.refresh(bridge)  # the rebuild keeps the site's id
    assert bridge.priority_factors["network"] == factors["network"]
    assert bridge.priority_factors["scores"] == factors["scores"]


def test_importing_a_population_grid_changes_the_stored_factor_on_the_next_run(
    app, db, halves, make_public_report
):
    from fieldaudit.network.impact import network_impact
    from fieldaudit.network.population import PopulationPoint, replace_population
    from fieldaudit.network.whatif_inputs import load_inputs
    from fieldaudit.network_factor import network_value

    bridge = make_public_report(dx=150).site  # 12 cm: blocks WHEEL, 60 m for MOB
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    [first] = jobs.run_due(db.session, app.config, now=now, only="network-impact")
    built = searches_run(first.summary)
    db.session.refresh(bridge)
    unweighted = bridge.priority_factors["network"]["values"]["MOB"]
    assert "people" not in db.session.get(SiteNetworkImpact, bridge.id).groups["MOB"]
    # Everybody lives in the east cell: only its pairs to the station cross the bridge.
    inputs = load_inputs(db.session, SPACING)
    east = max(inputs.origins)
    replace_population(db.session, [PopulationPoint(*east, 100.0)], "test")
    db.session.commit()
    [after] = jobs.run_due(
        db.session, app.config, now=now + timedelta(minutes=10), only="network-impact"
    )
    assert searches_run(after.summary) == built  # the kept searches were built afresh
    db.session.refresh(bridge)
    values = bridge.priority_factors["network"]["values"]
    stored = db.session.get(SiteNetworkImpact, bridge.id).groups
    weights = load_inputs(db.session, SPACING).weights
    assert weights == [100.0 if o == east else 0.0 for o in inputs.origins]
    w = priority.WEIGHTS
    for group in ("WHEEL", "MOB"):
        full = network_impact(
            inputs.router, PROFILES[group], inputs.origins, inputs.targets, weights=weights
        )
        [site] = [s for s in full.sites if s.site_id == bridge.id]
        figures = stored[group]
        assert figures["people"] == pytest.approx(full.people) == 100.0 * 3
        assert figures["people_lost"] == pytest.approx(site.people_lost)
        assert figures["people_extra_m"] == pytest.approx(site.people_extra_m, abs=0.1)
        assert values[group] == pytest.approx(
            network_value(figures, w.network_lost_pair_m, w.network_full_share), abs=1e-4
        )
    # MOB: the east cell's 100 people pay 60 m to the station, 1 of their 3 pairs: the share
    # of people's connections is (100 x 60 / 2000) / (0.02 x 300) = 0.5.
    assert stored["MOB"]["people_extra_m"] == pytest.approx(100 * 60.0)
    assert values["MOB"] == pytest.approx(0.5) and values["MOB"] != pytest.approx(unweighted)
    assert values["WHEEL"] == 1.0  # 100 people cut off from the station: far more than 2 %
