"""What the commands read from outside (area, line and destination files; OpenStreetMap
answers), with one way of saying what went wrong and what was skipped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from fieldaudit import osm
from fieldaudit.area_import import AreaFileError

T = TypeVar("T")
SKIPPED_SHOWN = 10


def read_input(read: Callable[[], T], nothing_changed: bool = True) -> T:
    """``read()``; a file that cannot be used stops the command with its message."""
    try:
        return read()
    except AreaFileError as exc:
        raise click.ClickException(
            f"{exc} Nothing changed." if nothing_changed else str(exc)
        ) from exc


def echo_skipped(skipped: Sequence[Any], limit: int | None = None) -> None:
    """One line per skipped feature of a file: its number, name and why."""
    for item in skipped[:limit]:
        click.echo(f"  skipped #{item.index} {item.name or '?'}: {item.reason}")


def osm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a command that reads OpenStreetMap: --print-query, --from-file, --url."""
    for option in reversed(
        (
            click.option("--print-query", is_flag=True, help="Only print the Overpass query."),
            click.option(
                "--from-file",
                type=click.Path(exists=True, path_type=Path),
                help="Use a saved Overpass JSON answer.",
            ),
            click.option("--url", default=osm.OVERPASS_URL, show_default=True),
        )
    ):
        command = option(command)
    return command


def osm_input(
    query: str,
    print_query: bool,
    from_file: Path | None,
    url: str,
    parse: Callable[[Any], tuple[list[T], list[str]]],
) -> tuple[list[T], list[str]] | None:
    """The features of an Overpass answer (saved, or asked of ``url``) and why others were
    skipped (the first ten are printed); None when only the query was to be printed."""
    if print_query:
        click.echo(query)
        return None
    try:
        if from_file is not None:
            answer = osm.load_answer(from_file)
        else:
            click.echo(f"Asking {url} ...")
            answer = osm.fetch(query, url)
        found, skipped = parse(answer)
    except OSError as exc:
        raise click.ClickException(
            f"OpenStreetMap could not be reached ({exc}); nothing changed."
        ) from exc
    except AreaFileError as exc:
        raise click.ClickException(f"{exc} Nothing changed.") from exc
    for reason in skipped[:SKIPPED_SHOWN]:
        click.echo(f"Skipped {reason}")
    return found, skipped
