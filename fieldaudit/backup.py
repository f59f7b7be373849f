"""Backup and restore of a SpatiaLite installation: the database (online) and the media folder.

A backup is one ``.tar.gz`` archive holding ``database.sqlite`` (taken with SQLite's online
backup API, so the app may keep running), the media folder under ``media/``, and
``manifest.json`` with the SHA-256 of every file. Restore checks every checksum before it
replaces anything (every member listed, a regular file with a safe path; the database a sound
SQLite file with FieldAudit's migrations), then swaps in the media folder and the database file
by renames with a rollback; stop the app first.
PostGIS is backed up with ``pg_dump`` (see README).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fieldaudit.database import sqlite_module

MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
MEDIA = "media"
FORMAT = "fieldaudit-backup/1"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATION_TABLE = "alembic_version"  # FieldAudit's migrations (Alembic) keep their revision here


class BackupError(Exception):
    """A backup could not be made or restored; nothing was changed."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds."""

    path: Path
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _snapshot(database: Path, target: Path) -> None:
    module = sqlite_module()
    source = module.connect(f"file:{database}?mode=ro", uri=True)
    destination = module.connect(str(target))
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def create_backup(database: Path, media_dir: Path, archive: Path) -> BackupSummary:
    """Write a backup archive of a SpatiaLite database file and its media folder."""
    if not database.exists():
        raise BackupError(f"{database}: no such database file.")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent) as tmp:
        snapshot = Path(tmp) / DATABASE
        _snapshot(database, snapshot)
        files = {DATABASE: _sha256(snapshot)}
        media_files = (
            sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []
        )
        for path in media_files:
            files[f"{MEDIA}/{path.relative_to(media_dir).as_posix()}"] = _sha256(path)
        manifest = {"format": FORMAT, "created": datetime.now(UTC).isoformat(), "files": files}
        partial = Path(tmp) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            encoded = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(encoded)
            tar.addfile(info, io.BytesIO(encoded))
            tar.add(snapshot, DATABASE)
            for path in media_files:
                tar.add(path, f"{MEDIA}/{path.relative_to(media_dir).as_posix()}")
        os.replace(partial, archive)
    return BackupSummary(archive, len(files), archive.stat().st_size)


def _refuse(archive: Path, reason: str) -> BackupError:
    return BackupError(f"{archive}: {reason}; nothing was changed.")


def _safe_name(name: str) -> bool:
    """A relative POSIX path inside the backup: no root, drive, backslash, '..' or '.' parts."""
    parts = name.split("/")
    return (
        bool(name)
        and "\\" not in name
        and ":" not in name
        and not name.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and (name in (MANIFEST, DATABASE) or (parts[0] == MEDIA and len(parts) > 1))
    )


def _read_manifest(archive: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]):
    """The manifest's file list (name -> SHA-256), checked for shape and safe names."""
    info = members.get(MANIFEST)
    if info is None or not info.isreg() or info.size > MAX_MANIFEST_BYTES:
        raise _refuse(archive, "no readable manifest.json")
    try:
        manifest = json.loads(tar.extractfile(info).read().decode("utf-8"))
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise _refuse(archive, f"manifest.json cannot be read ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise _refuse(archive, f"unknown backup format {found!r}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and isinstance(digest, str) for name, digest in files.items()
    ):
        raise _refuse(archive, "manifest.json has no valid file list")
    return files


def _check_members(archive: Path, members: list[tarfile.TarInfo], files: dict[str, str]) -> None:
    """Every member a regular file with a safe name, listed in the manifest, and the reverse."""
    names = [member.name for member in members]
    for member in members:
        if not _safe_name(member.name):
            raise _refuse(archive, f"{member.name!r} has an unsafe path")
        if not member.isreg():
            raise _refuse(archive, f"{member.name} is not a regular file (link or device)")
        if member.name != MANIFEST and member.name not in files:
            raise _refuse(archive, f"{member.name} is not in the manifest")
    if len(set(names)) != len(names):
        raise _refuse(archive, "a file appears twice in the archive")
    if DATABASE not in files:
        raise _refuse(archive, "the backup holds no database")
    for name in files:
        if not _safe_name(name) or name == MANIFEST:
            raise _refuse(archive, f"{name!r} has an unsafe path")
        if name not in names:
            raise _refuse(archive, f"{name} is listed in the manifest but missing")


def _extract_checked(
    archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, expected: str
) -> None:
    """Copy one member to ``target``, checking its size and SHA-256 on the way."""
    digest = hashlib.sha256()
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:
        raise _refuse(archive, f"{member.name} is not a regular file (link or device)")
    with source, target.open("xb") as out:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
            written += len(block)
            out.write(block)
    if written != member.size or digest.hexdigest() != expected:
        raise _refuse(archive, f"{member.name} is damaged (size or SHA-256 differs)")


