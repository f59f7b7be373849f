"""``fieldaudit apikeys ...``: API keys for systems that submit reports through Open311."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from fieldaudit.apikeys import create_api_key, revoke_api_key
from fieldaudit.extensions import db
from fieldaudit.models import ApiKey

apikeys_cli = AppGroup("apikeys", help="API keys for Open311 POST requests.")


@apikeys_cli.command("create")
@click.argument("name")
def create_command(name: str) -> None:
    """Create a key for the system NAME and print it once (only its SHA-256 is stored)."""
    try:
        api_key, key = create_api_key(db.session, name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc
    db.session.commit()
    click.echo(f"API key #{api_key.id} for {api_key.name}:")
    click.echo(key)
    click.echo("Store it now: it is not shown again and cannot be recovered.", err=True)


@apikeys_cli.command("list")
def list_command() -> None:
    """List the keys (never the keys themselves)."""
    for api_key in db.session.scalars(select(ApiKey).order_by(ApiKey.id)):
        state = "active" if api_key.active else "revoked"
        click.echo(f"{api_key.id:5d}  {state:8s} {api_key.created_at:%Y-%m-%d}  {api_key.name}")


@apikeys_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_command(key_id: int) -> None:
    """Revoke the key with id KEY_ID."""
    api_key = revoke_api_key(db.session, key_id)
    if api_key is None:
        raise click.ClickException(f"No API key #{key_id}.")
    db.session.commit()
    click.echo(f"API key #{api_key.id} ({api_key.name}) revoked.")
