"""Overpass answers from a file or the network: hostile JSON gives a clear AreaFileError, and
every polygon passes the same checks as the file importer (issue 12, hole 11)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldaudit.area_import import AreaFileError, herlev_window
from fieldaudit.models import Area
from fieldaudit.osm import load_answer, parse_overpass

SAMPLE = Path(__file__).resolve().parent / "data" / "overpass_herlev_sample.json"


def area_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Area))


def ring(*points: tuple[float, float]) -> list[dict]:
    return [{"lat": lat, "lon": lon} for lon, lat in points]


def park_way(way_id: int, points: list[dict], name: str = "Parken") -> dict:
    return {
        "type": "way",
        "id": way_id,
        "geometry": points,
        "tags": {"leisure": "park", "name": name},
    }


def square_around(lon: float, lat: float, half: float) -> list[dict]:
    return ring(
        (lon - half, lat - half),
        (lon + half, lat - half),
        (lon + half, lat + half),
        (lon - half, lat + half),
        (lon - half, lat - half),
    )


def assert_checked(features) -> None:
    window = herlev_window()
    for feature in features:
        assert feature.geometry.is_valid and not feature.geometry.is_empty
        assert window.contains(feature.geometry), feature.name
        assert all(math.isfinite(v) for v in feature.geometry.bounds)


# Arbitrary JSON, nested deeply, and JSON shaped like Overpass with wrong types anywhere.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)
coordinate = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([12.43, 55.73, 12.431, 55.731, -180.0, 180.0, 90.0])
    | scalars
)
point = st.fixed_dictionaries({"lat": coordinate, "lon": coordinate}) | any_json
points = st.lists(point, max_size=6) | any_json
tags = (
    st.dictionaries(
        st.sampled_from(["leisure", "highway", "place", "name", "area", "description", "landuse"]),
        st.sampled_from(["park", "playground", "footway", "square", "yes", "Navn"]) | any_json,
        max_size=4,
    )
    | any_json
)
member = (
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["way", "node"]) | any_json,
            "role": st.sampled_from(["outer", "inner", ""]) | any_json,
            "geometry": points,
        }
    )
    | any_json
)
element = (
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["way", "relation", "node"]) | any_json,
            "id": st.integers() | any_json,
            "tags": tags,
            "geometry": points,
            "members": st.lists(member, max_size=3) | any_json,
        }
    )
    | any_json
)
answers = st.fixed_dictionaries({"elements": st.lists(element, max_size=4) | any_json}) | any_json


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers)
def test_any_json_gives_areas_that_pass_the_checks_or_an_area_file_error(answer):
    try:
        features, skipped = parse_overpass(answer)
    except AreaFileError as error:
        assert str(error)
        return
    assert_checked(features)
    assert all(isinstance(reason, str) for reason in skipped)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json.loads
        '{"elements": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "{ not json",
        "\udcff",
        '{"elements": {"a": 1}}',  # AttributeError
        '{"elements": [{"type": "way", "tags": {"leisure": "park"}}]}',  # KeyError before
        "[]",
        "null",
    ],
    ids=[
        "deep",
        "deep-elements",
        "broken",
        "bad-utf8",
        "dict-elements",
        "way-no-id",
        "list",
        "null",
    ],
)
def test_hostile_files_give_a_clear_error_and_change_nothing(runner, herlev, tmp_path, text):
    path = tmp_path / "answer.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    before = area_count(herlev)
    result = runner.invoke(args=["areas", "fetch-osm", "--from-file", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 0 or "0 created, 0 updated" in result.output, result.output
    assert "Traceback" not in result.output
    assert area_count(herlev) == before


def test_polygons_far_from_herlev_or_around_the_globe_are_skipped_like_the_file_importer():
    near = park_way(1, square_around(12.43, 55.73, 0.001), "Nærparken")
    copenhagen = park_way(2, square_around(12.57, 55.68, 0.001), "Kongens Have")
    globe = park_way(3, ring((-179, -80), (179, -80), (179, 80), (-179, 80), (-179, -80)), "Jorden")
    huge = park_way(4, square_around(12.43, 55.73, 0.3), "Sjælland")
    nan = park_way(5, ring((12.43, 55.73), (math.nan, 55.73), (12.431, 55.731), (12.43, 55.73)))
    features, skipped = parse_overpass({"elements": [near, copenhagen, globe, huge, nan]})
    assert [f.name for f in features] == ["Nærparken"]
    reasons = " | ".join(skipped)
    for label in ("way/2", "way/3", "way/4", "way/5"):
        assert label in reasons
    assert "outside Herlev" in reasons


def test_load_answer_refuses_what_is_not_an_overpass_answer(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(AreaFileError, match="not a readable Overpass answer"):
        load_answer(path)
    assert load_answer(SAMPLE)["elements"]


def test_the_sample_still_imports(runner, db):
    result = runner.invoke(args=["areas", "fetch-osm", "--from-file", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output and area_count(db) == 4
    assert json.loads(SAMPLE.read_text(encoding="utf-8"))["elements"]
