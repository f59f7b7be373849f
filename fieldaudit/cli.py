"""The ``fieldaudit`` command line, built on Flask's CLI."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from fieldaudit import osm
from fieldaudit.accounts.cli import users_cli
from fieldaudit.area_import import herlev_files, import_areas, read_area_file
from fieldaudit.areas import upsert_area
from fieldaudit.bench.cli import bench_cli
from fieldaudit.cli_input import echo_skipped, osm_input, osm_options, read_input
from fieldaudit.config import network_state_dir, private_originals_dir
from fieldaudit.extensions import db
from fieldaudit.mail_web.cli import mail_cli
from fieldaudit.network_cli import load_herlev_network, network_cli
from fieldaudit.open311.commands import apikeys_cli

areas_cli = AppGroup("areas", help="Public spaces and green areas.")


@click.command("init")
@click.option("--herlev/--no-herlev", default=True, help="Load the shipped Herlev areas.")
@with_appcontext
def init_command(herlev: bool) -> None:
    """Create or upgrade the database and load Herlev's areas."""
    started = time.perf_counter()
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo(
        f"Database ready ({db.engine.url.get_backend_name()}) in {time.perf_counter() - started:.2f} s."
    )
    if herlev:
        for path in herlev_files(current_app.config["DATA_DIR"]):
            _import_file(path, srid=None, kind=None, layer=None)
        load_herlev_network(current_app.config["DATA_DIR"])  # issue 16: approximate network


def _import_file(path: Path, srid: int | None, kind: str | None, layer: str | None) -> None:
    plan = read_input(
        lambda: read_area_file(path, srid=srid, kind=kind, layer=layer), nothing_changed=False
    )
    result = import_areas(db.session, plan)
    db.session.commit()
    click.echo(
        f"{path.name}: {result.created} created, {result.updated} updated, "
        f"{len(result.skipped)} skipped (EPSG:{plan.source_srid})."
    )
    echo_skipped(result.skipped)


@areas_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--srid", type=int, help="EPSG code of the file if it does not say (4326 or 25832).")
@click.option("--kind", help="Area kind for every feature if the file has no 'kind' field.")
@click.option("--layer", help="Layer name in a GeoPackage.")
def import_command(
    files: tuple[Path, ...], srid: int | None, kind: str | None, layer: str | None
) -> None:
    """Import areas from GeoJSON, GeoPackage or Shapefile files (same name + kind updates)."""
    for path in files:
        _import_file(path, srid, kind, layer)


@areas_cli.command("fetch-osm")
@osm_options
def fetch_osm_command(print_query: bool, from_file: Path | None, url: str) -> None:
    """Import Herlev's parks, playgrounds, squares and paths from OpenStreetMap."""
    found = osm_input(osm.overpass_query(), print_query, from_file, url, osm.parse_overpass)
    if found is None:
        return
    features, skipped = found
    created = updated = 0
    with click.progressbar(features, label="Importing areas") as bar:
        for feature in bar:
            _area, was_created = upsert_area(db.session, feature)
            created += was_created
            updated += not was_created
    db.session.commit()
    click.echo(f"OpenStreetMap: {created} created, {updated} updated, {len(skipped)} skipped.")


@areas_cli.command("list")
def list_command() -> None:
    """List the stored areas."""
    from sqlalchemy import select

    from fieldaudit.models import Area

    for area in db.session.scalars(select(Area).order_by(Area.kind, Area.name)):
        click.echo(f"{area.id:5d}  {area.kind:30s} {area.importance:4.1f}  {area.name}")


sites_cli = AppGroup("sites", help="Barrier sites (merged reports).")


@sites_cli.command("rebuild")
def rebuild_command() -> None:
    """Re-cluster every report into barrier sites from scratch."""
    from fieldaudit.site_rebuild import rebuild

    started = time.perf_counter()
    with click.progressbar(length=1, label="Re-clustering reports") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        count = rebuild(db.session, progress)
    db.session.commit()
    click.echo(f"{count} sites in {time.perf_counter() - started:.1f} s.")


def _sqlite_file() -> Path:
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException(
            "backup and restore are for the SpatiaLite database; for PostGIS use pg_dump "
            "and pg_restore (see README)."
        )
    return Path(url.database)


