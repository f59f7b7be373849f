"""Backup and restore of the SpatiaLite database with its media folder."""

import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from fieldaudit.backup import BackupError, restore_backup
from fieldaudit.models import Area
from tests.conftest import TEST_DB

spatialite_only = pytest.mark.skipif(TEST_DB != "spatialite", reason="SpatiaLite backups")


def area_count(db):
    return db.session.scalar(select(func.count()).select_from(Area))


@spatialite_only
def test_backup_and_restore_round_trip(app, runner, herlev, tmp_path):
    media = Path(app.config["MEDIA_DIR"])
    photo = media / "photos" / "ab" / "abc.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    archive = tmp_path / "backups" / "fieldaudit.tar.gz"

    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "database.sqlite", "media/photos/ab/abc.jpg"} <= names
    assert set(manifest["files"]) == {"database.sqlite", "media/photos/ab/abc.jpg"}

    herlev.session.execute(delete(Area))
    herlev.session.commit()
    photo.unlink()
    (media / "junk.txt").write_text("after the backup")
    herlev.session.remove()

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert area_count(herlev) == 23
    assert photo.read_bytes() == b"\xff\xd8 a photo"
    assert not (media / "junk.txt").exists()


@spatialite_only
def test_damaged_backup_restores_nothing(app, runner, herlev, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    database = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    before = database.read_bytes()
    with pytest.raises(BackupError):
        restore_backup(archive, database, Path(app.config["MEDIA_DIR"]))
    assert database.read_bytes() == before
    assert area_count(herlev) == 23


@pytest.mark.skipif(TEST_DB != "postgis", reason="PostGIS message")
def test_postgis_points_to_pg_dump(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x.tar.gz")])
    assert result.exit_code != 0 and "pg_dump" in result.output
