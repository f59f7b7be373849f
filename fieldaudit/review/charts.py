"""Charts as inline SVG, drawn on the server (no script, no style attributes; colours in app.css).

Each chart is an ``<svg role="img">`` with a title and a description; the same numbers are
always shown in a table next to it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from fieldaudit.statistics import Month

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 170
CHART_WIDTH = 420


def _nice_max(value: int) -> int:
    """A round number at or above ``value`` for the end of the scale."""
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if step * 4 >= value:
            return step * 4
    return value


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """A horizontal bar chart of (label, count) rows."""
    rows = list(rows)
    height = max(1, len(rows)) * (BAR_HEIGHT + BAR_GAP) + 10
    top = max((count for _, count in rows), default=0)
    scale_max = _nice_max(top)
    bar_space = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">'
        + escape("; ".join(f"{label}: {count}" for label, count in rows))
        + "</desc>",
    ]
    for index, (label, count) in enumerate(rows):
        y = 5 + index * (BAR_HEIGHT + BAR_GAP)
        width = 0 if scale_max == 0 else round(bar_space * count / scale_max, 1)
        shown = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end">'
            f"{escape(shown)}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}">{count}</text>'
        )
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


SERIES = (("new", "series-new"), ("verified", "series-verified"), ("fixed", "series-fixed"))


def month_chart(
    chart_id: str, title: str, months: Sequence[Month], series_labels: dict[str, str]
) -> Markup:
    """Grouped vertical bars: new reports, verifications and fixes per month."""
    months = list(months)
    group_width = 3 * 10 + 12
    left, bottom, plot_height = 40, 60, 180
    width = left + max(1, len(months)) * group_width + 10
    height = plot_height + bottom + 10
    top = max((max(m.new, m.verified, m.fixed) for m in months), default=0)
    scale_max = _nice_max(top)
    described = "; ".join(
        f"{m.month}: " + ", ".join(f"{series_labels[key]} {getattr(m, key)}" for key, _ in SERIES)
        for m in months
    )
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(described)}</desc>',
    ]
    base = 10 + plot_height
    for fraction in (0, 0.5, 1):
        y = base - plot_height * fraction
        value = round(scale_max * fraction)
        parts.append(f'<line class="axis" x1="{left}" y1="{y:.1f}" x2="{width - 5}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    for index, month in enumerate(months):
        x0 = left + 6 + index * group_width
        for offset, (key, css) in enumerate(SERIES):
            value = getattr(month, key)
            bar = 0 if scale_max == 0 else plot_height * value / scale_max
            parts.append(
                f'<rect class="{css}" x="{x0 + offset * 10}" y="{base - bar:.1f}" '
                f'width="9" height="{bar:.1f}"/>'
            )
        label_x = x0 + 15
        parts.append(
            f'<text x="{label_x}" y="{base + 14}" text-anchor="end" '
            f'transform="rotate(-45 {label_x} {base + 14})">{escape(month.month)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
