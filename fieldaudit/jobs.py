"""Scheduled jobs: the one place for FieldAudit's recurring work, and who runs it when.

Each job has a name, an interval and a function ``run(session, config, now) -> str`` (a short
summary; raising marks the run failed). ``run_due`` runs what is due and records in
``job_runs`` (one row per job) when it last ran and how it ended. A run is claimed first with a
compare-and-set on the row's ``claim_version`` plus a lease (``lease_until``), committed before
the work starts: of two runners (two servers, two timers) that see the same job due, exactly one
update matches and the other skips it. A runner that dies keeps the lease until it expires;
then the next runner takes the job again. ``fieldaudit jobs run`` (a systemd timer, every 10
minutes) calls ``run_due``; the admin page /konto/drift shows ``job_states``.

No Flask here: the command and the page pass the session and the configuration in. Unlike
the other domain modules this one commits: it is a transaction boundary (like a view), because
a claim must be visible to the other runners before the work starts.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldaudit.config import private_originals_dir
from fieldaudit.mail import digests
from fieldaudit.models import JobRun

# A runner started by a timer every few minutes would push a daily job a little later every
# day; a job counts as due this much before its interval is over (at most half its interval:
# a job that runs on every tick of the 10-minute timer is not due again the moment it has run,
# when a second runner starts a little after the first).
DUE_SLACK = timedelta(minutes=10)
# A failed job is tried again after this long (or its interval, if shorter).
RETRY_AFTER = timedelta(hours=1)
MAX_ERROR_CHARS = 4000

OK, FAILED, RUNNING = "ok", "failed", "running"

JobFunction = Callable[[Session, Mapping[str, Any], datetime], str]


class JobFailed(Exception):
    """A job ran but found problems (its message is the summary shown to admins)."""


@dataclass(frozen=True)
class Job:
    """A recurring piece of work."""

    name: str
    interval: timedelta
    run: JobFunction
    description: dict[str, str]  # {"da": ..., "en": ...}
    lease: timedelta = timedelta(hours=2)  # longer than the job can take
    applies: Callable[[Mapping[str, Any]], bool] = lambda config: True


# --- The jobs --------------------------------------------------------------------------------


def rescore(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """Recompute every site's priority score (the 4-year age rule moves with the date)."""
    from fieldaudit.priority import rescore_all

    return f"{rescore_all(session, now=now)} sites rescored"


