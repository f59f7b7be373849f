"""Backup and restore of a SpatiaLite installation: the database (online) and its folders.

A backup is one ``.tar.gz`` archive holding ``database.sqlite`` (taken with SQLite's online
backup API, so the app may keep running), the media folder under ``media/``, the originals of
redacted photos (``FIELDAUDIT_PRIVATE_MEDIA_DIR``) under ``private-originals/``, and
``manifest.json`` with the SHA-256 of every file. Restore checks every checksum before it
replaces anything (every member listed, a regular file with a safe path; the database a sound
SQLite file with FieldAudit's migrations), then swaps in each folder and the database file by
renames with a rollback; stop the app first. Each folder and the database are staged beside
their targets and the replaced copies wait there too, so every rename stays on one file system
(the media folder may be on another one than the database). A backup of the first format
(``fieldaudit-backup/1``) has no private originals: restoring it leaves them as they are.
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
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fieldaudit.database import sqlite_module

MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
MEDIA = "media"
PRIVATE = "private-originals"
FORMAT = "fieldaudit-backup/2"
# The folders each format holds (the first format had no private originals).
FORMAT_FOLDERS = {"fieldaudit-backup/1": (MEDIA,), FORMAT: (MEDIA, PRIVATE)}
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


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content (hex), read in blocks."""
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


def _folder_files(folders: Mapping[str, Path]) -> dict[str, Path]:
    """Every file of the backed-up folders: archive name -> path."""
    found = {}
    for name, folder in folders.items():
        paths = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
        found.update({f"{name}/{p.relative_to(folder).as_posix()}": p for p in paths})
    return found


def create_backup(
    database: Path, media_dir: Path, archive: Path, private_dir: Path
) -> BackupSummary:
    """Write a backup archive of a SpatiaLite database file, its media folder and the private
    originals of redacted photos."""
    if not database.exists():
        raise BackupError(f"{database}: no such database file.")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent) as tmp:
        snapshot = Path(tmp) / DATABASE
        _snapshot(database, snapshot)
        members = {DATABASE: snapshot, **_folder_files({MEDIA: media_dir, PRIVATE: private_dir})}
        files = {name: file_sha256(path) for name, path in members.items()}
        manifest = {"format": FORMAT, "created": datetime.now(UTC).isoformat(), "files": files}
        partial = Path(tmp) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            encoded = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(encoded)
            tar.addfile(info, io.BytesIO(encoded))
            for name, path in members.items():
                tar.add(path, name)
        os.replace(partial, archive)
    return BackupSummary(archive, len(files), archive.stat().st_size)


def _refuse(archive: Path, reason: str) -> BackupError:
    return BackupError(f"{archive}: {reason}; nothing was changed.")


def _safe_name(name: str, folders: tuple[str, ...]) -> bool:
    """A relative POSIX path inside the backup: no root, drive, backslash, '..' or '.' parts;
    the manifest, the database, or a file in one of the format's ``folders``."""
    parts = name.split("/")
    return (
        bool(name)
        and "\\" not in name
        and ":" not in name
        and not name.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and (name in (MANIFEST, DATABASE) or (parts[0] in folders and len(parts) > 1))
    )


