"""``fieldaudit check``: the database and the media folder agree, and --repair cleans up."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from fieldaudit import create_app
from fieldaudit.consistency import check_media, remove_stale_staging
from fieldaudit.photos import TMP_DIR


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def write(path: Path, data: bytes, age_s: float = 0) -> Path:
    """Write a file whose modification time lies ``age_s`` seconds back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    moment = time.time() - age_s
    os.utime(path, (moment, moment))
    return path


def test_a_clean_store_has_no_problems(runner, db, make_report, make_photo):
    make_photo(make_report())
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "0 problems; 1 photo rows and 2 files checked" in result.output


def test_every_kind_of_problem_is_found_and_orphans_repaired(
    app, runner, db, make_report, make_photo
):
    media = Path(app.config["MEDIA_DIR"])
    first, second = make_report(), make_report(dx=50)
    photo = make_photo(first)
    broken = make_photo(second, colour=(10, 200, 10))
    (media / broken.display_name).unlink()
    (media / photo.thumb_name).write_bytes(b"not the thumbnail")
    orphan = write(media / "photos" / "ab" / ("ab" + "0" * 62 + ".jpg"), b"left over", 7200)
    staging = write(media / TMP_DIR / f"{dead_pid()}-abc.jpg", b"half")
    live = write(media / TMP_DIR / f"{os.getpid()}-in-progress.jpg", b"being written")

    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    for kind in (
        "missing_file: photo",
        "wrong_content: photo",
        f"report_missing_photos: report {second.id}",
        "orphan_file:",
        "temporary_file:",
    ):
        assert kind in result.output, result.output
    assert "in-progress" not in result.output  # a live request's staging file is left alone
    assert "6 problems" in result.output  # both reports count as incomplete

    repaired = runner.invoke(args=["check", "--repair"])
    assert "Removed 2 orphan or staging files." in repaired.output
    assert repaired.exit_code == 1  # a missing photo cannot be repaired: it is reported
    assert not orphan.exists() and not staging.exists() and live.exists()
    assert "4 problems" in repaired.output


def test_a_new_orphan_is_reported_but_kept_unless_min_age_0(app, runner, db):
    media = Path(app.config["MEDIA_DIR"])
    orphan = write(media / "photos" / "cd" / ("cd" + "1" * 62 + ".jpg"), b"x")
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 1 and "may be in progress" in result.output and orphan.exists()
    result = runner.invoke(args=["check", "--repair", "--min-age", "0"])
    assert result.exit_code == 0 and not orphan.exists()


def test_startup_removes_staging_files_of_ended_processes(app, db):
    media = Path(app.config["MEDIA_DIR"])
    stale = write(media / TMP_DIR / f"{dead_pid()}-x.jpg", b"half")
    unnamed_old = write(media / TMP_DIR / "tmpabc.jpg", b"old", 7200)
    unnamed_new = write(media / TMP_DIR / "tmpdef.jpg", b"new")
    create_app({**app.config, "DATABASE_URL": app.config["DATABASE_URL"]})
    assert not stale.exists() and not unnamed_old.exists() and unnamed_new.exists()
    assert remove_stale_staging(media) == 0
    assert not check_media(db.session, media).findings


def test_check_finds_stale_site_cells_and_repair_recounts_them(runner, db, make_public_report):
    from sqlalchemy import update

    from fieldaudit.models import BarrierSite

    make_public_report()
    make_public_report(dx=500)
    db.session.execute(update(BarrierSite).values(status="rejected"))  # bypasses the ORM
    db.session.commit()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    # Two sites 500 m apart: their own cells at 10 to 200 m (and 500 m), shared ones above.
    assert "site_cells (10," in result.output
    assert int(result.output.splitlines()[-1].split()[0]) >= 11
    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "Recounted the map's site cells" in repaired.output
    assert "0 problems" in repaired.output
