"""The printed priority map (issue 14): the top N numbered without overlap, other sites as dots,
the extent fitting the filter, an overview; PNG and a real PDF (vector map, text, fonts)."""

import io
import itertools
import random
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from fieldaudit import report_review
from fieldaudit.exports.label_placement import Anchor, inside, overlaps, place_labels
from fieldaudit.exports.map_layout import DEFAULT_TOP, MapLayout, layout_map
from fieldaudit.exports.printmap import A4_PORTRAIT, render_page
from fieldaudit.exports.rows import SiteRow

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils")
CATEGORIES = ("step", "kerb", "narrow_passage", "surface", "obstacle", "missing_ramp")


def check_labels(layout: MapLayout, expected: int) -> None:
    """No two number labels overlap; every one is on the map and clear of the furniture."""
    boxes = [label.placed.box for label in layout.labels]
    assert len(boxes) == expected, "every top-N site has its number on the map"
    for a, b in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), (a, b)
    frame = (0, 0, layout.width, layout.height)
    for box in boxes:
        assert inside(box, frame)
        assert not any(overlaps(box, other) for other in layout.obstacles)
    assert sorted(label.rank for label in layout.labels) == list(range(1, expected + 1))


def row(rank: int, x: float, y: float, score: float, **fields) -> SiteRow:
    """A ranked site row at EPSG:25832 x, y (no database needed)."""
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    values = {
        "rank": rank, "site_id": rank, "category": "step", "category_label": "Trin",
        "severity": "high", "severity_label": "Høj", "status": "verified",
        "status_label": "Bekræftet", "score": score, "priority_class": 5, "explanation": "",
        "area": "Herlev Station", "groups": ("WHEEL",), "report_count": 1,
        "confirmation_count": 0, "no_alternative_route": False, "planned_year": None,
        "planned_cost_dkk": None, "first_seen": moment, "last_seen": moment, "easting": x,
        "northing": y, "lon": 12.44, "lat": 55.72,
    }  # fmt: skip
    return SiteRow(**{**values, **fields})


@pytest.fixture
def six_sites(db, herlev, make_report, make_user):
    """Six verified sites within 10 m of each other at Herlev Station (one per category)."""
    reviewer = make_user("reviewer")
    for index, code in enumerate(CATEGORIES):
        report = make_report(
            dx=(index % 3) * 4, dy=(index // 3) * 4, category=code, measurements={}
        )
        report_review.verify_report(db.session, report, reviewer)
    db.session.commit()


def _rows(db):
    from fieldaudit.exports.rows import site_rows
    from fieldaudit.planning.domain import SiteFilter, ranked_sites

    sites, _ = ranked_sites(db.session, SiteFilter())
    return site_rows(db.session, sites)


def test_six_close_sites_are_all_numbered_and_none_covers_another(db, six_sites):
    from fieldaudit.exports.rows import area_rows, boundary

    rows = _rows(db)
    assert len(rows) == 6
    page, layout = render_page(
        rows, area_rows(db.session), boundary(db.session), "Status", date(2026, 12, 1)
    )
    assert page.size == A4_PORTRAIT
    check_labels(layout, 6)
    assert any(label.placed.moved for label in layout.labels), "close sites need leader lines"
    assert not layout.dots
    # the extent fits the six sites (tens of metres), not the whole municipality
    assert layout.width / layout.frame.scale < 1500
    assert layout.overview is not None  # so the overview shows where this is


def test_dense_synthetic_set_numbers_only_the_top_n():
    rng = random.Random(14)
    hot_spots = [(715_300 + rng.uniform(-40, 40), 6_179_600 + rng.uniform(-40, 40))]
    hot_spots += [
        (rng.uniform(713_000, 717_200), rng.uniform(6_178_900, 6_184_500)) for _ in range(40)
    ]
    rows = []
    for rank in range(1, 20_001):
        cx, cy = hot_spots[0] if rank <= 40 else rng.choice(hot_spots)
        spread = 30 if rank <= 40 else 400
        rows.append(
            row(rank, cx + rng.gauss(0, spread), cy + rng.gauss(0, spread), 2000 - rank * 0.09)
        )
    layout = layout_map(rows, [], [], 1120, 960)
    check_labels(layout, DEFAULT_TOP)
    assert layout.dotted_sites > 15_000  # the others are dots (close ones share one)
    assert len(layout.dots) < layout.dotted_sites
    assert {label.band.number for label in layout.labels} >= {5}


def test_placement_keeps_the_first_rank_in_place_and_gives_up_only_when_full():
    anchors = [Anchor(n, 100, 100, 30) for n in range(1, 6)]
    placed = place_labels(anchors, (0, 0, 400, 400))
    assert placed[0].centre == (100, 100) and not placed[0].moved
    assert all(p.moved and p.leader() for p in placed[1:])
    crowded = place_labels([Anchor(n, 15, 15, 30) for n in range(1, 10)], (0, 0, 64, 64))
    assert len(crowded) == 4  # a 64 px frame holds four 30 px labels, no more


def test_more_than_n_sites_and_top_is_adjustable():
    rows = [row(r, 714_000 + r * 20, 6_180_000 + (r % 7) * 15, 500 - r) for r in range(1, 61)]
    layout = layout_map(rows, [], [], 1120, 960, top=10)
    check_labels(layout, 10)
    assert layout.dotted_sites == len(layout.dots) == 50


@needs_poppler
def test_priority_map_pdf_is_real(client, db, login, six_sites, tmp_path):
    login("planner")
    response = client.get("/planlaegning/eksport.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    response.close()
    assert data.startswith(b"%PDF") and b"/DCTDecode" not in data  # no page photographed
    path = tmp_path / "map.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Barrierer i Herlev efter prioritet" in text
    assert "De 6 vigtigste steder (nummer = rang)" in text
    for rank in range(1, 7):
        assert re.search(rf"^\s*{rank}\s+\S", text, flags=re.M), rank
    assert "Prioritet" in text and "de øverste 2 %" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVu" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\b", info)
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info)  # landscape


def test_priority_map_png(client, db, login, six_sites):
    login("planner")
    response = client.get("/planlaegning/eksport.png")
    image = Image.open(io.BytesIO(response.data))
    response.close()
    assert image.size == A4_PORTRAIT and round(image.info["dpi"][0]) == 150


def test_row_helper_matches_site_rows():
    assert replace(row(1, 0, 0, 1), rank=2).rank == 2


def test_names_in_the_map_svg_stay_text():
    from fieldaudit.exports.map_svg import map_svg

    layout = layout_map([row(1, 714_000, 6_180_000, 10)], [], [], 1120, 960)
    layout.area_names = [('<script>alert(1)</script>"', (100.0, 100.0))]
    svg = str(map_svg(layout, "Kort & <liste>"))
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in svg
    assert "<title>Kort &amp; &lt;liste&gt;</title>" in svg
