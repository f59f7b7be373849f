"""The ``fieldaudit`` command (``python -m fieldaudit`` too): Flask's CLI around ``create_app``."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from fieldaudit import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """FieldAudit: accessibility audits of public space."""


if __name__ == "__main__":
    main()
