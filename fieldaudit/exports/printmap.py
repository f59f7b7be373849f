"""The printable priority map on A4 as PNG, drawn with Pillow from ``map_layout``.

The page shows the municipal boundary and the areas, the top N sites of the filter as numbered
circles placed without overlap (leader lines where one had to move; number = rank), the other
sites as small dots, all coloured by band (``map_bands``), a legend that states the bands, a
scale bar, a north arrow pointing to true north (grid north of UTM 32N differs by about 3° in
Herlev), an overview of the municipality when the map shows less, the filter and the date, and
the numbered list under the map. The PDF is drawn from the same layout as SVG (``map_svg``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from shapely.geometry.base import BaseGeometry

from fieldaudit.exports.map_layout import DEFAULT_TOP, MapLayout, layout_map
from fieldaudit.exports.rows import AreaRow, SiteRow
from fieldaudit.map_bands import LEGEND_RULE, LEGEND_TITLE, band_of
from fieldaudit.taxonomy import Label

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
DPI = 150
A4_PORTRAIT = (1240, 1754)  # 210 × 297 mm at 150 dpi
MARGIN = 60
INK = (17, 17, 17)
MUTED = (80, 80, 80)
AREA_FILL = (214, 234, 207)
AREA_LINE = (74, 122, 64)
BOUNDARY = (60, 60, 60)
WATER_WHITE = (255, 255, 255)

TEXT = {
    "title": Label("Barrierer i Herlev efter prioritet", "Barriers in Herlev by priority"),
    "printed": Label("Udskrevet", "Printed"),
    "legend": Label("Prioritet", "Priority"),
    "areas": Label("Byrum og grønne områder", "Public spaces and green areas"),
    "boundary": Label("Kommunegrænse", "Municipal boundary"),
    "list": Label(
        "De %(n)s vigtigste steder (nummer = rang)", "The %(n)s top sites (number = rank)"
    ),
    "more": Label(
        "%(n)s andre steder i filteret er vist som små prikker; hele listen er på nettet.",
        "%(n)s other sites of the filter are shown as small dots; the whole list is online.",
    ),
    "dot": Label("Andre steder (prik i båndets farve)", "Other sites (dot in the band's colour)"),
    "overview": Label("Oversigt", "Overview"),
    "rank": Label("Nr.", "No."),
    "barrier": Label("Barriere", "Barrier"),
    "area": Label("Område", "Area"),
    "status": Label("Status", "Status"),
    "score": Label("Point", "Score"),
    "none": Label("Ingen steder passer til filteret.", "No sites match the filter."),
    "footer": Label(
        "FieldAudit · Koordinater ETRS89 / UTM 32N (EPSG:25832) · Områdegrænser er omtrentlige, "
        "hvis ikke kommunens egne kort er indlæst.",
        "FieldAudit · Coordinates ETRS89 / UTM 32N (EPSG:25832) · Area outlines are "
        "approximate unless the municipality's own layers are loaded.",
    ),
}
MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (Debian's fonts-dejavu-core), else Pillow's built-in font."""
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def long_date(day: date, lang: str) -> str:
    """A date in words: '20. november 2026' or '20 November 2026'."""
    if lang == "en":
        return day.strftime("%-d %B %Y")
    return f"{day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _text_on(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = (c / 255 for c in colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return INK if luminance > 0.35 else (255, 255, 255)


def _draw_layout(draw: ImageDraw.ImageDraw, layout: MapLayout, left: float, top: float) -> None:
    """Draw the map box's layout with its top left corner at (left, top)."""

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(left + x, top + y) for x, y in points]

    for ring, holes in layout.areas:
        draw.polygon(at(ring), fill=AREA_FILL, outline=AREA_LINE, width=2)
        for hole in holes:
            draw.polygon(at(hole), fill=WATER_WHITE)
    for ring in layout.boundary:
        draw.line(at(ring), fill=BOUNDARY, width=4, joint="curve")
    r = 4
    for dot in layout.dots:
        x, y = left + dot.x, top + dot.y
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_hex(dot.band.colour), outline=INK)
    for name, (x, y) in layout.area_names:
        draw.text(
            (left + x, top + y),
            name,
            font=font(16),
            fill=(40, 70, 35),
            anchor="mm",
            stroke_width=3,
            stroke_fill=(255, 255, 255),
        )
    for label in layout.labels:
        line = label.placed.leader()
        if line:
            (ax, ay), (ex, ey) = line
            draw.line((left + ax, top + ay, left + ex, top + ey), fill=INK, width=2)
            draw.ellipse((left + ax - 3, top + ay - 3, left + ax + 3, top + ay + 3), fill=INK)
    number_font = font(15, bold=True)
    for label in reversed(layout.labels):
        x0, y0, x1, y1 = label.placed.box
        colour = _hex(label.band.colour)
        draw.ellipse((left + x0, top + y0, left + x1, top + y1), fill=colour, outline=INK, width=2)
        cx, cy = label.placed.centre
        draw.text(
            (left + cx, top + cy),
            str(label.rank),
            font=number_font,
            fill=_text_on(colour),
            anchor="mm",
        )
    _overview(draw, layout, left, top)
    _scale_bar(draw, layout, left, top)
    _north_arrow(draw, layout, left, top)


