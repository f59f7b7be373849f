"""Placing numbered labels on a printed map so that none covers another (no Flask, no drawing).

Each label is a square box of a given size around a circle with a number in it. Labels are
placed in rank order (the most important first, so it keeps its own place): a label sits on its
site when that spot is free, else on the first free spot on rings around the site (nearest
first), else on the free spot of a coarse grid nearest to the site. A label that does not sit on
its site gets a leader line back to it. Every spot lies wholly inside the frame and clear of the
obstacles (the legend, the scale bar, the north arrow, the overview). The boxes are returned so
that renderers draw exactly them and tests can check them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # left, top, right, bottom (page units, y down)

RING_STEPS = 12
MAX_RINGS = 8
GAP = 2.0


@dataclass(frozen=True)
class Anchor:
    """A site to label: its key (the rank), its position and its label's size."""

    key: int
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class PlacedLabel:
    """Where a label went: its box, its centre and whether it needs a leader line."""

    key: int
    anchor_x: float
    anchor_y: float
    box: Box

    @property
    def centre(self) -> tuple[float, float]:
        """The centre of the label's box."""
        left, top, right, bottom = self.box
        return ((left + right) / 2, (top + bottom) / 2)

    @property
    def moved(self) -> bool:
        """True when the label is not on its site (a leader line shows where the site is)."""
        cx, cy = self.centre
        return math.hypot(cx - self.anchor_x, cy - self.anchor_y) > 0.5

    def leader(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The leader line from the site to the edge of the label's circle, if it moved."""
        if not self.moved:
            return None
        cx, cy = self.centre
        radius = (self.box[2] - self.box[0]) / 2
        distance = math.hypot(cx - self.anchor_x, cy - self.anchor_y)
        edge = (
            cx - (cx - self.anchor_x) * radius / distance,
            cy - (cy - self.anchor_y) * radius / distance,
        )
        return ((self.anchor_x, self.anchor_y), edge)


def overlaps(a: Box, b: Box, gap: float = 0.0) -> bool:
    """Whether two boxes overlap (touching within ``gap`` counts)."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def inside(box: Box, frame: Box) -> bool:
    """Whether a box lies wholly inside the frame."""
    return frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3]


def _box(x: float, y: float, size: float) -> Box:
    half = size / 2
    return (x - half, y - half, x + half, y + half)


def _candidates(anchor: Anchor, frame: Box) -> Iterator[tuple[float, float]]:
    yield anchor.x, anchor.y
    step = anchor.size + GAP
    for ring in range(1, MAX_RINGS + 1):
        count = RING_STEPS * ring
        for index in range(count):
            angle = -math.pi / 2 + 2 * math.pi * index / count
            yield anchor.x + math.cos(angle) * step * ring, anchor.y + math.sin(angle) * step * ring
    # Last resort: every spot of a grid over the frame, nearest to the site first.
    half = anchor.size / 2
    xs = _range(frame[0] + half, frame[2] - half, step)
    ys = _range(frame[1] + half, frame[3] - half, step)
    yield from sorted(
        ((x, y) for x in xs for y in ys),
        key=lambda p: (p[0] - anchor.x) ** 2 + (p[1] - anchor.y) ** 2,
    )


def _range(start: float, stop: float, step: float) -> list[float]:
    count = max(0, int((stop - start) // step))
    return [start + i * step for i in range(count + 1)]


def place_labels(
    anchors: Sequence[Anchor], frame: Box, obstacles: Sequence[Box] = ()
) -> list[PlacedLabel]:
    """Place the labels in the given order (most important first); none overlaps another or an
    obstacle, all lie inside the frame. A label that finds no free spot is left out (a frame
    too small for its labels); callers check that every label was placed."""
    taken: list[Box] = list(obstacles)
    placed: list[PlacedLabel] = []
    for anchor in anchors:
        for x, y in _candidates(anchor, frame):
            box = _box(x, y, anchor.size)
            if inside(box, frame) and not any(overlaps(box, other, GAP) for other in taken):
                taken.append(box)
                placed.append(PlacedLabel(anchor.key, anchor.x, anchor.y, box))
                break
    return placed
