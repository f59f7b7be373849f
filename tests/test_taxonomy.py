import pytest

from fieldaudit.taxonomy import (
    CATEGORIES,
    GROUP_LABELS,
    SEVERITIES,
    Group,
    Threshold,
    category,
    judge,
    tags_for,
)


def test_twenty_categories_numbered_like_the_domain_table():
    assert [c.number for c in CATEGORIES] == list(range(1, 21))
    assert len({c.code for c in CATEGORIES}) == 20


@pytest.mark.parametrize("cat", CATEGORIES, ids=lambda c: c.code)
def test_every_label_exists_in_danish_and_english(cat):
    assert cat.label.da and cat.label.en and cat.hint.da and cat.hint.en
    assert cat.label.da != cat.label.en or cat.code == "other"
    for measurement in cat.measurements:
        assert measurement.label.da and measurement.label.en and measurement.unit
    for tag in tags_for(cat):
        assert tag.label.da and tag.label.en


def test_groups_and_severities_are_complete():
    assert set(GROUP_LABELS) == set(Group)
    assert [SEVERITIES[s].weight for s in SEVERITIES] == [0.33, 0.67, 1.0]


def test_kerb_and_ramp_categories_cluster_at_7_5_metres():
    assert {c.code for c in CATEGORIES if c.cluster_radius_m == 7.5} == {
        "kerb",
        "missing_ramp",
        "steep_ramp",
    }


@pytest.mark.parametrize(
    ("code", "key", "value", "broken"),
    [
        ("step", "threshold_height", 2.5, False),
        ("step", "threshold_height", 2.6, True),
        ("steep_ramp", "gradient", 5.0, False),
        ("steep_ramp", "gradient", 8.0, True),
        ("narrow_passage", "clear_width", 130, False),
        ("narrow_passage", "clear_width", 110, True),
        ("narrow_passage", "door_width", 76, True),
        ("surface", "grate_gap", 20, True),
        ("surface", "grate_gap", 19, False),
        ("obstacle", "free_height", 200, True),
        ("benches", "bench_spacing", 150, True),
    ],
)
def test_danish_thresholds(code, key, value, broken):
    assert judge(category(code), key, value).broken is broken


def test_excess_ratio_and_unknown_rule():
    verdict = judge(category("step"), "threshold_height", 12)
    assert verdict.limit == 2.5 and verdict.unit == "cm"
    assert verdict.excess == pytest.approx((12 - 2.5) / 2.5)
    assert judge(category("heavy_door"), "opening_force", 9).broken is None
    assert Threshold("min", 77, "x").excess(77) == 0.0
