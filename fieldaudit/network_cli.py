"""``fieldaudit network ...``: import the walking network and its destinations."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from fieldaudit.cli_input import SKIPPED_SHOWN, echo_skipped, osm_input, osm_options, read_input
from fieldaudit.config import network_state_dir
from fieldaudit.extensions import db
from fieldaudit.network import osm as network_osm
from fieldaudit.network.impact import network_impact
from fieldaudit.network.lines import NetworkLine, read_line_file
from fieldaudit.network.noding import DEFAULT_TOLERANCE_M
from fieldaudit.network.population import read_population_file, replace_population
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.store import read_destination_file, replace_network, upsert_destinations
from fieldaudit.network.whatif import Budget, plan_fixes
from fieldaudit.network.whatif_inputs import load_inputs
from fieldaudit.network_scores import refresh_network_scores

network_cli = AppGroup("network", help="The walking network for step-free routes.")

TOLERANCE = click.option(
    "--tolerance",
    type=click.FloatRange(0.0, 10.0),
    default=DEFAULT_TOLERANCE_M,
    show_default=True,
    help="Line ends and crossings closer than this many metres become one node.",
)
APPEND = click.option(
    "--append", is_flag=True, help="Keep the stored network and add these lines to it."
)


def _store(lines: list[NetworkLine], tolerance: float, append: bool, label: str) -> None:
    started = time.perf_counter()
    noded = replace_network(db.session, lines, tolerance=tolerance, append=append)
    db.session.commit()
    click.echo(
        f"{label}: {len(lines)} lines -> {len(noded.edges)} edges, {len(noded.nodes)} nodes "
        f"(tolerance {tolerance:g} m) in {time.perf_counter() - started:.1f} s."
    )


@network_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--srid", type=int, help="EPSG code of the files if they do not say (4326 or 25832).")
@click.option("--layer", help="Layer name in a GeoPackage.")
@TOLERANCE
@APPEND
def import_network(
    files: tuple[Path, ...], srid: int | None, layer: str | None, tolerance: float, append: bool
) -> None:
    """Replace the walking network by the lines of FILES (GeoJSON, GeoPackage, Shapefile)."""
    lines: list[NetworkLine] = []
    for path in files:
        found, skipped, source_srid = read_input(
            partial(read_line_file, path, srid=srid, layer=layer)
        )
        click.echo(f"{path.name}: {len(found)} lines, {len(skipped)} skipped (EPSG:{source_srid}).")
        echo_skipped(skipped, SKIPPED_SHOWN)
        lines.extend(found)
    _store(lines, tolerance, append, "Network")


@network_cli.command("fetch-osm")
@osm_options
@TOLERANCE
@APPEND
def fetch_osm_network(
    print_query: bool, from_file: Path | None, url: str, tolerance: float, append: bool
) -> None:
    """Replace the walking network by Herlev's ways from OpenStreetMap."""
    found = osm_input(
        network_osm.network_query(),
        print_query,
        from_file,
        url,
        network_osm.parse_network_answer,
    )
    if found is None:
        return
    lines = found[0]
    if not lines:
        raise click.ClickException("The answer holds no usable ways; nothing changed.")
    _store(lines, tolerance, append, "OpenStreetMap")


destinations_cli = AppGroup("destinations", help="Places people go (station, library...).")
network_cli.add_command(destinations_cli)


@destinations_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--srid", type=int, help="EPSG code of the files if they do not say.")
@click.option("--layer", help="Layer name in a GeoPackage.")
def import_destinations(files: tuple[Path, ...], srid: int | None, layer: str | None) -> None:
    """Import destinations (points with a name and a kind; same name + kind updates)."""
    for path in files:
        found, skipped = read_input(partial(read_destination_file, path, srid=srid, layer=layer))
        created, updated = upsert_destinations(db.session, found)
        db.session.commit()
        click.echo(f"{path.name}: {created} created, {updated} updated, {len(skipped)} skipped.")


