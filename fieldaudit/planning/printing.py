"""The priority map as a PNG (Pillow) or a real PDF (SVG map and text through WeasyPrint)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask import render_template
from shapely.geometry.base import BaseGeometry

from fieldaudit.exports import pdf, printmap
from fieldaudit.exports.map_layout import DEFAULT_TOP, layout_map
from fieldaudit.exports.map_svg import map_svg
from fieldaudit.exports.rows import AreaRow, SiteRow
from fieldaudit.map_bands import LEGEND_RULE, LEGEND_TITLE, band_of

# The SVG map's box in the same pixels as the PNG's (so both place the labels alike).
MAP_BOX = (1120, 960)


def priority_map_png(
    rows: Sequence[SiteRow],
    areas: Sequence[AreaRow],
    boundary: Sequence[BaseGeometry],
    filter_text: str,
    printed: date,
    lang: str,
    focus: BaseGeometry | None = None,
    top: int = DEFAULT_TOP,
) -> bytes:
    """The A4 priority map as PNG at 150 dpi."""
    page = printmap.render_map(rows, areas, boundary, filter_text, printed, lang, focus, top)
    return printmap.map_png(page)


def priority_map_html(
    rows: Sequence[SiteRow],
    areas: Sequence[AreaRow],
    boundary: Sequence[BaseGeometry],
    filter_text: str,
    printed: date,
    lang: str,
    focus: BaseGeometry | None = None,
    top: int = DEFAULT_TOP,
) -> str:
    """The priority map page as HTML with the map as inline SVG (for WeasyPrint)."""
    layout = layout_map(rows, areas, boundary, *MAP_BOX, focus=focus, top=top)
    texts = {key: label.get(lang) for key, label in printmap.TEXT.items()}
    title = texts["title"]
    numbered = layout.numbered
    more = len(rows) - len(numbered)
    return render_template(
        "planning/print_map.html",
        lang=lang,
        title=title,
        filter_text=filter_text,
        printed_text=f"{texts['printed']} {printmap.long_date(printed, lang)}",
        map_svg=map_svg(layout, title),
        bands=list(reversed(layout.bands)),
        dots=bool(layout.dots),
        legend_title=LEGEND_TITLE.get(lang),
        legend_rule=LEGEND_RULE.get(lang),
        list_heading=texts["list"].replace("%(n)s", str(len(numbered))),
        numbered=numbered,
        colours={r.site_id: band_of(layout.bands, r.score).colour for r in numbered},
        scores={r.site_id: printmap.number_text(r.score, lang) for r in numbered},
        more=texts["more"].replace("%(n)s", str(more)) if more > 0 else "",
        texts=texts,
    )


def priority_map_pdf(*args, **kwargs) -> bytes:
    """The priority map as a one-page A4 PDF with a vector map and selectable text."""
    html = priority_map_html(*args, **kwargs)
    return pdf.html_to_pdf(html, printmap.TEXT["title"].get(kwargs.get("lang", "da")))
