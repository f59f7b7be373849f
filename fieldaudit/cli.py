"""The ``fieldaudit`` command line, built on Flask's CLI."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    """Register FieldAudit's commands on ``app``."""


def _create_app():
    from fieldaudit import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """FieldAudit: accessibility audits of public space."""
