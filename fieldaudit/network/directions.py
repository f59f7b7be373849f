"""Directions for a found route: stretches of one street or path, how long, and the turn onto it.

Consecutive edges with the same name are one stretch (an unnamed stretch continues while the
kind of way stays the same: a path, a road, steps, a crossing). The turn onto a stretch is read
from the headings where it meets the previous one: within 30 degrees it is straight on. The
words are the page's (``public/route_page.py``); this module only says what the route does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import LineString
from shapely.ops import substring

from fieldaudit.network.edges import EdgeFacts
from fieldaudit.network.graph import Step

START, STRAIGHT, LEFT, RIGHT = "start", "straight", "left", "right"
PATH, PEDESTRIAN, STEPS, CROSSING, ROAD, WAY = (
    "path",
    "pedestrian",
    "steps",
    "crossing",
    "road",
    "way",
)
PATHS = frozenset({"footway", "path", "track", "cycleway", "bridleway", "corridor"})
STRAIGHT_WITHIN_DEG = 30.0
HEADING_OVER_M = 15.0  # headings are read over the last / first metres of a stretch


@dataclass(frozen=True)
class Direction:
    """One stretch of the route: the way's name ('' if unnamed), its kind, metres, the turn."""

    name: str
    kind: str
    metres: float
    turn: str


def way_kind(highway: str) -> str:
    """The kind of way for the words: path, pedestrian street, steps, crossing, road or way."""
    if highway in PATHS:
        return PATH
    if highway in (PEDESTRIAN, STEPS, CROSSING):
        return highway
    return ROAD if highway else WAY


def turn_between(heading_in: float, heading_out: float) -> str:
    """Left, right or straight from one heading (degrees, counter-clockwise from east) to one."""
    delta = (heading_out - heading_in + 180.0) % 360.0 - 180.0
    if abs(delta) <= STRAIGHT_WITHIN_DEG:
        return STRAIGHT
    return LEFT if delta > 0 else RIGHT


def _heading(line: LineString, at_end: bool) -> float:
    """The heading of a line (as walked) over its first or last metres."""
    length = line.length
    reach = min(HEADING_OVER_M, length)
    part = substring(line, length - reach, length) if at_end else substring(line, 0.0, reach)
    coords = list(part.coords) if part.geom_type == "LineString" else list(line.coords)
    (x0, y0), (x1, y1) = coords[0][:2], coords[-1][:2]
    return math.degrees(math.atan2(y1 - y0, x1 - x0))


def _walked(geometry: LineString, step: Step) -> LineString:
    """The part of an edge a step walks, in the walking direction."""
    low, high = min(step.start, step.end), max(step.start, step.end)
    part = substring(geometry, low, high, normalized=True)
    if part.geom_type != "LineString":
        return LineString([part.coords[0], part.coords[0]])
    return part if step.start <= step.end else LineString(list(part.coords)[::-1])


def route_directions(
    steps: Sequence[Step],
    lengths: Sequence[float],
    geometries: Sequence[LineString],
    facts: Sequence[EdgeFacts],
) -> list[Direction]:
    """The route's stretches in order (edges indexed as in ``lengths``/``geometries``/``facts``)."""
    found: list[Direction] = []
    last_heading: float | None = None
    for step in steps:
        metres = abs(step.end - step.start) * float(lengths[step.edge])
        if metres <= 0:
            continue
        edge = facts[step.edge]
        kind = way_kind(edge.highway)
        walked = _walked(geometries[step.edge], step)
        previous = found[-1] if found else None
        same = previous is not None and (
            previous.name == edge.name if edge.name else not previous.name and previous.kind == kind
        )
        if previous is not None and same:
            found[-1] = Direction(
                previous.name, previous.kind, previous.metres + metres, previous.turn
            )
        else:
            turn = START
            if last_heading is not None and walked.length > 0:
                turn = turn_between(last_heading, _heading(walked, at_end=False))
            found.append(Direction(edge.name, kind, metres, turn))
        if walked.length > 0:
            last_heading = _heading(walked, at_end=True)
    return found
