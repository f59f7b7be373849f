"""``fieldaudit bench generate|load``: the synthetic data set from the command line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from fieldaudit.area_import import herlev_files, read_area_file
from fieldaudit.bench.clustering import build_sites
from fieldaudit.bench.generate import AreaLocator, AreaShape, generate, locate_areas
from fieldaudit.bench.load import areas_from_database, check_empty, load
from fieldaudit.crs import many_to_wgs84
from fieldaudit.extensions import db

bench_cli = AppGroup("bench", help="Synthetic reports for benchmarks (docs/benchmarks.md).")


def _areas() -> list[AreaShape]:
    areas = areas_from_database(db.session)
    if areas:
        return areas
    shapes: list[AreaShape] = []
    for path in herlev_files(current_app.config["DATA_DIR"]):
        for feature in read_area_file(path).features:
            shapes.append(
                AreaShape(None, feature.name, feature.kind, feature.geometry, feature.importance)
            )
    return shapes


@bench_cli.command("generate")
@click.argument("count", type=click.IntRange(1))
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON lines"
)
def generate_command(count: int, seed: int, output: Path) -> None:
    """Write COUNT synthetic reports (one JSON object a line, WGS84 and EPSG:25832)."""
    started = time.perf_counter()
    areas = _areas()
    dataset = generate(count, areas, seed)
    locate_areas(dataset.reports, AreaLocator(areas))
    reports = dataset.reports
    lons, lats = many_to_wgs84([r.x for r in reports], [r.y for r in reports])
    with output.open("w", encoding="utf-8") as out:
        for report, lon, lat in zip(reports, lons, lats, strict=True):
            out.write(
                json.dumps(
                    {
                        "uuid": report.uuid,
                        "lon": round(lon, 7),
                        "lat": round(lat, 7),
                        "easting": round(report.x, 3),
                        "northing": round(report.y, 3),
                        "accuracy_m": report.accuracy_m,
                        "category": report.category,
                        "severity": report.severity,
                        "groups": report.groups,
                        "tags": report.tags,
                        "measurements": report.measurements,
                        "description": report.description,
                        "created_at": report.created_at.isoformat(),
                        "received_at": report.received_at.isoformat(),
                        "device_token_hash": report.device_token_hash,
                        "status": report.status,
                        "barrier": report.barrier,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    click.echo(
        f"{len(reports)} reports of {dataset.barrier_count} barriers written to {output} "
        f"in {time.perf_counter() - started:.1f} s."
    )


@bench_cli.command("load")
@click.argument("count", type=click.IntRange(1))
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--strategy",
    type=click.Choice(["rebuild", "keep"]),
    help="Drop and recreate the indexes, or keep them live (default: the faster measured).",
)
def load_command(count: int, seed: int, strategy: str | None) -> None:
    """Generate COUNT reports, cluster them into sites and bulk load both (empty database)."""
    areas = areas_from_database(db.session)
    if not areas:
        raise click.ClickException("No areas in the database: run `fieldaudit init` first.")
    try:
        check_empty(db.session)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.remove()
    started = time.perf_counter()
    dataset = generate(count, areas, seed)
    locator = AreaLocator(areas)
    locate_areas(dataset.reports, locator)
    sites = build_sites(dataset.reports, locator)
    prepared = time.perf_counter() - started
    timings = load(db.engine, dataset.reports, sites, strategy)
    click.echo(
        f"{len(dataset.reports)} reports and {len(sites)} sites: generated and clustered in "
        f"{prepared:.1f} s, loaded in {timings['total']:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total")
        + ")."
    )
