"""Backup and restore of the SpatiaLite database with its media folder."""

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from fieldaudit.backup import BackupError, restore_backup
from fieldaudit.config import private_originals_dir
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
        restore_backup(archive, database, Path(app.config["MEDIA_DIR"]), private_dir(app))
    assert database.read_bytes() == before
    assert area_count(herlev) == 23


@pytest.mark.skipif(TEST_DB != "postgis", reason="PostGIS message")
def test_postgis_points_to_pg_dump(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x.tar.gz")])
    assert result.exit_code != 0 and "pg_dump" in result.output


# --- Tampered archives (issue 12, hole 5): each is refused and changes nothing. ---------------


def database_file(app) -> Path:
    return Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))


def private_dir(app) -> Path:
    return private_originals_dir(app.config)


def folder_state(name: str, folder: Path) -> dict[str, bytes]:
    """Each file's bytes and each folder's name (as an empty value) under ``folder``."""
    state = {
        f"{name}/{p.relative_to(folder)}": p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    state.update({f"{name}-dir/{p.relative_to(folder)}": b"" for p in folder.rglob("*")})
    return state


def installation(app) -> dict[str, bytes]:
    """Every byte of the installation: the database file(s), each media file and each private
    original."""
    database = database_file(app)
    state = {
        path.name: path.read_bytes()
        for path in database.parent.iterdir()
        if path.name.startswith(database.name)
    }
    state.update(folder_state("media", Path(app.config["MEDIA_DIR"])))
    state.update(folder_state("private", private_dir(app)))
    return state


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def tar_link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, b""


FIRST_FORMAT = "fieldaudit-backup/1"  # before the private originals were backed up
FORMAT = "fieldaudit-backup/2"
ORIGINAL = "photos/ab/abc-original.jpg"  # a private original: named like the photo it was


def write_archive(path: Path, members, files: dict[str, str], fmt: str = FIRST_FORMAT) -> Path:
    """A .tar.gz with manifest.json listing ``files`` (name -> sha256), then ``members``."""
    manifest = json.dumps({"format": fmt, "created": "now", "files": files})
    with tarfile.open(path, "w:gz") as tar:
        for info, data in [tar_file("manifest.json", manifest.encode()), *members]:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def sqlite_bytes(tmp_path: Path, *statements: str) -> bytes:
    path = tmp_path / f"other-{len(statements)}.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    return path.read_bytes()


@pytest.fixture
def good_backup(app, runner, herlev, tmp_path):
    """A real backup's database and photo, the installation afterwards changed (a newer state)."""
    media = Path(app.config["MEDIA_DIR"])
    photo = media / "photos" / "ab" / "abc.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    archive = tmp_path / "good.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        database = tar.extractfile("database.sqlite").read()
    (media / "photos" / "ab" / "new.jpg").write_bytes(b"\xff\xd8 taken after the backup")
    kept = private_dir(app) / ORIGINAL  # redacted after the backup
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"\xff\xd8 the unredacted picture")
    herlev.session.remove()
    herlev.engine.dispose()  # the WAL is checkpointed now, not by the restore command
    return database, photo.read_bytes()


