"""Directions that read well (issue 16): stretches of one street or path merged, unnamed ways
named by their kind, turns from the headings, Danish and English with the plural forms."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString

from fieldaudit.network.directions import (
    CROSSING,
    LEFT,
    PATH,
    RIGHT,
    ROAD,
    START,
    STRAIGHT,
    Direction,
    route_directions,
    turn_between,
    way_kind,
)
from fieldaudit.network.graph import Step
from fieldaudit.network.lines import EdgeFacts
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import load_router, route_on
from fieldaudit.public.route_page import direction_text

from .test_network_routes import X0, Y0, grid  # noqa: F401  (the grid fixture)

# An L-shaped walk: east along a street (two edges), north along another, east on a path,
# then a crossing and back west: every turn and merge rule once.
GEOMETRIES = [
    LineString([(0, 0), (60, 0)]),
    LineString([(60, 0), (100, 0)]),
    LineString([(100, 0), (100, 80)]),
    LineString([(100, 80), (150, 80)]),
    LineString([(150, 80), (220, 82)]),
    LineString([(220, 82), (220, 60)]),
    LineString([(220, 60), (240, 60)]),
]
FACTS = [
    EdgeFacts(highway="residential", name="Herlev Bygade"),
    EdgeFacts(highway="residential", name="Herlev Bygade"),
    EdgeFacts(highway="tertiary", name="Hjortespringvej"),
    EdgeFacts(highway="footway"),
    EdgeFacts(highway="path"),
    EdgeFacts(highway="crossing"),
    EdgeFacts(highway="service"),
]
LENGTHS = [g.length for g in GEOMETRIES]


def walk(*edges: int) -> list[Step]:
    return [Step(e, 0.0, 1.0) for e in edges]


def test_stretches_are_merged_and_turns_read_from_the_headings():
    found = route_directions(walk(0, 1, 2, 3, 4, 5, 6), LENGTHS, GEOMETRIES, FACTS)
    assert [(d.name, d.kind, round(d.metres), d.turn) for d in found] == [
        ("Herlev Bygade", ROAD, 100, START),  # two edges of one street: one direction
        ("Hjortespringvej", ROAD, 80, LEFT),  # east, then north
        ("", PATH, 120, RIGHT),  # a footway and a path: one unnamed path
        ("", CROSSING, 22, RIGHT),
        ("", ROAD, 20, LEFT),
    ]


def test_a_step_walked_backwards_and_parts_of_edges():
    # From 75 % of the path back to its start, then down the street the other way.
    steps = [Step(3, 0.75, 0.0), Step(2, 1.0, 0.0), Step(1, 1.0, 0.5)]
    found = route_directions(steps, LENGTHS, GEOMETRIES, FACTS)
    assert [(d.name, round(d.metres), d.turn) for d in found] == [
        ("", 38, START),
        ("Hjortespringvej", 80, LEFT),  # walking west, then south
        ("Herlev Bygade", 20, RIGHT),  # walking south, then west
    ]


def test_nothing_walked_gives_no_direction():
    assert route_directions([Step(0, 0.5, 0.5)], LENGTHS, GEOMETRIES, FACTS) == []


@pytest.mark.parametrize(
    ("heading_in", "heading_out", "turn"),
    [(0, 20, STRAIGHT), (0, -25, STRAIGHT), (0, 90, LEFT), (0, -90, RIGHT), (170, -170, STRAIGHT)],
)
def test_turns(heading_in, heading_out, turn):
    assert turn_between(heading_in, heading_out) == turn


def test_way_kinds():
    assert [way_kind(h) for h in ("footway", "cycleway", "steps", "primary", "")] == [
        PATH,
        PATH,
        "steps",
        ROAD,
        "way",
    ]


@pytest.mark.parametrize(
    ("direction", "danish", "english"),
    [
        (
            Direction("", PATH, 120.4, START),
            "Gå 120 meter ad stien.",
            "Walk 120 metres along the path.",
        ),
        (
            Direction("Herlev Bygade", ROAD, 1.2, LEFT),
            "Drej til venstre og gå 1 meter ad Herlev Bygade.",
            "Turn left and walk 1 metre along Herlev Bygade.",
        ),
        (
            Direction("", CROSSING, 14, RIGHT),
            "Drej til højre og gå 14 meter over vejen.",
            "Turn right and walk 14 metres across the road.",
        ),
        (
            Direction("", "steps", 8, STRAIGHT),
            "Fortsæt 8 meter ad trappen.",
            "Continue 8 metres by the steps.",
        ),
        (Direction("", "way", 30, STRAIGHT), "Fortsæt 30 meter.", "Continue 30 metres."),
    ],
)
def test_directions_in_danish_and_english(app, direction, danish, english):
    with app.test_request_context("/trinfri-vej?lang=da"):
        assert direction_text(direction) == danish
    with app.test_request_context("/trinfri-vej?lang=en"):
        assert direction_text(direction) == english


def test_directions_on_the_grid(db, grid, make_public_report):  # noqa: F811
    """Straight along the named path; round the detour as one unnamed stretch."""
    router = load_router(db.session)
    straight = route_on(router, (X0, Y0), (X0 + 200, Y0), PROFILES["WHEEL"])
    assert [(d.name, round(d.metres)) for d in straight.directions] == [("Direkte sti", 200)]
    on = route_on(router, (X0, Y0), (X0 + 500, Y0), PROFILES["MOB"])
    assert [(d.kind, round(d.metres), d.turn) for d in on.directions] == [
        (PATH, 200, START),
        (PATH, 100, STRAIGHT),
        ("steps", 100, STRAIGHT),
        (PATH, 100, STRAIGHT),
    ]
    make_public_report(dx=50, dy=0)  # a 12 cm step on the direct way: wheelchairs go round
    db.session.commit()
    detour = route_on(load_router(db.session), (X0, Y0), (X0 + 200, Y0), PROFILES["WHEEL"])
    assert [(d.name, d.kind, round(d.metres), d.turn) for d in detour.directions] == [
        ("", PATH, 400, START)
    ]
