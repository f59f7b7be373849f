"""Noding: lines cut where they meet (within a tolerance in metres) into a graph of edges.

Endpoints closer than the tolerance become one node; a line is cut where another crosses it on
the same level (bridges and tunnels are not joined to what they pass over) and where another
line's end lies within the tolerance of it (a T-junction drawn a little short). Pieces between
the same two nodes with the same length are kept once, so importing a file twice, or again
with ``--append``, gives the same graph.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from fieldaudit.network.edges import EdgeFacts, NetworkLine

DEFAULT_TOLERANCE_M = 1.0


@dataclass(frozen=True)
class NodedEdge:
    """An edge between two node indexes, with its geometry (EPSG:25832) and facts."""

    source: int
    target: int
    geometry: LineString
    facts: EdgeFacts


@dataclass
class NodedNetwork:
    """The graph: node coordinates and the edges between them."""

    nodes: list[tuple[float, float]]
    edges: list[NodedEdge]


def _points(geometry: shapely.Geometry) -> list[tuple[float, float]]:
    """The points where two lines meet (the ends of a shared stretch included)."""
    if geometry.is_empty:
        return []
    kind = geometry.geom_type
    if kind == "Point":
        return [(geometry.x, geometry.y)]
    if kind == "MultiLineString":  # a shared stretch split at its vertices: its ends only
        merged = shapely.line_merge(geometry)
        if merged.geom_type == "LineString":
            return _points(merged)
    if kind in ("MultiPoint", "MultiLineString", "GeometryCollection"):
        return [point for part in geometry.geoms for point in _points(part)]
    if kind == "LineString":
        coords = list(geometry.coords)
        return [coords[0][:2], coords[-1][:2]]
    return []


def _candidates(lines: Sequence[NetworkLine], tolerance: float) -> list[tuple[float, float]]:
    geoms = [line.geometry for line in lines]
    found: list[tuple[float, float]] = []
    for line in geoms:
        found.extend([line.coords[0][:2], line.coords[-1][:2]])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and lines[i].layer == lines[j].layer:
            found.extend(_points(geoms[i].intersection(geoms[j])))
    ends = [Point(xy) for xy in found[: 2 * len(geoms)]]
    near_left, near_right = tree.query(ends, predicate="dwithin", distance=tolerance)
    for e, j in zip(near_left.tolist(), near_right.tolist(), strict=True):
        if e // 2 != j and lines[e // 2].layer == lines[j].layer:  # a T-junction
            line = geoms[j]
            projected = line.interpolate(line.project(ends[e]))
            found.append((projected.x, projected.y))
    return found


def _clusters(points: list[tuple[float, float]], tolerance: float) -> tuple[np.ndarray, list]:
    """Each point's node index and the node coordinates (the first point of each cluster)."""
    geoms = shapely.points(np.array(points))
    tree = shapely.STRtree(geoms)
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    index_of_root: dict[int, int] = {}
    labels = np.empty(len(points), dtype=np.int64)
    nodes: list[tuple[float, float]] = []
    for i in range(len(points)):
        r = root(i)
        if r not in index_of_root:
            index_of_root[r] = len(nodes)
            nodes.append(points[r])
        labels[i] = index_of_root[r]
    return labels, nodes


def _pieces(line: LineString, stops: list[tuple[float, int]], nodes: list) -> list:
    """Cut ``line`` at the (distance along, node) stops; each piece ends exactly on its nodes."""
    pieces = []
    for (d0, a), (d1, b) in itertools.pairwise(stops):
        if a == b and d1 - d0 <= 0:
            continue
        part = substring(line, d0, d1)
        coords = [nodes[a], *[c[:2] for c in list(part.coords)[1:-1]], nodes[b]]
        if len(coords) == 2 and coords[0] == coords[1]:
            continue
        pieces.append((a, b, LineString(coords)))
    return pieces


def node_lines(
    lines: Sequence[NetworkLine], tolerance: float = DEFAULT_TOLERANCE_M
) -> NodedNetwork:
    """Cut the lines into edges between shared nodes (see the module's docstring)."""
    if not lines:
        return NodedNetwork([], [])
    points = _candidates(lines, tolerance)
    labels, nodes = _clusters(points, tolerance)
    node_points = shapely.points(np.array(nodes))
    node_tree = shapely.STRtree(node_points)
    geoms = [line.geometry for line in lines]
    at_line, at_node = node_tree.query(geoms, predicate="dwithin", distance=tolerance)
    near: dict[int, list[int]] = {}
    for i, n in zip(at_line.tolist(), at_node.tolist(), strict=True):
        near.setdefault(i, []).append(n)
    edges: list[NodedEdge] = []
    seen: set[tuple[int, int, int]] = set()
    for i, line in enumerate(lines):
        geometry = line.geometry
        start, end = int(labels[2 * i]), int(labels[2 * i + 1])
        stops = {(0.0, start), (geometry.length, end)}
        for n in near.get(i, []):
            if n not in (start, end):
                stops.add((geometry.project(node_points[n]), n))
        ordered = sorted(stops)
        if len(ordered) == 2 and start == end:  # a closed loop with one junction: halve it
            middle = geometry.interpolate(0.5, normalized=True)
            nodes.append((middle.x, middle.y))
            ordered = [ordered[0], (geometry.length / 2, len(nodes) - 1), ordered[1]]
        for a, b, piece in _pieces(geometry, ordered, nodes):
            key = (min(a, b), max(a, b), round(piece.length))
            if a == b or key in seen:
                continue
            seen.add(key)
            edges.append(NodedEdge(a, b, piece, line.facts))
    used = sorted({e.source for e in edges} | {e.target for e in edges})
    renumber = {old: new for new, old in enumerate(used)}
    return NodedNetwork(
        [nodes[old] for old in used],
        [NodedEdge(renumber[e.source], renumber[e.target], e.geometry, e.facts) for e in edges],
    )