def network_impact(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """Update the stored network impact after sites opened, closed or changed: only the kept
    searches a change can alter are run again, and only the sites whose impact changed are
    rescored (``network/impact_store.py``); nothing is searched when nothing changed."""
    from fieldaudit.config import network_state_dir
    from fieldaudit.network_scores import refresh_network_scores

    spacing = float(config.get("NETWORK_SPACING_M") or 250.0)
    folder = network_state_dir(config)
    return refresh_network_scores(session, folder, spacing=spacing, now=now).summary()


def retention(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """Anonymise the reporters of reports closed longer ago than the retention period."""
    from fieldaudit.privacy import apply_retention

    days = int(config["RETENTION_DAYS"])
    return f"{apply_retention(session, days, now)} reports anonymised (closed > {days} days)"


def sqlite_database(config: Mapping[str, Any]) -> Path | None:
    """The SpatiaLite database file, or None on PostGIS."""
    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database)


def backup_applies(config: Mapping[str, Any]) -> bool:
    """The backup job runs on SpatiaLite with FIELDAUDIT_BACKUP_DIR set (PostGIS: pg_dump)."""
    return bool(config.get("BACKUP_DIR")) and sqlite_database(config) is not None


def backup(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """Write a SpatiaLite backup into FIELDAUDIT_BACKUP_DIR; keep the newest BACKUP_KEEP."""
    from fieldaudit.backup import create_backup

    database = sqlite_database(config)
    if database is None or not config.get("BACKUP_DIR"):
        raise JobFailed("backup needs SpatiaLite and FIELDAUDIT_BACKUP_DIR")
    folder = Path(config["BACKUP_DIR"])
    archive = folder / f"fieldaudit-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"
    summary = create_backup(
        database, Path(config["MEDIA_DIR"]), archive, private_originals_dir(config)
    )
    keep = max(1, int(config.get("BACKUP_KEEP", 7)))
    old = sorted(folder.glob("fieldaudit-*.tar.gz"))[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return f"{archive.name}: {summary.files} files, {summary.bytes} bytes; {len(old)} old removed"


def check(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """``fieldaudit check`` without repairs: the database, the media folder and the map cells
    agree; any problem fails the job (so it shows on the admin page)."""
    from fieldaudit import consistency, site_cells

    result = consistency.check_media(
        session, config["MEDIA_DIR"], private_originals_dir(config), True
    )
    problems = [str(finding) for finding in result.findings] + site_cells.differences(session)
    summary = f"{len(problems)} problems in {result.photos} photo rows and {result.files} files"
    if problems:
        raise JobFailed(summary + ":\n" + "\n".join(problems[:50]))
    return summary


def reviewer_digests(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """Each reviewer's daily mail of new reports in the queue (in the areas they chose)."""
    return f"{digests.queue_reviewer_digests(session, now)} reviewer digests queued"


def planner_digests(session: Session, config: Mapping[str, Any], now: datetime) -> str:
    """Each planner's weekly mail of the sites Handicaprådet verified that week."""
    return f"{digests.queue_planner_digests(session, now)} planner digests queued"


DAILY = timedelta(days=1)
WEEKLY = timedelta(days=7)

JOBS: tuple[Job, ...] = (
    Job(
        "rescore",
        DAILY,
        rescore,
        {"da": "Genberegn prioriteter (4-års-reglen)", "en": "Rescore priorities (4-year rule)"},
    ),
    # Every run of the timer (10 minutes): a decision, a join or a merge reaches the network
    # factor of the sites around it within minutes, never inside the request.
    Job(
        "network-impact",
        timedelta(minutes=10),
        network_impact,
        {
            "da": "Opdatér barrierernes betydning på gangnettet",
            "en": "Update the barriers' impact on the walking network",
        },
        lease=timedelta(hours=1),
    ),
    Job(
        "retention",
        DAILY,
        retention,
        {"da": "Anonymisér lukkede rapporter", "en": "Anonymise closed reports"},
    ),
    Job(
        "backup",
        DAILY,
        backup,
        {"da": "Sikkerhedskopi (SpatiaLite)", "en": "Backup (SpatiaLite)"},
        applies=backup_applies,
    ),
    Job(
        "check",
        DAILY,
        check,
        {"da": "Tjek database og fotomappe", "en": "Check database and photo folder"},
    ),
    # The digests are queued in the outbox; `fieldaudit mail send --loop` (its own service)
    # sends them, as every other mail.
    Job(
        "digest-reviewers",
        DAILY,
        reviewer_digests,
        {"da": "Dagligt overblik til Handicaprådet", "en": "Daily digest for the council"},
    ),
    Job(
        "digest-planners",
        WEEKLY,
        planner_digests,
        {"da": "Ugentligt overblik til planlæggere", "en": "Weekly digest for planners"},
    ),
)


def registered(config: Mapping[str, Any], jobs: tuple[Job, ...] = JOBS) -> list[Job]:
    """The jobs that apply to this installation."""
    return [job for job in jobs if job.applies(config)]


# --- Claiming and recording ------------------------------------------------------------------


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as UTC-aware (SQLite gives naive datetimes back)."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def next_due(job: Job, state: JobRun | None) -> datetime | None:
    """When the job is due next (None: never ran, so now)."""
    if state is None or state.started_at is None:
        return None
    wait = job.interval if state.status != FAILED else min(job.interval, RETRY_AFTER)
    return aware(state.started_at) + wait


def is_due(job: Job, state: JobRun | None, now: datetime) -> bool:
    """Whether the job should run now (due, and no live lease held by another runner)."""
    if state is not None and state.lease_until is not None:
        # A live lease: another runner has it. An expired one: that runner died mid-run.
        return aware(state.lease_until) <= now
    due = next_due(job, state)
    return due is None or due - min(DUE_SLACK, job.interval / 2) <= now


def _state_row(session: Session, name: str) -> JobRun:
    """The job's row, created if missing (a concurrent creator wins harmlessly)."""
    row = session.get(JobRun, name)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(JobRun(name=name, claim_version=0, run_count=0))
    except IntegrityError:
        pass
    session.commit()
    return session.get(JobRun, name, populate_existing=True)


def claim(session: Session, job: Job, now: datetime, owner: str, force: bool = False) -> bool:
    """Take the job's lease if it is due (or ``force``: unless another runner holds it).

    Commits: the claim is visible to every other runner before the work starts.
    """
    row = _state_row(session, job.name)
    live_lease = row.lease_until is not None and aware(row.lease_until) > now
    if live_lease or not (force or is_due(job, row, now)):
        session.rollback()
        return False
    seen = row.claim_version
    claimed = session.execute(
        update(JobRun)
        .where(JobRun.name == job.name, JobRun.claim_version == seen)
        .values(
            claim_version=seen + 1,
            lease_owner=owner,
            lease_until=now + job.lease,
            started_at=now,
            finished_at=None,
            status=RUNNING,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return claimed == 1


def _finish(session: Session, name: str, owner: str, status: str, summary: str, error: str):
    session.execute(
        update(JobRun)
        .where(JobRun.name == name, JobRun.lease_owner == owner)
        .values(
            status=status,
            finished_at=datetime.now(UTC),
            summary=summary[:MAX_ERROR_CHARS],
            error=error[-MAX_ERROR_CHARS:],
            lease_owner=None,
            lease_until=None,
            run_count=JobRun.run_count + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


@dataclass(frozen=True)
class Outcome:
    """What happened to one job in one runner's pass."""

    name: str
    status: str  # ok, failed, or skipped (not due, or another runner has it)
    summary: str = ""


def run_job(
    session: Session, job: Job, config: Mapping[str, Any], now: datetime, owner: str, force=False
) -> Outcome:
    """Claim and run one job, committing its work, and record how it ended."""
    if not claim(session, job, now, owner, force):
        return Outcome(job.name, "skipped")
    try:
        summary = job.run(session, config, now)
        session.commit()
    except Exception as exc:  # a job's failure is recorded and shown, never lost
        session.rollback()
        detail = str(exc) if isinstance(exc, JobFailed) else traceback.format_exc()
        _finish(
            session, job.name, owner, FAILED, str(exc).splitlines()[0] if str(exc) else "", detail
        )
        return Outcome(job.name, FAILED, str(exc))
    _finish(session, job.name, owner, OK, summary, "")
    return Outcome(job.name, OK, summary)


def run_due(
    session: Session,
    config: Mapping[str, Any],
    now: datetime | None = None,
    only: str | None = None,
    force: bool = False,
    jobs: tuple[Job, ...] = JOBS,
) -> list[Outcome]:
    """Run every due job (or only the named one) once; return what happened to each."""
    now = now or datetime.now(UTC)
    owner = f"{uuid.uuid4().hex[:12]}"
    chosen = [job for job in registered(config, jobs) if only in (None, job.name)]
    return [run_job(session, job, config, now, owner, force) for job in chosen]


@dataclass(frozen=True)
class JobState:
    """A job as the admin page and ``fieldaudit jobs list`` show it."""

    job: Job
    row: JobRun | None
    next_due: datetime | None

    @property
    def status(self) -> str:
        """ok, failed, running, or never (has not run yet)."""
        return self.row.status if self.row is not None and self.row.status else "never"


def job_states(
    session: Session, config: Mapping[str, Any], jobs: tuple[Job, ...] = JOBS
) -> list[JobState]:
    """Every job that applies here, with its last run and when it is due next."""
    rows = {row.name: row for row in session.scalars(select(JobRun))}
    return [
        JobState(job, rows.get(job.name), next_due(job, rows.get(job.name)))
        for job in registered(config, jobs)
    ]