@click.command("backup")
@click.argument("archive", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(archive: Path) -> None:
    """Back up the SpatiaLite database (online), the media folder and the private originals of
    redacted photos into ARCHIVE (.tar.gz)."""
    from fieldaudit.backup import BackupError, create_backup

    try:
        summary = create_backup(
            _sqlite_file(),
            Path(current_app.config["MEDIA_DIR"]),
            archive,
            private_originals_dir(current_app.config),
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {summary.path}: {summary.files} files, {summary.bytes} bytes.")


@click.command("restore")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """Restore a backup over the SpatiaLite database, media folder and private originals (stop
    the app first)."""
    from fieldaudit.backup import BackupError, restore_backup

    database = _sqlite_file()
    if not yes:
        click.confirm(
            f"Replace {database}, the media folder and the private originals with {archive}?",
            abort=True,
        )
    db.engine.dispose()
    try:
        summary = restore_backup(
            archive,
            database,
            Path(current_app.config["MEDIA_DIR"]),
            private_originals_dir(current_app.config),
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {summary.files} files from {summary.path}.")


@sites_cli.command("rescore")
def rescore_command() -> None:
    """Recompute every site's priority score (after new weights; nightly for the 4-year rule),
    with the network impact of every public open site computed afresh first."""
    from fieldaudit.network.impact_store import refresh_impacts
    from fieldaudit.priority import rescore_all

    started = time.perf_counter()
    config = current_app.config
    network = refresh_impacts(
        db.session, network_state_dir(config), full=True, spacing=config["NETWORK_SPACING_M"]
    )
    db.session.commit()
    click.echo(network.summary() + ".")
    with click.progressbar(length=1, label="Scoring sites") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        count = rescore_all(db.session, progress=progress)
    db.session.commit()
    click.echo(f"{count} sites rescored in {time.perf_counter() - started:.1f} s.")


@click.command("retention")
@click.option("--days", type=int, help="Override FIELDAUDIT_RETENTION_DAYS.")
@with_appcontext
def retention_command(days: int | None) -> None:
    """Anonymise the reporters of reports closed longer ago than the retention period."""
    from fieldaudit.privacy import apply_retention

    period = days if days is not None else current_app.config["RETENTION_DAYS"]
    count = apply_retention(db.session, period)
    db.session.commit()
    click.echo(f"{count} closed reports anonymised (closed more than {period} days ago).")


@click.command("check")
@click.option(
    "--repair",
    is_flag=True,
    help="Remove orphan files and stale staging files; recount the map's site cells.",
)
@click.option(
    "--min-age",
    type=float,
    default=3600.0,
    show_default=True,
    help="Seconds before a file no row refers to counts as abandoned (0 with the app stopped).",
)
@click.option("--no-hashes", is_flag=True, help="Skip reading every file for its SHA-256.")
@with_appcontext
def check_command(repair: bool, min_age: float, no_hashes: bool) -> None:
    """Check that the database and the media folder agree, and that the map's site cells
    match the sites; exit 1 on any problem."""
    from fieldaudit import consistency, site_cells

    started = time.perf_counter()
    media, private = current_app.config["MEDIA_DIR"], private_originals_dir(current_app.config)
    result = consistency.check_media(db.session, media, private, not no_hashes, min_age)
    if repair and result.removable:
        removed = consistency.repair(result)
        click.echo(f"Removed {removed} orphan or staging files.")
        result = consistency.check_media(db.session, media, private, not no_hashes, min_age)
    cells = site_cells.differences(db.session)
    if repair and cells:
        count = site_cells.rebuild_site_cells(db.session)
        db.session.commit()
        click.echo(f"Recounted the map's site cells ({count} cells).")
        cells = site_cells.differences(db.session)
    for finding in result.findings:
        click.echo(str(finding))
    for problem in cells:
        click.echo(problem)
    problems = len(result.findings) + len(cells)
    click.echo(
        f"{problems} problems; {result.photos} photo rows and {result.files} files "
        f"checked in {time.perf_counter() - started:.1f} s."
    )
    if problems:
        raise SystemExit(1)


jobs_cli = AppGroup("jobs", help="Scheduled jobs (fieldaudit/jobs.py).")


@jobs_cli.command("run")
@click.option("--job", "only", help="Run only this job.")
@click.option("--force", is_flag=True, help="Run even if not due (never beside a live lease).")
def jobs_run_command(only: str | None, force: bool) -> None:
    """Run the jobs that are due, each at most once across every server; exit 1 if one failed."""
    from fieldaudit import jobs

    names = [job.name for job in jobs.registered(current_app.config)]
    if only is not None and only not in names:
        raise click.ClickException(f"unknown job {only!r}; jobs here: {', '.join(names)}")
    outcomes = jobs.run_due(db.session, current_app.config, only=only, force=force)
    for outcome in outcomes:
        click.echo(f"{outcome.name:12s} {outcome.status:8s} {outcome.summary}".rstrip())
    if any(outcome.status == jobs.FAILED for outcome in outcomes):
        raise SystemExit(1)


@jobs_cli.command("list")
def jobs_list_command() -> None:
    """List the jobs with their last run, result and next due time."""
    from fieldaudit import jobs

    for state in jobs.job_states(db.session, current_app.config):
        row = state.row
        last = f"{jobs.aware(row.started_at):%Y-%m-%d %H:%M}" if row and row.started_at else "-"
        due = f"{state.next_due:%Y-%m-%d %H:%M}" if state.next_due else "now"
        summary = (row.summary if row else "") or ""
        click.echo(
            f"{state.job.name:12s} {state.status:8s} last {last:16s} due {due:16s} {summary}"
        )


def register_commands(app: Flask) -> None:
    """Register FieldAudit's commands on ``app``."""
    app.cli.add_command(apikeys_cli)
    app.cli.add_command(init_command)
    app.cli.add_command(areas_cli)
    app.cli.add_command(sites_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(check_command)  # hardening (issue 8): fieldaudit/consistency.py
    app.cli.add_command(bench_cli)
    app.cli.add_command(jobs_cli)  # operations (issue 15): fieldaudit/jobs.py
    app.cli.add_command(mail_cli)  # e-mail (issue 15): fieldaudit mail send
    app.cli.add_command(network_cli)  # issue 16: fieldaudit/network_cli.py