def _read_manifest(
    archive: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The manifest's file list (name -> SHA-256) and the folders its format holds."""
    info = members.get(MANIFEST)
    if info is None or not info.isreg() or info.size > MAX_MANIFEST_BYTES:
        raise _refuse(archive, "no readable manifest.json")
    try:
        manifest = json.loads(tar.extractfile(info).read().decode("utf-8"))
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise _refuse(archive, f"manifest.json cannot be read ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") not in FORMAT_FOLDERS:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise _refuse(archive, f"unknown backup format {found!r}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and isinstance(digest, str) for name, digest in files.items()
    ):
        raise _refuse(archive, "manifest.json has no valid file list")
    return files, FORMAT_FOLDERS[manifest["format"]]


def _check_members(
    archive: Path, members: list[tarfile.TarInfo], files: dict[str, str], folders: tuple[str, ...]
) -> None:
    """Every member a regular file with a safe name, listed in the manifest, and the reverse."""
    names = [member.name for member in members]
    for member in members:
        if not _safe_name(member.name, folders):
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
        if not _safe_name(name, folders) or name == MANIFEST:
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


def _unpack_checked(
    archive: Path, folder_targets: Mapping[str, Path], database_target: Path
) -> tuple[int, tuple[str, ...]]:
    """Check the whole archive and extract it: each folder to its ``folder_targets`` entry, the
    database file to ``database_target``. Raise BackupError on the first problem; return the
    number of files and the folders the backup holds (its format's)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            files, folders = _read_manifest(archive, tar, {m.name: m for m in members})
            _check_members(archive, members, files, folders)
            for folder in folders:
                folder_targets[folder].mkdir()
            for member in members:
                if member.name == MANIFEST:
                    continue
                folder, _, rest = member.name.partition("/")
                target = (
                    database_target if member.name == DATABASE else folder_targets[folder] / rest
                )
                _extract_checked(archive, tar, member, target, files[member.name])
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _refuse(archive, f"not a readable FieldAudit backup ({exc})") from exc
    _check_database(archive, database_target)
    return len(files), folders


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


@dataclass(frozen=True)
class _Staged:
    """A folder to replace: its place, the checked new copy, and where the current one goes
    (the last two beside the first, on its file system)."""

    current: Path
    new: Path
    old: Path


def _swap_in(database: Path, new_database: Path, old_database: Path, folders: list[_Staged]):
    """Put the new folders and database in place by renames; roll back on failure.

    The current files go to their ``old`` places (the database with its -wal and -shm files
    to ``old_database``), so a failure at any step puts every renamed file back.
    """
    swap = _Swap([])
    try:
        for folder in folders:
            if folder.current.exists():
                swap.move(folder.current, folder.old)
            swap.move(folder.new, folder.current)
        for suffix in ("-wal", "-shm", ""):
            current = Path(f"{database}{suffix}")
            if current.exists():
                swap.move(current, old_database / f"{DATABASE}{suffix}")
        swap.move(new_database, database)
    except OSError:
        swap.undo()
        raise


def _staging_dir(stack: ExitStack, beside: Path, name: str) -> Path:
    """A temporary folder next to ``beside`` (same file system), removed when ``stack`` ends."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    folder = tempfile.TemporaryDirectory(dir=beside.parent, prefix=f".restore-{name}-")
    return Path(stack.enter_context(folder))


def restore_backup(
    archive: Path, database: Path, media_dir: Path, private_dir: Path
) -> BackupSummary:
    """Restore a backup archive over a database file, media folder and private originals,
    after checking it all.

    Every member must be a regular file with a safe relative path, listed in the manifest with
    its SHA-256; the database must be SQLite, pass ``PRAGMA integrity_check`` and carry
    FieldAudit's migration table at a known revision. Only then are the folders and the
    database swapped in by renames, rolled back if any step fails: a refused or failed restore
    changes nothing.
    """
    if not archive.exists():
        raise BackupError(f"{archive}: no such backup.")
    places = {MEDIA: media_dir, PRIVATE: private_dir}
    with ExitStack() as stack:
        db_tmp = _staging_dir(stack, database, "db")
        staging = {name: _staging_dir(stack, place, name) for name, place in places.items()}
        new_database = db_tmp / DATABASE
        files, folders = _unpack_checked(
            archive, {name: staging[name] / "new" for name in places}, new_database
        )
        (db_tmp / "old").mkdir()
        staged = [
            _Staged(places[name], staging[name] / "new", staging[name] / "old") for name in folders
        ]
        try:
            _swap_in(database, new_database, db_tmp / "old", staged)
        except OSError as exc:
            raise _refuse(archive, f"the files could not be swapped in ({exc})") from exc
        return BackupSummary(archive, files, archive.stat().st_size)
