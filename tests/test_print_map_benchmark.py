"""The printed priority map with the 100,000-report benchmark data set (issue 14): the top 25
numbered without overlap and all on the map, the PDF's text holds the numbered list."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from fieldaudit.bench.clustering import build_sites
from fieldaudit.bench.generate import AreaLocator, generate, locate_areas
from fieldaudit.bench.load import areas_from_database, load
from fieldaudit.exports.rows import area_rows, boundary, site_rows
from fieldaudit.planning import printing
from fieldaudit.planning.domain import ALL, SiteFilter, ranked_sites
from fieldaudit.site_rebuild import rebuild
from tests.test_print_map import check_labels

REPORTS = 100_000


@pytest.fixture
def benchmark_data(db, herlev):
    """The benchmark generator's 100,000 reports, clustered into sites and bulk loaded."""
    areas = areas_from_database(db.session)
    dataset = generate(REPORTS, areas, seed=7)
    locate_areas(dataset.reports, AreaLocator(areas))
    sites = build_sites(dataset.reports, AreaLocator(areas))
    db.session.commit()
    db.session.remove()
    load(db.engine, dataset.reports, sites)
    count = rebuild(db.session)  # the bulk path scores every site
    db.session.commit()
    return count


def test_priority_map_of_the_benchmark_data(app, db, benchmark_data, tmp_path):
    started = time.perf_counter()
    sites, total = ranked_sites(db.session, SiteFilter(status=ALL))
    rows = site_rows(db.session, sites)
    areas, outline = area_rows(db.session), boundary(db.session)
    queried = time.perf_counter() - started
    assert total == benchmark_data > 1000
    started = time.perf_counter()
    from fieldaudit.exports.map_layout import layout_map

    layout = layout_map(rows, areas, outline, *printing.MAP_BOX)
    check_labels(layout, 25)
    assert layout.dotted_sites > 0.9 * (total - 25) and 0 < len(layout.dots) < layout.dotted_sites
    with app.test_request_context():
        png = printing.priority_map_png(rows, areas, outline, "Status: alle steder", _today(), "da")
        pdf = printing.priority_map_pdf(
            rows, areas, outline, "Status: alle steder", _today(), lang="da"
        )
    drawn = time.perf_counter() - started
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    print(
        f"\n{total} sites: query+rows {queried:.1f} s, layout+PNG+PDF {drawn:.1f} s, PDF {len(pdf) // 1024} KB"
    )
    shots = Path("/tmp/print-look")
    if shots.is_dir():
        (shots / "bench.png").write_bytes(png)
        (shots / "bench.pdf").write_bytes(pdf)
    if shutil.which("pdftotext"):
        path = tmp_path / "map.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "De 25 vigtigste steder (nummer = rang)" in text
        assert f"{total - 25} andre steder i filteret" in text
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        assert "Pages:           1\n" in info.stdout  # the map and its list on one page
        for row in rows[:25]:
            assert row.category_label.split()[0] in text


def _today():
    from datetime import date

    return date(2026, 12, 6)
