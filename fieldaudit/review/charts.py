"""Charts as inline SVG, drawn on the server (no script, no style attributes).

Each chart is an ``<svg role="img">`` with a title and a description; the same numbers are
always shown in a table next to it, so nothing is only in the picture. Every chart is drawn
in a box of the same width (``WIDTH`` units, shown at most that many CSS pixels wide, and
170 mm in the PDF), so the type is the same size (``FONT`` units) whether a chart shows one
month or ten years, one category or twenty: the plot divides its width among the periods,
shows every k-th period's name so names never collide, and grows in height with the number of
categories (names of up to two lines are wrapped, never cut short where they fit). The value
axis has nice ticks (1, 2, 2.5 or 5 × 10ⁿ). Colours are SVG attributes (the PDF renderer reads
no CSS for SVG); the web's stylesheet may override them (dark mode).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from fieldaudit.statistics import Month

WIDTH = 640
FONT = 13
CHAR_WIDTH = 0.6 * FONT  # about how wide DejaVu Sans / system-ui sets a letter
LABEL_WIDTH = 230
ROW = 24
ROW_TWO_LINES = 38
BAR_COLOUR = "#0b4f6c"
SERIES = (
    ("new", "series-new", "#5a5a5a"),
    ("verified", "series-verified", "#1f5fa8"),
    ("fixed", "series-fixed", "#1b5e20"),
)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``: steps of 1, 2, 2.5 or 5 × 10ⁿ."""
    if top <= 0:
        return [0, 1]
    raw = top / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    # counts are whole numbers: no step below 1, no 2.5 below 25
    steps = (1, 2, 2.5, 5, 10) if magnitude >= 10 else (1, 2, 5, 10)
    step = max(1, next(m * magnitude for m in steps if m * magnitude >= raw))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg class="chart" id="{cid}" role="img" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-size="{FONT}" '
        f'font-family="DejaVu Sans, system-ui, sans-serif" '
        f'aria-labelledby="{cid}-title {cid}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]


def wrap_label(label: str, width: float = LABEL_WIDTH - 12) -> list[str]:
    """A category name in at most two lines that fit ``width``; cut with '…' only beyond."""
    fits = max(4, int(width // CHAR_WIDTH))
    if len(label) <= fits:
        return [label]
    words, lines, current = label.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= fits or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [line if len(line) <= fits else line[: fits - 1] + "…" for line in lines]


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """A horizontal bar chart of (label, count) rows, with a value axis of nice ticks."""
    rows = list(rows)
    wrapped = [wrap_label(label) for label, _ in rows]
    heights = [ROW_TWO_LINES if len(lines) > 1 else ROW for lines in wrapped]
    top_margin, bottom_margin = 6, 26
    height = top_margin + sum(heights) + bottom_margin if rows else 40
    ticks = nice_ticks(max((count for _, count in rows), default=0))
    plot_left, plot_right = LABEL_WIDTH, WIDTH - 40
    span = plot_right - plot_left
    scale_max = ticks[-1]
    parts = _open(chart_id, title, "; ".join(f"{label}: {count}" for label, count in rows), height)
    axis_y = height - bottom_margin
    for tick in ticks:
        x = plot_left + span * tick / scale_max
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top_margin}" x2="{x:.1f}" y2="{axis_y}" '
            'stroke="#c8c8c8" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{axis_y + 17}" text-anchor="middle">{_tick_text(tick)}</text>'
        )
    y = top_margin
    for (_label, count), lines, row_height in zip(rows, wrapped, heights, strict=True):
        bar_height = ROW - 8
        bar_top = y + (row_height - bar_height) / 2
        width = span * count / scale_max
        first = bar_top + bar_height / 2 + FONT * 0.35 - (FONT * 0.6 if len(lines) > 1 else 0)
        for index, line in enumerate(lines):
            parts.append(
                f'<text x="{LABEL_WIDTH - 8}" y="{first + index * FONT * 1.2:.1f}" '
                f'text-anchor="end">{escape(line)}</text>'
            )
        parts.append(
            f'<rect class="bar" x="{plot_left}" y="{bar_top:.1f}" width="{width:.1f}" '
            f'height="{bar_height}" fill="{BAR_COLOUR}"/>'
            f'<text x="{plot_left + width + 5:.1f}" y="{bar_top + bar_height / 2 + FONT * 0.35:.1f}">'
            f"{count}</text>"
        )
        y += row_height
    parts.append(
        f'<line class="axis" x1="{plot_left}" y1="{top_margin}" x2="{plot_left}" y2="{axis_y}" '
        'stroke="#555555" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))


def label_every(count: int, label_width: float, plot_width: float) -> int:
    """Show every k-th period's name so that names never touch (k = 1 when all fit)."""
    if count <= 0:
        return 1
    return max(1, math.ceil(count * (label_width + 6) / plot_width))


def month_chart(
    chart_id: str, title: str, months: Sequence[Month], series_labels: dict[str, str]
) -> Markup:
    """Grouped vertical bars: new reports, verifications and fixes per period (month, quarter
    or year, as ``statistics.periods`` gives them)."""
    months = list(months)
    left, right, top, plot_height = 48, WIDTH - 10, 10, 170
    label_width = max((len(m.month) for m in months), default=7) * CHAR_WIDTH
    plot_width = right - left
    group = plot_width / max(1, len(months))
    every = label_every(len(months), label_width, plot_width)
    height = top + plot_height + 34
    peak = max((max(m.new, m.verified, m.fixed) for m in months), default=0)
    ticks = nice_ticks(peak)
    described = "; ".join(
        f"{m.month}: "
        + ", ".join(f"{series_labels[key]} {getattr(m, key)}" for key, _css, _colour in SERIES)
        for m in months
    )
    parts = _open(chart_id, title, described, height)
    base = top + plot_height
    for tick in ticks:
        y = base - plot_height * tick / ticks[-1]
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            'stroke="#c8c8c8" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + FONT * 0.35:.1f}" text-anchor="end">'
            f"{_tick_text(tick)}</text>"
        )
    bar = min(22.0, group * 0.8 / 3)
    for index, month in enumerate(months):
        centre = left + group * (index + 0.5)
        x0 = centre - 1.5 * bar
        for offset, (key, css, colour) in enumerate(SERIES):
            value = getattr(month, key)
            height_px = plot_height * value / ticks[-1]
            parts.append(
                f'<rect class="{css}" x="{x0 + offset * bar:.1f}" y="{base - height_px:.1f}" '
                f'width="{max(bar - 1, 0.5):.1f}" height="{height_px:.1f}" fill="{colour}"/>'
            )
        if index % every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{base + 18}" text-anchor="middle">'
                f"{escape(month.month)}</text>"
            )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{base}" x2="{right}" y2="{base}" '
        'stroke="#555555" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))
