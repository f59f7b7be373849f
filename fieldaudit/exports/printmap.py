"""A printable priority map on A4 (PNG and PDF), drawn with Pillow in EPSG:25832.

The page shows the municipal boundary and the areas, the sites as numbered circles coloured by
priority band (number = rank in the list), a legend, a scale bar, a north arrow pointing to
true north (grid north of UTM 32N differs by about 3° in Herlev), the filter and the date,
and the ranked list of the numbered sites under the map.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from fieldaudit.crs import to_metric, to_wgs84
from fieldaudit.exports.rows import AreaRow, SiteRow
from fieldaudit.priority import PRIORITY_CLASSES
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
    "list": Label("Nummererede steder (nummer = rang)", "Numbered sites (number = rank)"),
    "more": Label("flere steder i listen på nettet", "more sites in the list online"),
    "none": Label("Ingen steder passer til filteret.", "No sites match the filter."),
    "footer": Label(
        "FieldAudit · Koordinater ETRS89 / UTM 32N (EPSG:25832) · Områdegrænser er omtrentlige, "
        "hvis ikke kommunens egne kort er indlæst.",
        "FieldAudit · Coordinates ETRS89 / UTM 32N (EPSG:25832) · Area outlines are "
        "approximate unless the municipality's own layers are loaded.",
    ),
    "points": Label("point", "points"),
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


@dataclass(frozen=True)
class Frame:
    """Where EPSG:25832 metres land on the page."""

    left: int
    top: int
    width: int
    height: int
    min_x: float
    max_y: float
    scale: float  # pixels per metre

    def px(self, x: float, y: float) -> tuple[float, float]:
        """Page pixel of a map coordinate."""
        return (
            self.left + (x - self.min_x) * self.scale,
            self.top + (self.max_y - y) * self.scale,
        )


def fit(bounds: tuple[float, float, float, float], box: tuple[int, int, int, int]) -> Frame:
    """A frame showing ``bounds`` (padded 4 %) centred in the pixel box, same scale on x and y."""
    min_x, min_y, max_x, max_y = bounds
    pad = 0.04 * max(max_x - min_x, max_y - min_y, 200.0)
    min_x, min_y, max_x, max_y = min_x - pad, min_y - pad, max_x + pad, max_y + pad
    left, top, width, height = box
    scale = min(width / (max_x - min_x), height / (max_y - min_y))
    offset_x = (width - (max_x - min_x) * scale) / 2
    offset_y = (height - (max_y - min_y) * scale) / 2
    return Frame(
        left, top, width, height, min_x - offset_x / scale, max_y + offset_y / scale, scale
    )


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [p for g in getattr(geometry, "geoms", []) for p in _polygons(g)]


def _draw_polygon(draw: ImageDraw.ImageDraw, frame: Frame, polygon: Polygon, **style) -> None:
    ring = [frame.px(x, y) for x, y in polygon.exterior.coords]
    draw.polygon(
        ring, fill=style.get("fill"), outline=style.get("outline"), width=style.get("width", 1)
    )
    for hole in polygon.interiors:
        draw.polygon([frame.px(x, y) for x, y in hole.coords], fill=WATER_WHITE)


def _scale_bar(draw: ImageDraw.ImageDraw, frame: Frame, lang: str) -> None:
    target = frame.width / 4 / frame.scale
    length = max((n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000) if n <= target), default=50)
    x0 = frame.left + 24
    y0 = frame.top + frame.height - 44
    segment = length * frame.scale / 2
    draw.rectangle((x0 - 10, y0 - 34, x0 + 2 * segment + 60, y0 + 22), fill=(255, 255, 255))
    for i in range(2):
        draw.rectangle(
            (x0 + i * segment, y0, x0 + (i + 1) * segment, y0 + 12),
            fill=INK if i == 0 else (255, 255, 255),
            outline=INK,
            width=2,
        )
    label_font = font(20)
    unit = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    draw.text((x0, y0 - 6), "0", font=label_font, fill=INK, anchor="md")
    draw.text((x0 + 2 * segment, y0 - 6), unit, font=label_font, fill=INK, anchor="md")


def _north_arrow(draw: ImageDraw.ImageDraw, frame: Frame) -> None:
    centre_x = frame.min_x + frame.width / 2 / frame.scale
    centre_y = frame.max_y - frame.height / 2 / frame.scale
    lon, lat = to_wgs84(centre_x, centre_y)
    north_x, north_y = to_metric(lon, lat + 0.01)
    angle = math.atan2(north_x - centre_x, north_y - centre_y)  # true north, from grid north
    cx, cy = frame.left + frame.width - 60, frame.top + 80
    draw.ellipse((cx - 44, cy - 58, cx + 44, cy + 46), fill=(255, 255, 255), outline=MUTED)

    def rotate(dx: float, dy: float) -> tuple[float, float]:
        return (
            cx + dx * math.cos(angle) - dy * math.sin(angle),
            cy + dx * math.sin(angle) + dy * math.cos(angle),
        )

    tip, left, right, tail = rotate(0, -34), rotate(-16, 18), rotate(16, 18), rotate(0, 8)
    draw.polygon([tip, left, tail], fill=INK)
    draw.polygon([tip, right, tail], fill=(255, 255, 255), outline=INK)
    draw.line([tip, left, tail, right, tip], fill=INK, width=2)
    draw.text(rotate(0, -44), "N", font=font(22, bold=True), fill=INK, anchor="mm")


def _legend(draw: ImageDraw.ImageDraw, left: int, top: int, lang: str) -> int:
    draw.text((left, top), TEXT["legend"].get(lang), font=font(22, bold=True), fill=INK)
    y = top + 36
    bands = list(PRIORITY_CLASSES)
    for index, band in enumerate(bands):
        colour = _hex(band.colour)
        draw.ellipse((left, y, left + 26, y + 26), fill=colour, outline=INK, width=2)
        upper = bands[index + 1].minimum if index + 1 < len(bands) else None
        span = f"{band.minimum:g}–{upper:g}" if upper is not None else f"≥ {band.minimum:g}"
        draw.text(
            (left + 38, y + 13),
            f"{band.label.get(lang)} ({span} {TEXT['points'].get(lang)})",
            font=font(19),
            fill=INK,
            anchor="lm",
        )
        y += 34
    draw.rectangle((left, y + 4, left + 26, y + 26), fill=AREA_FILL, outline=AREA_LINE, width=2)
    draw.text((left + 38, y + 15), TEXT["areas"].get(lang), font=font(19), fill=INK, anchor="lm")
    y += 34
    draw.line((left, y + 15, left + 26, y + 15), fill=BOUNDARY, width=4)
    draw.text((left + 38, y + 15), TEXT["boundary"].get(lang), font=font(19), fill=INK, anchor="lm")
    return y + 34


def _truncate(draw: ImageDraw.ImageDraw, text: str, width: int, text_font) -> str:
    if draw.textlength(text, font=text_font) <= width:
        return text
    while text and draw.textlength(text + "…", font=text_font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _site_list(
    draw: ImageDraw.ImageDraw,
    sites: Sequence[SiteRow],
    box: tuple[int, int, int, int],
    lang: str,
) -> None:
    left, top, width, height = box
    draw.text((left, top), TEXT["list"].get(lang), font=font(22, bold=True), fill=INK)
    if not sites:
        draw.text((left, top + 40), TEXT["none"].get(lang), font=font(19), fill=INK)
        return
    line = 27
    rows = max(1, (height - 40) // line)
    columns = 2 if width > 700 else 1
    column_width = width // columns
    capacity = rows * columns
    shown = sites[:capacity] if len(sites) <= capacity else sites[: capacity - 1]
    text_font = font(17)
    for index, site in enumerate(shown):
        column, row = divmod(index, rows)
        x = left + column * column_width
        y = top + 40 + row * line
        colour = _hex(PRIORITY_CLASSES[site.priority_class - 1].colour)
        draw.ellipse((x, y + 1, x + 22, y + 23), fill=colour, outline=INK, width=1)
        text = f"{site.rank}. {site.category_label}"
        if site.area:
            text += f" · {site.area}"
        text += f" · {site.score:g}".replace(".", "," if lang != "en" else ".")
        draw.text(
            (x + 32, y + 12),
            _truncate(draw, text, column_width - 44, text_font),
            font=text_font,
            fill=INK,
            anchor="lm",
        )
    if len(shown) < len(sites):
        column, row = divmod(len(shown), rows)
        draw.text(
            (left + column * column_width + 32, top + 40 + row * line + 12),
            f"+ {len(sites) - len(shown)} {TEXT['more'].get(lang)}",
            font=text_font,
            fill=MUTED,
            anchor="lm",
        )


def render_map(
    sites: Sequence[SiteRow],
    areas: Sequence[AreaRow],
    boundary: Sequence[BaseGeometry],
    filter_text: str,
    printed: date,
    lang: str = "da",
    focus: BaseGeometry | None = None,
) -> Image.Image:
    """Draw the A4 page; ``focus`` (an area) narrows the map to it and its sites."""
    page = Image.new("RGB", A4_PORTRAIT, (255, 255, 255))
    draw = ImageDraw.Draw(page)
    width, _height = A4_PORTRAIT
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

    map_box = (MARGIN, 170, width - 2 * MARGIN, 1000)
    extent_shapes: list[BaseGeometry] = []
    if focus is not None:
        extent_shapes.append(focus)
    elif boundary:
        extent_shapes.extend(boundary)
    else:
        extent_shapes.extend(a.geometry for a in areas)
    xs = [b for g in extent_shapes for b in (g.bounds[0], g.bounds[2])]
    ys = [b for g in extent_shapes for b in (g.bounds[1], g.bounds[3])]
    xs += [s.easting for s in sites]
    ys += [s.northing for s in sites]
    if not xs:
        xs, ys = [712_950.0, 717_240.0], [6_178_860.0, 6_184_570.0]  # Herlev (DOMAIN.md)
    frame = fit((min(xs), min(ys), max(xs), max(ys)), map_box)

    layer = Image.new("RGB", A4_PORTRAIT, (255, 255, 255))
    map_draw = ImageDraw.Draw(layer)
    for area in areas:
        for polygon in _polygons(area.geometry):
            _draw_polygon(map_draw, frame, polygon, fill=AREA_FILL, outline=AREA_LINE, width=2)
    for shape in boundary:
        for polygon in _polygons(shape):
            ring = [frame.px(x, y) for x, y in polygon.exterior.coords]
            map_draw.line(ring, fill=BOUNDARY, width=4, joint="curve")
    number_font = font(15, bold=True)
    taken: list[tuple[float, float, float, float]] = []
    for site in reversed(sites):  # the first ranks on top
        x, y = frame.px(site.easting, site.northing)
        colour = _hex(PRIORITY_CLASSES[site.priority_class - 1].colour)
        radius = 15 if site.rank < 100 else 19
        map_draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=colour, outline=INK, width=2
        )
        map_draw.text((x, y), str(site.rank), font=number_font, fill=_text_on(colour), anchor="mm")
        taken.append((x - radius, y - radius, x + radius, y + radius))
    _area_labels(map_draw, frame, areas, taken, map_box)
    left, top, box_width, box_height = map_box
    page.paste(layer.crop((left, top, left + box_width, top + box_height)), (left, top))
    draw.rectangle((left, top, left + box_width, top + box_height), outline=INK, width=2)
    _scale_bar(draw, frame, lang)
    _north_arrow(draw, frame)

    below = top + box_height + 30
    legend_bottom = _legend(draw, MARGIN, below, lang)
    list_left = MARGIN + 430
    _site_list(
        draw,
        sites,
        (list_left, below, width - MARGIN - list_left, A4_PORTRAIT[1] - below - 110),
        lang,
    )
    del legend_bottom
    footer_font = font(15)
    footer = TEXT["footer"].get(lang)
    y = A4_PORTRAIT[1] - MARGIN - 30
    for line in _wrap(draw, footer, width - 2 * MARGIN, footer_font):
        draw.text((MARGIN, y), line, font=footer_font, fill=MUTED)
        y += 20
    return page


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _area_labels(
    draw: ImageDraw.ImageDraw,
    frame: Frame,
    areas: Sequence[AreaRow],
    taken: list[tuple[float, float, float, float]],
    box: tuple[int, int, int, int],
) -> None:
    """Name the areas below, above or inside their outline, wherever no site or label is."""
    label_font = font(16)
    left, top, width, height = box
    inside = (left + 4, top + 4, left + width - 4, top + height - 4)
    for area in sorted(areas, key=lambda a: -a.geometry.area):
        _min_x, min_y, _max_x, max_y = area.geometry.bounds
        centre = area.geometry.representative_point()
        cx = frame.px(centre.x, centre.y)[0]
        candidates = [
            (cx, frame.px(0, min_y)[1] + 12),
            (cx, frame.px(0, max_y)[1] - 12),
            frame.px(centre.x, centre.y),
        ]
        for x, y in candidates:
            bbox = draw.textbbox((x, y), area.stats.name, font=label_font, anchor="mm")
            fits = inside[0] <= bbox[0] and bbox[2] <= inside[2]
            fits = fits and inside[1] <= bbox[1] and bbox[3] <= inside[3]
            if fits and not any(_overlaps(bbox, other) for other in taken):
                draw.text(
                    (x, y),
                    area.stats.name,
                    font=label_font,
                    fill=(40, 70, 35),
                    anchor="mm",
                    stroke_width=3,
                    stroke_fill=(255, 255, 255),
                )
                taken.append(bbox)
                break


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


def map_pdf(page: Image.Image, title: str = "FieldAudit") -> bytes:
    """The page as a one-page A4 PDF."""
    out = io.BytesIO()
    page.save(out, "PDF", resolution=float(DPI), title=title, author="FieldAudit")
    return out.getvalue()
