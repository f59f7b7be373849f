"""Charts that stay readable from 1 month to 10 years and from 1 to 20 categories, and the
status report as a real PDF (issue 14)."""

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from fieldaudit import report_review, statistics
from fieldaudit.review.charts import (
    FONT,
    WIDTH,
    bar_chart,
    label_every,
    month_chart,
    nice_ticks,
    wrap_label,
)
from fieldaudit.statistics import Month
from fieldaudit.taxonomy import CATEGORIES

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils")
SERIES = {"new": "Nye rapporter", "verified": "Bekræftet", "fixed": "Udbedret"}
READABLE = (10.0, 16.0)  # px of type when the chart is shown at its own width


def months(count: int) -> list[Month]:
    start_year, out = 2017, []
    for index in range(count):
        year, month = divmod(index, 12)
        out.append(
            Month(f"{start_year + year}-{month + 1:02d}", index % 7 + 1, index % 3, index % 2)
        )
    return out


def text_sizes(svg: str) -> list[float]:
    """The type size of every text in px at the chart's own width (its viewBox is its size)."""
    width = float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))
    view = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    root = float(re.search(r'<svg[^>]* font-size="([\d.]+)"', svg).group(1))
    sizes = [float(s) for s in re.findall(r'<text[^>]* font-size="([\d.]+)"', svg)]
    texts = len(re.findall(r"<text", svg))
    return [s * width / view for s in sizes + [root] * (texts - len(sizes))]


def x_labels(svg: str, baseline: float) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, y, text in re.findall(
            r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle">([^<]+)</text>', svg
        )
        if float(y) == baseline
    ]


@pytest.mark.parametrize("count", [1, 24, 120])
def test_month_charts_keep_readable_type_and_names_apart(count):
    shown = statistics.periods(months(count))
    svg = str(month_chart("m", "Pr. måned", shown, SERIES))
    sizes = text_sizes(svg)
    assert sizes and all(READABLE[0] <= s <= READABLE[1] for s in sizes)
    assert f'viewBox="0 0 {WIDTH} ' in svg  # the same width whatever the span
    height = float(re.search(r'<svg[^>]* height="([\d.]+)"', svg).group(1))
    assert height < 260  # never a chart over two pages
    labels = x_labels(svg, 10 + 170 + 18)
    assert labels, "periods are named on the axis"
    width = max(len(t) for _x, t in labels) * 0.6 * FONT
    for (x1, _a), (x2, _b) in pairwise(labels):
        assert x2 - x1 >= width, "names never touch"
    assert svg.count('class="series-new"') == len(shown)


def test_long_spans_are_grouped_and_the_table_has_the_same_numbers():
    ten_years = months(120)
    years = statistics.periods(ten_years)
    assert [p.month for p in years] == [str(y) for y in range(2017, 2027)]
    assert sum(p.new for p in years) == sum(m.new for m in ten_years)
    quarters = statistics.periods(months(36), "da")
    assert quarters[0].month == "2017 K1" and len(quarters) == 12
    assert statistics.periods(months(36), "en")[0].month == "2017 Q1"
    assert statistics.periods(months(24)) == months(24)


@pytest.mark.parametrize("count", [1, 20])
def test_category_charts_keep_readable_type_and_whole_names(count):
    rows = [(c.label.da, (i * 37) % 50 + 1) for i, c in enumerate(CATEGORIES[:count])]
    svg = str(bar_chart("c", "Rapporter pr. kategori", rows))
    sizes = text_sizes(svg)
    assert all(READABLE[0] <= s <= READABLE[1] for s in sizes)
    assert f'viewBox="0 0 {WIDTH} ' in svg
    assert "…" not in svg  # every category's name fits in two lines
    height = float(re.search(r'<svg[^>]* height="([\d.]+)"', svg).group(1))
    assert height <= 40 + count * 38
    for label, value in rows:
        assert f"{label}: {value}" in svg  # the description has every number


def test_nice_ticks():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(23) == [0, 10, 20, 30]
    assert nice_ticks(1234) == [0, 500, 1000, 1500]
    assert nice_ticks(20) == [0, 5, 10, 15, 20]
    assert nice_ticks(10) == [0, 5, 10]  # whole numbers for counts, never 7,5
    assert nice_ticks(90) == [0, 25, 50, 75, 100]
    assert label_every(120, 30, 580) == 8 and label_every(3, 55, 580) == 1


@needs_poppler
def test_status_report_pdf(client, db, login, make_report, make_user, tmp_path):
    reviewer = make_user("reviewer")
    start = datetime(2024, 1, 5, tzinfo=UTC)
    for index in range(30):
        created = (start + timedelta(days=index * 25)).isoformat()
        report = make_report(
            dx=index * 60, category=CATEGORIES[index % 20].code, created_at=created, measurements={}
        )
        if index % 3 == 0:
            report_review.verify_report(db.session, report, reviewer)
    db.session.commit()
    login("reviewer")
    response = client.get("/gennemgang/statistik/statusrapport.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    response.close()
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in (
        "Tilgængelighed i Herlevs byrum: statusrapport",
        "Nøgletal",
        "Nye, bekræftede og udbedrede pr. måned",
        "Åbne barrierer med høj alvor",
        "Udbedret de sidste 90 dage",
        "Rapporter pr. kategori",
        "Rapporter pr. målgruppe",
    ):
        assert heading in text, heading
    assert "heraf" in text and "Hent rapporten som PDF" not in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(path)], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )
    # a section's heading, its chart and its table share a page (no break cuts them)
    for page in range(1, pages + 1):
        one = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for heading, names in (
            (
                "Rapporter pr. kategori",
                [c.label.da for c in CATEGORIES if len(wrap_label(c.label.da)) == 1],
            ),
            ("Nye, bekræftede og udbedrede pr. måned", ["2024 K1"]),
        ):
            if heading in one:
                for name in names:  # in the chart and in its table, on the heading's page
                    assert one.count(name) >= 2, (page, heading, name)
    assert "statusrapport.pdf" in client.get("/gennemgang/statistik/statusrapport").get_data(
        as_text=True
    )
