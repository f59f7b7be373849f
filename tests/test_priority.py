"""Priority scores: the formula, its explanation, presets and the hook in the site refresh."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldaudit.models import BarrierSite
from fieldaudit.priority import (
    PRESETS,
    PRIORITY_CLASSES,
    WEIGHTS,
    SiteFacts,
    compute,
    explain,
    group_factor,
    priority_class,
    published_weights,
    rescore_all,
    score_for,
    score_site,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def facts(**overrides):
    values = {
        "category": "step",
        "severity": "high",
        "status": "new",
        "groups": ["WHEEL", "MOB"],
        "report_count": 1,
        "independent_reporters": 1,
        "confirmations": 0,
        "verified": False,
        "no_alternative_reports": 0,
        "measurements": [],
        "last_seen": NOW - timedelta(days=10),
        "area_id": None,
        "area_name": None,
        "area_importance": None,
    }
    values.update(overrides)
    return SiteFacts(**values)


def test_the_example_from_the_issue():
    site = facts(
        report_count=4,
        independent_reporters=4,
        area_id=1,
        area_name="Herlev Station",
        area_importance=2.0,
        measurements=[{"threshold_height": {"value": 12, "unit": "cm"}}],
    )
    score, factors = compute(site, NOW)
    # 100 × high 1.0 × two groups 1.15 × station 2.0 × 3 more reporters 1.6 × excess capped 2.0
    assert score == pytest.approx(100 * 1.0 * 1.15 * 2.0 * 1.6 * 2.0, abs=0.01)
    assert explain(factors) == (
        "høj alvor, 4 uafhængige rapporter, ved Herlev Station, rammer 2 målgrupper, "
        "højde på trin 12 cm mod 2,5 cm tilladt"
    )
    assert explain(factors, "en") == (
        "high severity, 4 independent reports, at Herlev Station, affects 2 groups, "
        "step height 12 cm against 2.5 cm allowed"
    )


def test_a_plain_low_report_scores_its_severity():
    score, factors = compute(facts(severity="low", groups=["MOB"]), NOW)
    assert score == pytest.approx(33.0)
    assert explain(factors) == "lav alvor, 1 rapport, rammer gangbesværede, arm- og håndhandicap"


def test_severity_weights_are_project_sidewalks():
    scores = [compute(facts(severity=s), NOW)[0] for s in ("low", "medium", "high")]
    assert [round(s / scores[2], 2) for s in scores] == [0.33, 0.67, 1.0]


def test_measurement_excess_is_median_of_reports_and_capped():
    _, small = compute(
        facts(
            measurements=[
                {"threshold_height": {"value": 3.5, "unit": "cm"}},
                {"threshold_height": {"value": 4.0, "unit": "cm"}},
                {"threshold_height": {"value": 80, "unit": "cm"}},  # an outlier
            ]
        ),
        NOW,
    )
    assert small["measurement"]["value"] == 4.0
    assert small["measurement"]["factor"] == pytest.approx(1 + 0.5 * 0.6)
    _, huge = compute(facts(measurements=[{"threshold_height": {"value": 100}}]), NOW)
    assert huge["measurement"]["factor"] == pytest.approx(2.0)
    _, within = compute(facts(measurements=[{"threshold_height": {"value": 2.0}}]), NOW)
    assert within["measurement"] is None


def test_minimum_rules_are_explained_as_required():
    _, factors = compute(
        facts(category="narrow_passage", measurements=[{"clear_width": {"value": 90}}]), NOW
    )
    assert "fri bredde 90 cm mod mindst 130 cm krævet" in explain(factors)
    assert "clear width 90 cm against at least 130 cm required" in explain(factors, "en")


def test_evidence_confirmations_verification_and_cap():
    base, _ = compute(facts(), NOW)
    confirmed, factors = compute(facts(confirmations=2, verified=True), NOW)
    assert confirmed == pytest.approx(base * 1.2 * 1.25)
    assert "2 bekræftelser på stedet, verificeret af Handicaprådet" in explain(factors)
    many, _ = compute(facts(report_count=30, independent_reporters=30), NOW)
    assert many == pytest.approx(base * WEIGHTS.evidence_max)


def test_no_alternative_route_counts_from_half_of_the_reports():
    base, _ = compute(facts(report_count=4, independent_reporters=1), NOW)
    half, factors = compute(
        facts(report_count=4, independent_reporters=1, no_alternative_reports=2), NOW
    )
    less, _ = compute(facts(report_count=4, independent_reporters=1, no_alternative_reports=1), NOW)
    assert half == pytest.approx(base * 1.5)
    assert less == pytest.approx(base)
    assert "ingen anden vej" in explain(factors)


def test_sites_not_seen_for_four_years_are_lowered():
    fresh, _ = compute(facts(last_seen=NOW - timedelta(days=4 * 365 - 1)), NOW)
    stale, factors = compute(facts(last_seen=NOW - timedelta(days=4 * 365 + 1)), NOW)
    assert stale == pytest.approx(fresh * 0.5)
    assert "ikke bekræftet i over 4 år" in explain(factors)


def test_closed_sites_score_zero():
    score, factors = compute(facts(status="fixed"), NOW)
    assert score == 0
    assert explain(factors).startswith("lukket (udbedret)")


def test_area_importance_multiplies():
    base, _ = compute(facts(), NOW)
    park, _ = compute(facts(area_id=3, area_name="Byparken", area_importance=1.2), NOW)
    assert park == pytest.approx(base * 1.2)


def test_group_breadth_and_presets():
    balanced = PRESETS["balanced"]
    assert group_factor(["WHEEL"], balanced) == 1.0
    assert group_factor(["WHEEL", "MOB"], balanced) == pytest.approx(1.15)
    assert group_factor([g for g in balanced.group_weights], balanced) == pytest.approx(1.9)
    assert group_factor([], balanced) == WEIGHTS.unknown_group_weight
    _, step = compute(facts(groups=["WHEEL", "MOB"]), NOW)
    _, tactile = compute(facts(category="tactile", groups=["VIS"]), NOW)
    assert score_for(step, "wheelchair") > score_for(tactile, "wheelchair")
    assert score_for(step, "sight") < score_for(tactile, "sight")
    _, signage = compute(facts(category="signage", groups=["COG", "READ", "VIS"]), NOW)
    assert score_for(signage, "cognition") > score_for(step, "cognition")
    assert set(step["scores"]) == {"balanced", "wheelchair", "sight", "cognition"}


def test_priority_classes_cover_every_score():
    assert priority_class(0).number == 1
    assert priority_class(99.9).number == 2
    assert priority_class(10_000).number == len(PRIORITY_CLASSES)


def test_published_weights_are_complete():
    published = published_weights()
    assert published["weights"]["severity"] == {"low": 0.33, "medium": 0.67, "high": 1.0}
    assert [p["code"] for p in published["presets"]] == [
        "balanced",
        "wheelchair",
        "sight",
        "cognition",
    ]
    assert all(len(p["group_weights"]) == 7 for p in published["presets"])


def test_weights_endpoint(client):
    response = client.get("/api/v1/priority/weights")
    assert response.status_code == 200
    assert response.json == published_weights()


def _store(db, make_report_payload, **overrides):
    from fieldaudit.areas import load_service_area
    from fieldaudit.reports import check_report, store_report

    area = load_service_area(db.session, (0, 0, 1, 1), 150)
    report, _ = store_report(
        db.session,
        check_report(make_report_payload(**overrides), area),
        device_token_hash=uuid.uuid4().hex,
    )
    db.session.commit()
    return report


def test_every_new_report_rescores_its_site(herlev, make_report_payload):
    db = herlev
    first = _store(db, make_report_payload)
    site = db.session.get(BarrierSite, first.site_id)
    one = site.priority_score
    assert one > 0
    assert site.priority_factors["area"]["name"] == "Herlev Station"
    second = _store(
        db,
        make_report_payload,
        created_at="2026-11-21T10:00:00+01:00",
        tags=["no_alternative_route"],
    )
    assert second.site_id == site.id
    db.session.refresh(site)
    assert site.priority_score == pytest.approx(one * 1.2 * 1.5)
    explanation = explain(site.priority_factors)
    assert explanation.startswith("høj alvor, 2 uafhængige rapporter, ved Herlev Station")
    assert "højde på trin 12 cm mod 2,5 cm tilladt" in explanation


def test_rescore_command(herlev, make_report_payload, runner):
    db = herlev
    report = _store(db, make_report_payload)
    db.session.execute(BarrierSite.__table__.update().values(priority_score=0, priority_factors={}))
    db.session.commit()
    result = runner.invoke(args=["sites", "rescore"])
    assert result.exit_code == 0, result.output
    assert "1 sites rescored" in result.output
    db.session.expire_all()
    assert db.session.get(BarrierSite, report.site_id).priority_score > 0


def test_rescore_all_lowers_old_sites(herlev, make_report_payload):
    db = herlev
    _store(db, make_report_payload)
    before = db.session.scalar(select(BarrierSite.priority_score))
    assert rescore_all(db.session, now=datetime(2031, 1, 1, tzinfo=UTC)) == 1
    db.session.commit()
    assert db.session.scalar(select(BarrierSite.priority_score)) == pytest.approx(before * 0.5)


def test_scoring_reads_the_area_when_it_is_not_loaded(herlev, make_report_payload):
    db = herlev
    site_id = _store(db, make_report_payload).site_id
    db.session.expunge_all()
    site = db.session.get(BarrierSite, site_id)
    score_site(db.session, site)
    assert site.priority_factors["area"]["name"] == "Herlev Station"
    assert site.priority_factors["area"]["factor"] == 2.0
