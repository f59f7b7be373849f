"""The printed priority map as SVG (vector), drawn from the same ``map_layout`` as the PNG.

WeasyPrint puts it into the PDF as vector shapes and text. Colours are written as attributes
(the SVG stands alone), names are escaped: an area's name from an import is never markup.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from fieldaudit.exports.map_layout import MapLayout

INK = "#111111"
AREA_FILL = "#d6eacf"
AREA_LINE = "#4a7a40"
BOUNDARY = "#3c3c3c"
FONT = "DejaVu Sans, sans-serif"


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _text_colour(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return INK if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.35 else "#ffffff"


def _areas(layout: MapLayout) -> list[str]:
    parts = []
    for ring, holes in layout.areas:
        path = " ".join(
            "M " + " L ".join(f"{x:.1f} {y:.1f}" for x, y in r) + " Z" for r in [ring, *holes]
        )
        parts.append(
            f'<path d="{path}" fill="{AREA_FILL}" stroke="{AREA_LINE}" stroke-width="2" '
            'fill-rule="evenodd"/>'
        )
    for ring in layout.boundary:
        parts.append(
            f'<polyline points="{_points(ring)}" fill="none" stroke="{BOUNDARY}" '
            'stroke-width="4" stroke-linejoin="round"/>'
        )
    return parts


def _names(layout: MapLayout) -> list[str]:
    parts = []
    for name, (x, y) in layout.area_names:
        # a white halo under the name (drawn first: not every renderer knows paint-order)
        halo = 'fill="#ffffff" stroke="#ffffff" stroke-width="6" stroke-linejoin="round"'
        for paint in (halo, 'fill="#284623"'):
            parts.append(
                f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="16" '
                f"{paint}>{escape(name)}</text>"
            )
    return parts


def _sites(layout: MapLayout) -> list[str]:
    parts = [
        f'<circle cx="{d.x:.1f}" cy="{d.y:.1f}" r="4" fill="{d.band.colour}" stroke="{INK}" '
        'stroke-width="1"/>'
        for d in layout.dots
    ]
    parts.extend(_names(layout))  # over the dots, under the numbers
    for label in layout.labels:
        line = label.placed.leader()
        if line:
            (ax, ay), (ex, ey) = line
            parts.append(
                f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                f'stroke="{INK}" stroke-width="2"/>'
                f'<circle cx="{ax:.1f}" cy="{ay:.1f}" r="3" fill="{INK}"/>'
            )
    for label in reversed(layout.labels):
        x0, _y0, x1, _y1 = label.placed.box
        cx, cy = label.placed.centre
        radius = (x1 - x0) / 2
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius - 1:.1f}" fill="{label.band.colour}" '
            f'stroke="{INK}" stroke-width="2"/>'
            f'<text x="{cx:.1f}" y="{cy + 5.5:.1f}" text-anchor="middle" font-size="15" '
            f'font-weight="bold" fill="{_text_colour(label.band.colour)}">{label.rank}</text>'
        )
    return parts


def _furniture(layout: MapLayout) -> list[str]:
    parts = []
    if layout.overview is not None:
        x0, y0, x1, y1 = layout.overview.box
        parts.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            f'fill="#ffffff" stroke="{INK}"/>'
        )
        parts.extend(
            f'<polygon points="{_points(r)}" fill="#ebebeb" stroke="{BOUNDARY}"/>'
            for r in layout.overview.rings
        )
        e = layout.overview.extent
        parts.append(
            f'<rect x="{e[0]:.1f}" y="{e[1]:.1f}" width="{e[2] - e[0]:.1f}" '
            f'height="{e[3] - e[1]:.1f}" fill="none" stroke="#c80000" stroke-width="3"/>'
        )
    bar = layout.scale_bar
    if bar is not None:
        half = bar.length / 2
        parts.append(
            f'<rect x="{bar.x - 10:.1f}" y="{bar.y - 34:.1f}" width="{bar.length + 58:.1f}" '
            f'height="54" fill="#ffffff"/>'
            f'<rect x="{bar.x:.1f}" y="{bar.y:.1f}" width="{half:.1f}" height="12" fill="{INK}" '
            f'stroke="{INK}" stroke-width="2"/>'
            f'<rect x="{bar.x + half:.1f}" y="{bar.y:.1f}" width="{half:.1f}" height="12" '
            f'fill="#ffffff" stroke="{INK}" stroke-width="2"/>'
            f'<text x="{bar.x:.1f}" y="{bar.y - 8:.1f}" text-anchor="middle" font-size="20">0</text>'
            f'<text x="{bar.x + bar.length:.1f}" y="{bar.y - 8:.1f}" text-anchor="middle" '
            f'font-size="20">{escape(bar.text)}</text>'
        )
    cx, cy, angle = layout.north
    degrees = math.degrees(angle)
    parts.append(
        f'<ellipse cx="{cx:.1f}" cy="{cy - 6:.1f}" rx="44" ry="52" fill="#ffffff" stroke="#505050"/>'
        f'<g transform="translate({cx:.1f} {cy:.1f}) rotate({degrees:.2f})">'
        f'<polygon points="0,-34 -16,18 0,8" fill="{INK}" stroke="{INK}" stroke-width="2"/>'
        f'<polygon points="0,-34 16,18 0,8" fill="#ffffff" stroke="{INK}" stroke-width="2"/>'
        f'<text x="0" y="-38" text-anchor="middle" font-size="22" font-weight="bold">N</text>'
        "</g>"
    )
    return parts


def map_svg(layout: MapLayout, title: str) -> Markup:
    """The map box as an ``<svg>`` element scaled to its container's width."""
    body = "".join(_areas(layout) + _sites(layout) + _furniture(layout))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width:.0f} '
        f'{layout.height:.0f}" role="img" aria-label="{escape(title)}" class="print-map" '
        f'font-family="{FONT}"><title>{escape(title)}</title>'
        f'<rect x="0" y="0" width="{layout.width:.0f}" height="{layout.height:.0f}" '
        f'fill="#ffffff" stroke="{INK}" stroke-width="2"/>{body}</svg>'
    )