def attack(name, tmp_path, database, photo):
    """The members and manifest of each tampered archive."""
    db_entry = tar_file("database.sqlite", database)
    photo_entry = tar_file("media/photos/ab/abc.jpg", photo)
    listed = {"database.sqlite": sha(database), "media/photos/ab/abc.jpg": sha(photo)}
    if name == "unlisted-member":
        extra = tar_file("media/photos/ev/evil.jpg", b"not in the manifest")
        return [db_entry, photo_entry, extra], listed
    if name == "symlink-to-database":
        # The old restore followed it: the photo URL then served the password hashes.
        link = tar_link("media/photos/ab/abc.jpg", "../../../database.sqlite", tarfile.SYMTYPE)
        return [db_entry, link], {**listed, "media/photos/ab/abc.jpg": sha(database)}
    if name == "hardlink-to-database":
        link = tar_link("media/photos/ab/abc.jpg", "database.sqlite", tarfile.LNKTYPE)
        return [db_entry, link], {**listed, "media/photos/ab/abc.jpg": sha(database)}
    if name == "unsafe-path":
        escape = tar_file("media/../../escaped.txt", b"outside")
        return [db_entry, photo_entry, escape], {
            **listed,
            "media/../../escaped.txt": sha(b"outside"),
        }
    if name == "no-database":
        return [photo_entry], {"media/photos/ab/abc.jpg": sha(photo)}
    if name == "not-sqlite":
        text = b"this is not a database at all\n" * 100
        return [tar_file("database.sqlite", text), photo_entry], {
            **listed,
            "database.sqlite": sha(text),
        }
    if name == "corrupt-sqlite":
        broken = bytearray(database)
        for page in range(2, min(len(broken) // 4096, 40)):
            broken[page * 4096 : page * 4096 + 64] = b"\xa5" * 64
        broken = bytes(broken)
        return [tar_file("database.sqlite", broken), photo_entry], {
            **listed,
            "database.sqlite": sha(broken),
        }
    if name == "no-migration-table":
        other = sqlite_bytes(tmp_path, "CREATE TABLE t (x)")
        return [tar_file("database.sqlite", other), photo_entry], {
            **listed,
            "database.sqlite": sha(other),
        }
    if name == "unknown-revision":
        other = sqlite_bytes(
            tmp_path,
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
            "INSERT INTO alembic_version VALUES ('9999')",
        )
        return [tar_file("database.sqlite", other), photo_entry], {
            **listed,
            "database.sqlite": sha(other),
        }
    if name == "tampered-sha":
        return [db_entry, tar_file("media/photos/ab/abc.jpg", b"\xff\xd8 swapped")], listed
    if name == "private-in-first-format":
        extra = tar_file(f"private-originals/{ORIGINAL}", b"x")
        return [db_entry, photo_entry, extra], {**listed, extra[0].name: sha(b"x")}
    raise AssertionError(name)


def second_format_attack(name, database, photo):
    """The members and manifest of a tampered archive of the current format."""
    original = tar_file(f"private-originals/{ORIGINAL}", b"\xff\xd8 an original")
    members = [tar_file("database.sqlite", database), tar_file("media/photos/ab/abc.jpg", photo)]
    listed = {
        "database.sqlite": sha(database),
        "media/photos/ab/abc.jpg": sha(photo),
        original[0].name: sha(original[1]),
    }
    if name == "private-tampered":
        return [*members, tar_file(original[0].name, b"\xff\xd8 swapped")], listed
    if name == "private-unsafe-path":
        escape = tar_file("private-originals/../escaped.txt", b"outside")
        return [*members, original, escape], {**listed, escape[0].name: sha(b"outside")}
    if name == "private-symlink":
        link = tar_link(original[0].name, "../database.sqlite", tarfile.SYMTYPE)
        return [*members, link], listed
    raise AssertionError(name)


ATTACKS = {
    "unlisted-member": "not in the manifest",
    "symlink-to-database": "not a regular file",
    "hardlink-to-database": "not a regular file",
    "unsafe-path": "unsafe path",
    "no-database": "no database",
    "not-sqlite": "not a SQLite database",
    "corrupt-sqlite": "integrity",
    "no-migration-table": "not a FieldAudit database",
    "unknown-revision": "unknown migration",
    "tampered-sha": "damaged",
    "private-in-first-format": "unsafe path",
}
SECOND_FORMAT_ATTACKS = {
    "private-tampered": "damaged",
    "private-unsafe-path": "unsafe path",
    "private-symlink": "not a regular file",
}


@spatialite_only
@pytest.mark.parametrize(
    ("name", "message"),
    [*ATTACKS.items(), *SECOND_FORMAT_ATTACKS.items()],
    ids=[*ATTACKS, *SECOND_FORMAT_ATTACKS],
)
def test_a_tampered_backup_is_refused_and_changes_nothing(
    app, runner, good_backup, tmp_path, name, message
):
    if name in SECOND_FORMAT_ATTACKS:
        members, files = second_format_attack(name, *good_backup)
        archive = write_archive(tmp_path / f"{name}.tar.gz", members, files, FORMAT)
    else:
        members, files = attack(name, tmp_path, *good_backup)
        archive = write_archive(tmp_path / f"{name}.tar.gz", members, files)
    before = installation(app)
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code != 0
    assert message in result.output and "nothing was changed" in result.output, result.output
    assert installation(app) == before
    assert not (tmp_path / "escaped.txt").exists()
    assert not (private_dir(app).parent / "escaped.txt").exists()
    for folder in {database_file(app).parent, private_dir(app).parent}:
        assert [p.name for p in folder.iterdir() if "restore" in p.name] == []


@spatialite_only
def test_a_failed_swap_is_rolled_back(app, good_backup, tmp_path, monkeypatch):
    database, photo = good_backup
    original = b"\xff\xd8 an original in the backup"
    archive = write_archive(
        tmp_path / "good-again.tar.gz",
        [
            tar_file("database.sqlite", database),
            tar_file("media/photos/ab/abc.jpg", photo),
            tar_file(f"private-originals/{ORIGINAL}", original),
        ],
        {
            "database.sqlite": sha(database),
            "media/photos/ab/abc.jpg": sha(photo),
            f"private-originals/{ORIGINAL}": sha(original),
        },
        FORMAT,
    )
    before = installation(app)
    real_replace = os.replace
    failures = []

    def replace_fails_on_the_database(source, target):
        if not failures and Path(target) == database_file(app):  # fails once, not on undo
            failures.append(source)
            raise OSError(28, "No space left on device")  # the last step of the swap
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace_fails_on_the_database)
    with pytest.raises(BackupError, match="nothing was changed"):
        restore_backup(archive, database_file(app), Path(app.config["MEDIA_DIR"]), private_dir(app))
    assert failures and installation(app) == before


# --- Second review, finding 8: folders on other file systems, the private originals. ----------


def install_photo_and_original(app) -> tuple[Path, Path]:
    """A stored photo and the private original of a redacted one."""
    photo = Path(app.config["MEDIA_DIR"]) / "photos" / "ab" / "abc.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    original = private_dir(app) / ORIGINAL
    original.parent.mkdir(parents=True, exist_ok=True)
    original.write_bytes(b"\xff\xd8 the unredacted picture")
    return photo, original


def backup_change_and_restore(app, runner, herlev, archive: Path) -> None:
    """Back up, change the database, media and private originals, then restore."""
    photo, original = install_photo_and_original(app)
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format"] == FORMAT
    assert f"private-originals/{ORIGINAL}" in manifest["files"]

    herlev.session.execute(delete(Area))
    herlev.session.commit()
    photo.unlink()
    original.write_bytes(b"overwritten after the backup")
    (private_dir(app) / "later.jpg").write_bytes(b"kept after the backup")
    herlev.session.remove()

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert area_count(herlev) == 23
    assert photo.read_bytes() == b"\xff\xd8 a photo"
    assert original.read_bytes() == b"\xff\xd8 the unredacted picture"
    assert not (private_dir(app) / "later.jpg").exists()


@spatialite_only
def test_private_originals_are_backed_up_and_restored(app, runner, herlev, tmp_path):
    backup_change_and_restore(app, runner, herlev, tmp_path / "fieldaudit.tar.gz")


@pytest.fixture
def media_on_dev_shm(app):
    """MEDIA_DIR (and the private originals beside it) on /dev/shm, another file system."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm")
    folder = Path(tempfile.mkdtemp(dir=shm, prefix="fieldaudit-test-"))
    if folder.stat().st_dev == database_file(app).parent.stat().st_dev:
        shutil.rmtree(folder)
        pytest.skip("/dev/shm is on the database's file system here")
    app.config["MEDIA_DIR"] = str(folder / "media")
    yield folder
    shutil.rmtree(folder)


@spatialite_only
def test_restore_with_media_on_another_file_system(app, runner, herlev, tmp_path, media_on_dev_shm):
    """Was: "Invalid cross-device link ... nothing was changed" (the old media moved into the
    database's staging folder)."""
    assert private_dir(app).is_relative_to(media_on_dev_shm)
    backup_change_and_restore(app, runner, herlev, tmp_path / "fieldaudit.tar.gz")
    assert sorted(p.name for p in media_on_dev_shm.iterdir()) == ["media", "private-originals"]


@spatialite_only
def test_a_refused_restore_on_another_file_system_changes_nothing(
    app, runner, herlev, tmp_path, media_on_dev_shm
):
    install_photo_and_original(app)
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    herlev.session.remove()
    herlev.engine.dispose()
    before = installation(app)
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert installation(app) == before
    assert sorted(p.name for p in media_on_dev_shm.iterdir()) == ["media", "private-originals"]


@spatialite_only
def test_a_first_format_backup_leaves_the_private_originals(app, runner, good_backup, tmp_path):
    database, photo = good_backup
    archive = write_archive(
        tmp_path / "first-format.tar.gz",
        [tar_file("database.sqlite", database), tar_file("media/photos/ab/abc.jpg", photo)],
        {"database.sqlite": sha(database), "media/photos/ab/abc.jpg": sha(photo)},
    )
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert (private_dir(app) / ORIGINAL).read_bytes() == b"\xff\xd8 the unredacted picture"
    assert not (Path(app.config["MEDIA_DIR"]) / "photos" / "ab" / "new.jpg").exists()
