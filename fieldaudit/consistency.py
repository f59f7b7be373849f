"""Consistency between the database and the media folder (``fieldaudit check``).

The photo pipeline (``photos.py``) writes each processed photo to ``MEDIA_DIR/tmp`` first, the
report and its photo rows are committed, and only then are the files moved to their
content-hash names under ``MEDIA_DIR/photos``. A process killed in the middle can therefore
leave staging files behind, and in principle a row whose file never arrived. This module finds
every such problem:

- ``missing_file``: a photo row's display, thumbnail or private original file does not exist;
- ``wrong_content``: a stored file's SHA-256 is not the one its content-hash name says;
- ``bad_name``: a photo row names a file outside the photo folders;
- ``report_missing_photos``: a report one or more of whose photos lack a file;
- ``orphan_file``: a file in the photo folders that no row refers to;
- ``temporary_file``: a staging file left by a process that no longer runs (or an old one).

Staging files are named ``<pid>-<random>.jpg`` by the process that writes them, so a file of a
process that is gone is known to be stale at once, while files of requests still in progress
are left alone. That holds on one machine: run ``fieldaudit check`` where the app runs.
Nothing here knows about Flask.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.backup import file_sha256
from fieldaudit.models import Photo
from fieldaudit.photos import PHOTO_DIR, TMP_DIR, media_path

# Files younger than this may belong to work in progress (a redaction writes its files before
# its commit): they are reported but --repair leaves them unless told otherwise.
DEFAULT_MIN_AGE_S = 3600.0
_CONTENT_NAME = re.compile(r"^[0-9a-f]{64}\.jpg$")
_STAGING_NAME = re.compile(r"^(?P<pid>[0-9]+)-.+\.jpg$")


@dataclass(frozen=True)
class Finding:
    """One inconsistency: its kind, the file or row it is about, and what is wrong."""

    kind: str
    subject: str
    detail: str
    path: Path | None = None  # a file --repair may remove

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass
class CheckResult:
    """What a check looked at and what it found."""

    photos: int = 0
    files: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def removable(self) -> list[Finding]:
        """The findings --repair can fix by removing a file (orphans and staging files)."""
        return [f for f in self.findings if f.path is not None]


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        # A killed process whose parent died too may stay a zombie (state Z) when nothing
        # reaps it (PID 1 in a container): it runs no more.
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
            return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def staging_file_is_stale(path: Path, min_age_s: float, now: float | None = None) -> bool:
    """True for a staging file whose writing process is gone, or (unnamed) older than min_age_s."""
    match = _STAGING_NAME.match(path.name)
    pid = int(match.group("pid")) if match else 0
    if pid and pid != os.getpid() and not _process_alive(pid):
        return True
    try:
        age = (now or time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return age >= min_age_s


def remove_stale_staging(media_dir: str | Path, min_age_s: float = DEFAULT_MIN_AGE_S) -> int:
    """Remove staging files left by processes that are gone (run at startup); return how many."""
    folder = Path(media_dir) / TMP_DIR
    removed = 0
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        if path.is_file() and staging_file_is_stale(path, min_age_s):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


def _check_file(
    root: Path, name: str, row: str, verify: bool, result: CheckResult
) -> tuple[Path | None, bool]:
    """Check one file a row names; return its path and whether it is present and right."""
    path = media_path(root, name)
    if path is None:
        result.findings.append(Finding("bad_name", row, f"{name!r} is not a photo file name"))
        return None, False
    if not path.is_file():
        result.findings.append(Finding("missing_file", row, f"{name} does not exist"))
        return path, False
    if verify and _CONTENT_NAME.match(path.name) and file_sha256(path) != path.stem:
        result.findings.append(
            Finding("wrong_content", row, f"{name}: its SHA-256 is not the one in its name")
        )
        return path, False
    return path, True


def _files_under(folder: Path) -> Iterable[Path]:
    return (p for p in sorted(folder.rglob("*")) if p.is_file()) if folder.is_dir() else ()


def check_media(
    session: Session,
    media_dir: str | Path,
    private_dir: str | Path | None = None,
    verify_hashes: bool = True,
    min_age_s: float = DEFAULT_MIN_AGE_S,
) -> CheckResult:
    """Compare every photo row with the media folder (and the private originals folder)."""
    media = Path(media_dir)
    private = Path(private_dir) if private_dir is not None else None
    result = CheckResult()
    used: set[Path] = set()
    used_private: set[Path] = set()
    broken_reports: dict[int, int] = {}
    rows = session.execute(
        select(
            Photo.id, Photo.report_id, Photo.display_name, Photo.thumb_name, Photo.original_name
        ).order_by(Photo.id)
    ).all()
    for photo_id, report_id, display, thumb, original in rows:
        result.photos += 1
        label = f"photo {photo_id} (report {report_id})"
        complete = True
        for name in (display, thumb):
            path, ok = _check_file(media, name, label, verify_hashes, result)
            if path is not None:
                used.add(path.resolve())
            complete = complete and ok
        if original and private is not None:
            path, ok = _check_file(private, original, label, verify_hashes, result)
            if path is not None:
                used_private.add(path.resolve())
            complete = complete and ok
        if not complete:
            broken_reports[report_id] = broken_reports.get(report_id, 0) + 1
    for report_id, count in sorted(broken_reports.items()):
        result.findings.append(
            Finding("report_missing_photos", f"report {report_id}", f"{count} photo(s) incomplete")
        )

    now = time.time()
    for folder, known in (
        (media / PHOTO_DIR, used),
        (private / PHOTO_DIR if private else None, used_private),
    ):
        if folder is None:
            continue
        for path in _files_under(folder):
            result.files += 1
            if path.suffix == ".tmp":
                # An atomic write (redaction) that never reached its os.replace.
                if now - path.stat().st_mtime >= min_age_s:
                    result.findings.append(
                        Finding("temporary_file", str(path), "unfinished write", path)
                    )
            elif path.resolve() not in known:
                old = now - path.stat().st_mtime >= min_age_s
                result.findings.append(
                    Finding(
                        "orphan_file",
                        str(path),
                        "no photo row refers to it" + ("" if old else " (new: may be in progress)"),
                        path if old else None,
                    )
                )
    for path in _files_under(media / TMP_DIR):
        result.files += 1
        if staging_file_is_stale(path, min_age_s, now):
            result.findings.append(
                Finding("temporary_file", str(path), "staging file of a request that ended", path)
            )
    return result


def repair(result: CheckResult) -> int:
    """Remove the orphan and stale staging files a check found; return how many were removed."""
    removed = 0
    for finding in result.removable:
        assert finding.path is not None
        with contextlib.suppress(FileNotFoundError):
            finding.path.unlink()
            removed += 1
    return removed
