"""A stretch of the walking network as the importers and the router know it: its facts
(OpenStreetMap-style, ``EdgeFacts``) and a line with its level (``NetworkLine``), and the kinds
of kerb a stretch can carry, lowest to highest (``RANK``; ``kerbs.py`` places kerb nodes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import LineString

UNKNOWN_KERB = "yes"  # barrier=kerb without kerb=*: a kerb of unknown height
RANK = {"flush": 1, "lowered": 2, "rolled": 3, UNKNOWN_KERB: 4, "raised": 5}


@dataclass(frozen=True)
class EdgeFacts:
    """What is known of a stretch of the network (OSM-style; empty or None when unknown)."""

    highway: str = ""
    surface: str = ""
    width_m: float | None = None
    incline_pct: float | None = None
    kerb: str = ""
    name: str = ""
    ref: str = ""
    approximate: bool = False
    tactile_paving: str = ""  # "yes", "no" or "" (unknown): at the edge's kerb or crossing

    def stored_kerb(self) -> str:
        """The kerb as stored (the column ``kerb``): ``lowered;tactile=no`` with the paving."""
        if self.tactile_paving and self.kerb in RANK:
            return f"{self.kerb};tactile={self.tactile_paving}"
        return self.kerb

    @classmethod
    def from_stored(cls, edge: Any) -> EdgeFacts:
        """The facts of a stored edge (a ``NetworkEdge`` row)."""
        kerb, _sep, tactile = (edge.kerb or "").partition(";tactile=")
        return cls(
            edge.highway,
            edge.surface,
            edge.width_m,
            edge.incline_pct,
            kerb,
            edge.name,
            edge.ref,
            edge.approximate,
            tactile,
        )


@dataclass(frozen=True)
class NetworkLine:
    """One line of the network in EPSG:25832 with its facts and its level (bridges apart)."""

    geometry: LineString
    facts: EdgeFacts = field(default_factory=EdgeFacts)
    layer: int = 0
