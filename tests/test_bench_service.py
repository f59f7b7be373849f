"""Benchmarks 4, 5 and the PWA payload at a small size (so they cannot rot): a short
submission run under gunicorn + wrk on this test database, a few 12 MP photo ingests, the
first-load bytes. No timing is asserted: only that each runs and gives sane, honest answers.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from scripts.bench.payload import bench_payload
from scripts.bench.photo_ingest import (
    bench_photo_ingest,
    fieldaudit_ingest,
    make_photo,
    minimal_ingest,
)
from scripts.bench.submission import (
    measure_submission,
    profile_submission,
    submission_figure,
    wrk_available,
)

from .conftest import TEST_DB


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and len(image.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
    assert b"Exif\x00\x00" not in data


def test_submission_throughput_runs_without_errors_and_stores_every_report(
    app, herlev, tmp_path: Path
):
    assert wrk_available(), "wrk is missing: scripts/setup.sh test installs it"
    herlev.session.remove()
    result = measure_submission(
        TEST_DB,
        database_url=app.config["DATABASE_URL"],
        runs=1,
        seconds=1,
        warmup=1,
        workers=1,
        threads=2,
        connections=4,
        folder=tmp_path,
        progress=print,
    )
    assert result.errors == 0
    (run,) = result.app_runs
    assert run.created > 0 and run.requests == run.created
    # Every 201 is stored; at most the requests in flight when wrk stopped come on top.
    assert run.created <= run.stored <= run.created + result.connections
    assert result.trivial_runs[0].errors == 0 and result.trivial_runs[0].created > 0
    figure = submission_figure(result)
    assert figure.database == TEST_DB and figure.samples and figure.baseline
    assert "reports/s" in figure.note and figure.ratio and figure.ratio > 0


def test_submission_profile_lists_the_steps_of_the_view(app, herlev, tmp_path: Path):
    herlev.session.remove()
    text = profile_submission(
        TEST_DB, runs=6, warmup=2, folder=tmp_path, database_url=app.config["DATABASE_URL"]
    )
    assert "api/reports.py" in text and "store_report" in text and "join_new_report" in text


def test_photo_benchmark_pipelines_make_the_same_clean_output(tmp_path: Path):
    assert make_photo(400, 300) == make_photo.__wrapped__(400, 300)  # deterministic
    data = make_photo()
    source = Image.open(io.BytesIO(data))
    assert source.size == (4000, 3000) and source.getexif()[0x0112] == 6  # orientation 6
    assert source.getexif().get_ifd(0x8825)  # GPS
    (tmp_path / "fa").mkdir()
    (tmp_path / "plain").mkdir()
    assert fieldaudit_ingest(data, tmp_path / "fa") == (1200, 1600)  # turned upright
    assert minimal_ingest(data, tmp_path / "plain") == (240, 320)  # its thumbnail
    ours = sorted((tmp_path / "fa" / "photos").rglob("*.jpg"), key=lambda p: p.stat().st_size)
    theirs = sorted((tmp_path / "plain").glob("*.jpg"), key=lambda p: p.stat().st_size)
    for mine, plain in zip(ours, theirs, strict=True):
        with Image.open(mine) as a, Image.open(plain) as b:
            assert a.size == b.size
        assert_no_metadata(mine.read_bytes())
        assert_no_metadata(plain.read_bytes())


def test_photo_benchmark_gives_a_figure_with_its_baseline():
    (figure,) = bench_photo_ingest(runs=2)
    assert len(figure.samples) == len(figure.baseline) == 2
    assert figure.ratio and figure.ratio > 0.5 and "EXIF" in figure.note


def test_payload_figure_counts_the_first_load_in_kilobytes():
    (figure,) = bench_payload()
    # Kilobytes in the "ms" columns: a first load of some tens of KB without Leaflet, which
    # comes only when the map is opened (issue 17) and is counted after the first load.
    assert 10 < figure.median_ms < 1000
    assert figure.baseline_ms and figure.baseline_ms > 30
    assert "KB gzipped" in figure.note and "/api/v1/areas" in figure.note
    assert "leaflet.js" in figure.note.split("fetched after the first load")[1]
