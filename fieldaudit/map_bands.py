"""Colour bands of a priority map, from the scores of the sites on that map (no Flask).

The fixed bands of ``priority.PRIORITY_CLASSES`` (0, 50, 100, 200, 400 points) put every top
site of a real list in "≥ 400", so the maps colour by the data's own distribution instead:
the sites on the map are ranked by score and cut at fixed shares, most of the detail at the
top of the list: the lowest half, the next quarter, the next 15 %, the next 8 % and the top
2 % (at least one site each while there are five). The legend states the share and the
scores each band covers. Ties stay in one band (the higher one), so a score has one colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from fieldaudit.priority import PRIORITY_CLASSES
from fieldaudit.taxonomy import Label

# Shares of the sites from the top band down; they add up to 1.
TOP_DOWN_SHARES = (0.02, 0.08, 0.15, 0.25, 0.50)


@dataclass(frozen=True)
class Band:
    """One colour band: its number (1 lowest .. 5 highest), colour, scores and sites."""

    number: int
    colour: str
    minimum: float
    maximum: float
    count: int
    share: float

    def label(self, lang: str = "da") -> str:
        """The band in words for the legend: '812–980 point (3 steder)'."""
        return band_words(self, lang)


def _cut_counts(n: int) -> list[int]:
    """How many of ``n`` ranked sites each band takes, top band first."""
    if n <= len(TOP_DOWN_SHARES):
        return [1] * n
    counts = [max(1, math.ceil(share * n)) for share in TOP_DOWN_SHARES[:-1]]
    return [*counts, max(0, n - sum(counts))]


def quantile_bands(scores: Sequence[float]) -> list[Band]:
    """The bands of a map's scores, lowest band first (empty for no scores)."""
    ranked = sorted((float(s or 0.0) for s in scores), reverse=True)
    if not ranked:
        return []
    counts = _cut_counts(len(ranked))
    colours = [c.colour for c in PRIORITY_CLASSES]
    numbers = range(len(colours), len(colours) - len(counts), -1)
    bands: list[Band] = []
    start = 0
    for number, count, share in zip(numbers, counts, TOP_DOWN_SHARES, strict=False):
        members = ranked[start : start + count]
        start += count
        if not members:
            continue
        low = members[-1]
        # a tie across the cut stays in the higher band
        if bands and low >= bands[-1].minimum:
            continue
        above = bands[-1].minimum if bands else math.inf
        high = max(s for s in members if s < above)
        bands.append(Band(number, colours[number - 1], low, high, 0, share))
    counted = [sum(1 for s in ranked if band_of(bands, s) is b) for b in bands]
    bands = [
        Band(b.number, b.colour, b.minimum, b.maximum, n, n / len(ranked))
        for b, n in zip(bands, counted, strict=True)
    ]
    return list(reversed(bands))


def band_of(bands: Sequence[Band], score: float | None) -> Band:
    """The band a score falls in (bands in any order)."""
    value = float(score or 0.0)
    fitting = [b for b in bands if value >= b.minimum]
    if not fitting:
        return min(bands, key=lambda b: b.minimum)
    return max(fitting, key=lambda b: b.minimum)


def _number(value: float, lang: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text if lang == "en" else text.replace(".", ",")


def band_words(band: Band, lang: str = "da") -> str:
    """A band in words: the scores it covers and how many sites: '812–980 point (3 steder)'."""
    en = lang == "en"
    scores = (
        _number(band.minimum, lang)
        if round(band.minimum) == round(band.maximum)
        else f"{_number(band.minimum, lang)}–{_number(band.maximum, lang)}"
    )
    sites = (
        ("1 site" if band.count == 1 else f"{band.count} sites")
        if en
        else ("1 sted" if band.count == 1 else f"{band.count} steder")
    )
    points = "points" if en else "point"
    return f"{scores} {points} ({sites})"


LEGEND_TITLE = Label("Prioritet", "Priority")
LEGEND_RULE = Label(
    "Farverne deler stederne på kortet efter point: de øverste 2 %, de næste 8 %, 15 % og "
    "25 % og den nederste halvdel.",
    "The colours split the sites on the map by score: the top 2 %, the next 8 %, 15 % and "
    "25 %, and the lower half.",
)