def known_revisions() -> set[str]:
    """The revisions of FieldAudit's migrations (the ids an alembic_version row may hold)."""
    from alembic.script import ScriptDirectory

    folder = Path(__file__).parent / "migrations"
    return {script.revision for script in ScriptDirectory(str(folder)).walk_revisions()}


def _check_database(archive: Path, path: Path) -> None:
    """A SQLite file that passes PRAGMA integrity_check and carries FieldAudit's migrations."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise _refuse(archive, f"{DATABASE} is not a SQLite database")
    module = sqlite_module()
    try:
        connection = module.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            has_versions = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                (MIGRATION_TABLE,),
            ).fetchone()[0]
            versions = (
                [row[0] for row in connection.execute(f"SELECT version_num FROM {MIGRATION_TABLE}")]
                if has_versions
                else []
            )
        finally:
            connection.close()
    except module.DatabaseError as exc:
        raise _refuse(archive, f"{DATABASE} fails the integrity check ({exc})") from exc
    if integrity != ["ok"]:
        raise _refuse(archive, f"{DATABASE} fails the integrity check ({integrity[0]})")
    if not has_versions:
        raise _refuse(archive, f"{DATABASE} is not a FieldAudit database (no {MIGRATION_TABLE})")
    if len(versions) != 1 or versions[0] not in known_revisions():
        raise _refuse(archive, f"{DATABASE} is at an unknown migration {versions!r}")


def _unpack_checked(archive: Path, media_target: Path, database_target: Path) -> int:
    """Check the whole archive and extract it: media to ``media_target``, the database file to
    ``database_target``. Raise BackupError on the first problem; return the number of files."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            files = _read_manifest(archive, tar, {m.name: m for m in members})
            _check_members(archive, members, files)
            media_target.mkdir()
            for member in members:
                if member.name == MANIFEST:
                    continue
                target = (
                    database_target
                    if member.name == DATABASE
                    else media_target / member.name.removeprefix(f"{MEDIA}/")
                )
                _extract_checked(archive, tar, member, target, files[member.name])
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _refuse(archive, f"not a readable FieldAudit backup ({exc})") from exc
    _check_database(archive, database_target)
    return len(files)


@dataclass
class _Swap:
    """Renames done so far, undone in reverse order if a later one fails."""

    done: list[tuple[Path, Path]]

    def move(self, source: Path, target: Path) -> None:
        os.replace(source, target)
        self.done.append((source, target))

    def undo(self) -> None:
        for source, target in reversed(self.done):
            os.replace(target, source)
        self.done = []


def _swap_in(database: Path, media_dir: Path, new_database: Path, new_media: Path, old: Path):
    """Put the new database and media folder in place by renames; roll back on failure.

    The current files go to ``old`` (the database with its -wal and -shm files), so a failure at
    any step puts every renamed file back.
    """
    swap = _Swap([])
    try:
        if media_dir.exists():
            swap.move(media_dir, old / "media")
        swap.move(new_media, media_dir)
        for suffix in ("-wal", "-shm", ""):
            current = Path(f"{database}{suffix}")
            if current.exists():
                swap.move(current, old / f"{DATABASE}{suffix}")
        swap.move(new_database, database)
    except OSError:
        swap.undo()
        raise


def restore_backup(archive: Path, database: Path, media_dir: Path) -> BackupSummary:
    """Restore a backup archive over a database file and media folder, after checking it all.

    Every member must be a regular file with a safe relative path, listed in the manifest with
    its SHA-256; the database must be SQLite, pass ``PRAGMA integrity_check`` and carry
    FieldAudit's migration table at a known revision. Only then are the database and media
    folder swapped in by renames, rolled back if any step fails: a refused or failed restore
    changes nothing.
    """
    if not archive.exists():
        raise BackupError(f"{archive}: no such backup.")
    database.parent.mkdir(parents=True, exist_ok=True)
    media_dir.parent.mkdir(parents=True, exist_ok=True)
    # Staging folders beside their targets, so the swap is renames within one file system.
    with (
        tempfile.TemporaryDirectory(dir=database.parent, prefix=".restore-db-") as db_tmp,
        tempfile.TemporaryDirectory(dir=media_dir.parent, prefix=".restore-media-") as media_tmp,
    ):
        new_database = Path(db_tmp) / DATABASE
        new_media = Path(media_tmp) / MEDIA
        old = Path(db_tmp) / "old"
        files = _unpack_checked(archive, new_media, new_database)
        (Path(media_tmp) / "old").mkdir()
        old.mkdir()
        try:
            _swap_in(database, media_dir, new_database, new_media, old)
        except OSError as exc:
            raise _refuse(archive, f"the files could not be swapped in ({exc})") from exc
        return BackupSummary(archive, files, archive.stat().st_size)
