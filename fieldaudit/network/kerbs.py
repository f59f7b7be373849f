"""Kerbs as points on the lines (OpenStreetMap's kerb nodes): the edge that crosses each one.

OpenStreetMap maps a kerb as a node of the ways (``kerb=raised|lowered|flush|rolled``,
``barrier=kerb``, often with ``tactile_paving=yes|no``), usually where a crossing meets the
pavement; a file may give the same as point features beside its lines. The kerb is passed by
whoever walks through that point, so it becomes a fact of one line next to it:

- the crossings that touch it (``highway=crossing`` or ``footway=crossing``), all of them;
- else, a point where lines end: the shortest of them (the connector to the crossing; a
  pavement that only passes the point does not cross the kerb);
- else, a point inside a line: the line is cut there and the shorter piece carries the kerb
  (every way through the point walks both pieces, so the shorter one blocks nothing more).

Several kerbs on one line: the highest counts (raised, unknown, rolled, lowered, flush), and
the tactile paving is ``no`` if any kerb below raised says ``no``. The profiles
(``profiles.py``) say what a kerb does to each group.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from fieldaudit.network.edges import RANK, UNKNOWN_KERB, EdgeFacts, NetworkLine
from fieldaudit.plain_text import clean_line

KERB_WITHIN_M = 1.0
UNKNOWN = UNKNOWN_KERB


@dataclass(frozen=True)
class KerbNode:
    """A kerb at a point (EPSG:25832): its kind (a ``RANK`` key) and its tactile paving."""

    point: Point
    kerb: str
    tactile_paving: str = ""


def kerb_from_tags(tags: Mapping[str, Any]) -> tuple[str, str] | None:
    """The kerb and tactile paving of a node's tags or a point's attributes; None if no kerb."""
    kerb = clean_line(_string(tags.get("kerb")) or _string(tags.get("kantsten"))).strip().lower()
    barrier = _string(tags.get("barrier")).strip().lower()
    if kerb in ("", "no") and barrier != "kerb":
        return None
    if kerb not in RANK:
        kerb = UNKNOWN
    return kerb, tactile_value(tags.get("tactile_paving"))


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def tactile_value(value: Any) -> str:
    """``yes``, ``no`` or '' (unknown) from a ``tactile_paving`` value (incorrect counts as no)."""
    text = _string(value).strip().lower()
    if text in ("yes", "ja", "true", "1"):
        return "yes"
    if text in ("no", "nej", "false", "0", "incorrect"):
        return "no"
    return ""


def with_kerb(facts: EdgeFacts, kerb: str, tactile: str) -> EdgeFacts:
    """The facts with one more kerb on the edge (the highest counts; tactile ``no`` sticks)."""
    worst = kerb if RANK.get(kerb, 0) >= RANK.get(facts.kerb, 0) else facts.kerb
    tactile_known = facts.tactile_paving
    if kerb != "raised" and tactile == "no":
        tactile_known = "no"
    elif not tactile_known and tactile:
        tactile_known = tactile
    return dataclasses.replace(facts, kerb=worst, tactile_paving=tactile_known)


def _is_crossing(line: NetworkLine) -> bool:
    return line.facts.highway == "crossing"


def _decide(
    lines: Sequence[NetworkLine], near: list[int], point: Point
) -> tuple[list[int], tuple[int, float] | None]:
    """For one kerb: the lines to mark, or the line to cut and where."""
    crossings = [i for i in near if _is_crossing(lines[i])]
    if crossings:
        return crossings, None
    inside: tuple[int, float] | None = None
    ending: list[int] = []
    for i in near:
        geometry = lines[i].geometry
        along = geometry.project(point)
        if KERB_WITHIN_M < along < geometry.length - KERB_WITHIN_M:
            inside = inside or (i, along)
        else:
            ending.append(i)
    if ending:  # a connector ending on a pavement: the connector goes through the kerb
        return [min(ending, key=lambda i: (lines[i].geometry.length, i))], None
    return [], inside


def _cut(line: NetworkLine, kerbs: list[tuple[float, KerbNode]]) -> list[NetworkLine]:
    """A line cut at its kerbs; each kerb goes to the shorter piece beside it."""
    geometry = line.geometry
    stops = sorted({0.0, geometry.length, *(along for along, _kerb in kerbs)})
    spans = [(a, b) for a, b in itertools.pairwise(stops) if b > a]
    pieces = [substring(geometry, a, b) for a, b in spans]
    facts = [line.facts] * len(pieces)
    ends = [b for _a, b in spans]
    for along, kerb in kerbs:
        after = ends.index(along) + 1
        before = after - 1
        pick = before if pieces[before].length <= pieces[after].length else after
        facts[pick] = with_kerb(facts[pick], kerb.kerb, kerb.tactile_paving)
    return [
        dataclasses.replace(line, geometry=LineString(piece.coords), facts=piece_facts)
        for piece, piece_facts in zip(pieces, facts, strict=True)
    ]


def apply_kerbs(
    lines: Sequence[NetworkLine], kerbs: Sequence[KerbNode]
) -> tuple[list[NetworkLine], list[KerbNode]]:
    """The lines with each kerb on the line that crosses it (see above), and the kerbs that lie
    on no line (farther than 1 m from every line)."""
    if not kerbs or not lines:
        return list(lines), list(kerbs)
    tree = shapely.STRtree([line.geometry for line in lines])
    facts = [line.facts for line in lines]
    cuts: dict[int, list[tuple[float, KerbNode]]] = {}
    unplaced: list[KerbNode] = []
    for kerb in kerbs:
        near = sorted(
            int(i) for i in tree.query(kerb.point, predicate="dwithin", distance=KERB_WITHIN_M)
        )
        if not near:
            unplaced.append(kerb)
            continue
        marked, cut = _decide(lines, near, kerb.point)
        for i in marked:
            facts[i] = with_kerb(facts[i], kerb.kerb, kerb.tactile_paving)
        if cut is not None:
            cuts.setdefault(cut[0], []).append((cut[1], kerb))
    found: list[NetworkLine] = []
    for i, line in enumerate(lines):
        marked_line = dataclasses.replace(line, facts=facts[i])
        found.extend(_cut(marked_line, cuts[i]) if i in cuts else [marked_line])
    return found, unplaced