def load_herlev_network(data_dir: str) -> None:
    """Load the shipped approximate Herlev network and destinations (by ``fieldaudit init``)."""
    folder = Path(data_dir)
    network, destinations = (
        folder / "herlev_network.geojson",
        folder / "herlev_destinations.geojson",
    )
    if network.exists():
        lines, _skipped, _srid = read_line_file(network)
        _store(lines, DEFAULT_TOLERANCE_M, False, network.name)
    if destinations.exists():
        found, _skipped = read_destination_file(destinations)
        created, updated = upsert_destinations(db.session, found)
        db.session.commit()
        click.echo(f"{destinations.name}: {created} created, {updated} updated.")


population_cli = AppGroup("population", help="A population grid weighting the origins.")
network_cli.add_command(population_cli)


@population_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--srid", type=int, help="EPSG code of the file if it does not say (4326 or 25832).")
@click.option("--layer", help="Layer name in a GeoPackage.")
def import_population(file: Path, srid: int | None, layer: str | None) -> None:
    """Replace the population grid by FILE's cells (polygons or points with a population
    count; GeoJSON, GeoPackage, Shapefile or CSV with x/y, lon/lat or a DDKN cell name)."""
    cells, skipped = read_input(lambda: read_population_file(file, srid=srid, layer=layer))
    stored = replace_population(db.session, cells, file.name)
    db.session.commit()
    people = sum(c.population for c in cells)
    click.echo(f"{file.name}: {stored} cells, {people:,.0f} people, {len(skipped)} skipped.")
    for item in skipped[:SKIPPED_SHOWN]:
        click.echo(f"  skipped #{item.index}: {item.reason}")


@network_cli.command("impact")
@click.option("--group", type=click.Choice(sorted(PROFILES)), default="WHEEL", show_default=True)
@click.option(
    "--spacing",
    type=click.FloatRange(50.0, 5000.0),
    help="Origin grid in metres (default FIELDAUDIT_NETWORK_SPACING_M, 250).",
)
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option(
    "--what-if", "budget", type=click.IntRange(0, 100), default=0, help="Fixes to choose."
)
def impact_command(group: str, spacing: float | None, top: int, budget: int) -> None:
    """What each public open barrier costs a group between the destinations and an origin grid
    over the municipality (weighted by the population grid when one is imported); with
    --what-if N, the N fixes that open the most connections. Writes the stored impact of every
    group (the priority's network factor) and rescores the sites whose impact changed."""
    started = time.perf_counter()
    spacing = spacing or float(current_app.config["NETWORK_SPACING_M"])
    inputs = load_inputs(db.session, spacing)
    if inputs is None:
        raise click.ClickException("Load a network, the municipality and destinations first.")
    stored = refresh_network_scores(
        db.session, network_state_dir(current_app.config), spacing=spacing, force=True
    )
    db.session.commit()
    click.echo(stored.summary() + ".")
    # The stored impact weighs people when a population grid is imported, as network_impact.
    found = stored.found.get(group) or network_impact(
        inputs.router, PROFILES[group], inputs.origins, inputs.targets, weights=inputs.weights
    )
    counted = "people" if inputs.weights is not None else "pairs"
    click.echo(
        f"{group}: {found.origins} origins x {found.destinations} destinations, "
        f"{found.reachable_share:.0%} of {counted} with a route; {len(found.sites)} sites matter "
        f"({time.perf_counter() - started:.1f} s)."
    )
    for item in found.sites[:top]:
        click.echo(
            f"  site {item.site_id:6d}: {item.pairs_lost} pairs cut off, "
            f"{item.extra_m:,.0f} m extra in all"
        )
    if budget:
        plan = plan_fixes(
            inputs.router,
            PROFILES[group],
            inputs.origins,
            inputs.targets,
            Budget(sites=budget),
            {},
            inputs.weights,
        )
        shares = " -> ".join(f"{s:.0%}" for s in [plan.share_before, plan.share_after])
        chosen = ", ".join(str(f.site_id) for f in plan.fixes) or "none"
        click.echo(f"What-if, fix {chosen}: {counted} with a route {shares}.")