def _overview(draw: ImageDraw.ImageDraw, layout: MapLayout, left: float, top: float) -> None:
    if layout.overview is None:
        return
    x0, y0, x1, y1 = layout.overview.box
    draw.rectangle((left + x0, top + y0, left + x1, top + y1), fill=(255, 255, 255), outline=INK)
    for ring in layout.overview.rings:
        draw.polygon([(left + x, top + y) for x, y in ring], fill=(235, 235, 235), outline=BOUNDARY)
    e = layout.overview.extent
    draw.rectangle((left + e[0], top + e[1], left + e[2], top + e[3]), outline=(200, 0, 0), width=3)


def _scale_bar(draw: ImageDraw.ImageDraw, layout: MapLayout, left: float, top: float) -> None:
    bar = layout.scale_bar
    if bar is None:
        return
    x0, y0 = left + bar.x, top + bar.y
    segment = bar.length / 2
    draw.rectangle((x0 - 10, y0 - 34, x0 + bar.length + 48, y0 + 20), fill=(255, 255, 255))
    for i in range(2):
        draw.rectangle(
            (x0 + i * segment, y0, x0 + (i + 1) * segment, y0 + 12),
            fill=INK if i == 0 else (255, 255, 255),
            outline=INK,
            width=2,
        )
    draw.text((x0, y0 - 6), "0", font=font(20), fill=INK, anchor="md")
    draw.text((x0 + bar.length, y0 - 6), bar.text, font=font(20), fill=INK, anchor="md")


def _north_arrow(draw: ImageDraw.ImageDraw, layout: MapLayout, left: float, top: float) -> None:
    cx, cy, angle = layout.north
    cx, cy = left + cx, top + cy
    draw.ellipse((cx - 44, cy - 58, cx + 44, cy + 46), fill=(255, 255, 255), outline=MUTED)

    def rotate(dx: float, dy: float) -> tuple[float, float]:
        return (
            cx + dx * math.cos(angle) - dy * math.sin(angle),
            cy + dx * math.sin(angle) + dy * math.cos(angle),
        )

    tip, west, east, tail = rotate(0, -34), rotate(-16, 18), rotate(16, 18), rotate(0, 8)
    draw.polygon([tip, west, tail], fill=INK)
    draw.polygon([tip, east, tail], fill=(255, 255, 255), outline=INK)
    draw.line([tip, west, tail, east, tip], fill=INK, width=2)
    draw.text(rotate(0, -44), "N", font=font(22, bold=True), fill=INK, anchor="mm")


def _legend(
    draw: ImageDraw.ImageDraw, layout: MapLayout, left: int, top: int, width: int, lang: str
) -> int:
    draw.text((left, top), LEGEND_TITLE.get(lang), font=font(22, bold=True), fill=INK)
    y = top + 34
    for line in _wrap(draw, LEGEND_RULE.get(lang), width, font(15)):
        draw.text((left, y), line, font=font(15), fill=MUTED)
        y += 20
    y += 8
    for band in reversed(layout.bands):
        colour = _hex(band.colour)
        draw.ellipse((left, y, left + 26, y + 26), fill=colour, outline=INK, width=2)
        draw.text((left + 38, y + 13), band.label(lang), font=font(18), fill=INK, anchor="lm")
        y += 32
    if layout.dots:
        draw.ellipse((left + 9, y + 9, left + 17, y + 17), fill=(150, 150, 150), outline=INK)
        draw.text((left + 38, y + 13), TEXT["dot"].get(lang), font=font(18), fill=INK, anchor="lm")
        y += 32
    draw.rectangle((left, y + 4, left + 26, y + 26), fill=AREA_FILL, outline=AREA_LINE, width=2)
    draw.text((left + 38, y + 15), TEXT["areas"].get(lang), font=font(18), fill=INK, anchor="lm")
    y += 32
    draw.line((left, y + 15, left + 26, y + 15), fill=BOUNDARY, width=4)
    draw.text((left + 38, y + 15), TEXT["boundary"].get(lang), font=font(18), fill=INK, anchor="lm")
    return y + 34


