"""Backup and restore of a SpatiaLite installation: the database (online) and the media folder.

A backup is one ``.tar.gz`` archive holding ``database.sqlite`` (taken with SQLite's online
backup API, so the app may keep running), the media folder under ``media/``, and
``manifest.json`` with the SHA-256 of every file. Restore checks every checksum before it
replaces anything, then swaps in the media folder and the database file; stop the app first.
PostGIS is backed up with ``pg_dump`` (see README).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fieldaudit.database import sqlite_module

MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
MEDIA = "media"
FORMAT = "fieldaudit-backup/1"


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


def restore_backup(archive: Path, database: Path, media_dir: Path) -> BackupSummary:
    """Restore a backup archive over a database file and media folder, after checking it."""
    if not archive.exists():
        raise BackupError(f"{archive}: no such backup.")
    database.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=database.parent) as tmp:
        unpacked = Path(tmp) / "unpacked"
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(unpacked, filter="data")
            manifest = json.loads((unpacked / MANIFEST).read_text(encoding="utf-8"))
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError(f"{archive}: not a readable FieldAudit backup ({exc}).") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive}: unknown backup format {manifest.get('format')!r}.")
        for name, expected in manifest["files"].items():
            path = unpacked / name
            if not path.is_file() or _sha256(path) != expected:
                raise BackupError(f"{archive}: {name} is missing or damaged; nothing restored.")
        restored_media = unpacked / MEDIA
        restored_media.mkdir(exist_ok=True)
        if media_dir.exists():
            shutil.move(str(media_dir), str(Path(tmp) / "old-media"))
        shutil.move(str(restored_media), str(media_dir))
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(unpacked / DATABASE, database)
        return BackupSummary(archive, len(manifest["files"]), archive.stat().st_size)