def _truncate(draw: ImageDraw.ImageDraw, text: str, width: int, text_font) -> str:
    if draw.textlength(text, font=text_font) <= width:
        return text
    while text and draw.textlength(text + "…", font=text_font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _site_list(
    draw: ImageDraw.ImageDraw,
    layout: MapLayout,
    total: int,
    box: tuple[int, int, int, int],
    lang: str,
) -> None:
    left, top, width, height = box
    sites = layout.numbered
    heading = TEXT["list"].get(lang).replace("%(n)s", str(len(sites)))
    draw.text((left, top), heading, font=font(22, bold=True), fill=INK)
    if not sites:
        draw.text((left, top + 40), TEXT["none"].get(lang), font=font(19), fill=INK)
        return
    line = 27
    rows = max(1, (height - 70) // line)
    columns = 2 if len(sites) > rows else 1
    column_width = width // columns
    text_font = font(16)
    for index, site in enumerate(sites[: rows * columns]):
        column, row = divmod(index, rows)
        x = left + column * column_width
        y = top + 40 + row * line
        colour = _hex(band_of(layout.bands, site.score).colour)
        draw.ellipse((x, y + 1, x + 22, y + 23), fill=colour, outline=INK, width=1)
        text = f"{site.rank}. {site.category_label}"
        if site.area:
            text += f" · {site.area}"
        text += " · " + number_text(site.score, lang)
        draw.text(
            (x + 32, y + 12),
            _truncate(draw, text, column_width - 44, text_font),
            font=text_font,
            fill=INK,
            anchor="lm",
        )
    if total > len(sites):
        note = TEXT["more"].get(lang).replace("%(n)s", str(total - len(sites)))
        y = top + 40 + min(rows, len(sites)) * line + 6
        for part in _wrap(draw, note, width, font(15)):
            draw.text((left, y), part, font=font(15), fill=MUTED)
            y += 20


def number_text(value: float, lang: str) -> str:
    """A score with the language's decimal mark ('12,5' in Danish)."""
    text = f"{value:g}"
    return text if lang == "en" else text.replace(".", ",")


def render_map(
    sites: Sequence[SiteRow],
    areas: Sequence[AreaRow],
    boundary: Sequence[BaseGeometry],
    filter_text: str,
    printed: date,
    lang: str = "da",
    focus: BaseGeometry | None = None,
    top: int = DEFAULT_TOP,
) -> Image.Image:
    """Draw the A4 page; ``focus`` (an area) is kept in the extent with the sites."""
    return render_page(sites, areas, boundary, filter_text, printed, lang, focus, top)[0]


def render_page(
    sites: Sequence[SiteRow],
    areas: Sequence[AreaRow],
    boundary: Sequence[BaseGeometry],
    filter_text: str,
    printed: date,
    lang: str = "da",
    focus: BaseGeometry | None = None,
    top: int = DEFAULT_TOP,
) -> tuple[Image.Image, MapLayout]:
    """The A4 page and the layout it was drawn from (the label boxes, for tests)."""
    page = Image.new("RGB", A4_PORTRAIT, (255, 255, 255))
    draw = ImageDraw.Draw(page)
    width, height = A4_PORTRAIT
    draw.text((MARGIN, MARGIN - 10), TEXT["title"].get(lang), font=font(34, bold=True), fill=INK)
    draw.text(
        (MARGIN, MARGIN + 38),
        _truncate(draw, filter_text, width - 2 * MARGIN, font(19)),
        font=font(19),
        fill=INK,
    )
    draw.text(
        (MARGIN, MARGIN + 66),
        f"{TEXT['printed'].get(lang)} {long_date(printed, lang)}",
        font=font(19),
        fill=MUTED,
    )
    left, map_top, box_width, box_height = MARGIN, 170, width - 2 * MARGIN, 960
    layout = layout_map(sites, areas, boundary, box_width, box_height, focus, top)
    layer = Image.new("RGB", (box_width, box_height), (255, 255, 255))
    _draw_layout(ImageDraw.Draw(layer), layout, 0, 0)
    page.paste(layer, (left, map_top))
    draw.rectangle((left, map_top, left + box_width, map_top + box_height), outline=INK, width=2)
    below = map_top + box_height + 26
    legend_width = 420
    _legend(draw, layout, MARGIN, below, legend_width, lang)
    list_left = MARGIN + legend_width + 30
    _site_list(
        draw,
        layout,
        len(sites),
        (list_left, below, width - MARGIN - list_left, height - below - 90),
        lang,
    )
    footer_font = font(15)
    y = height - MARGIN - 30
    for line in _wrap(draw, TEXT["footer"].get(lang), width - 2 * MARGIN, footer_font):
        draw.text((MARGIN, y), line, font=footer_font, fill=MUTED)
        y += 20
    return page, layout


def _wrap(draw: ImageDraw.ImageDraw, text: str, width: int, text_font) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=text_font) > width and current:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def map_png(page: Image.Image) -> bytes:
    """The page as PNG (150 dpi)."""
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()
