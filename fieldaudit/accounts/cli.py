"""``fieldaudit users ...``: create, invite, list and unlock users and set their roles."""

from __future__ import annotations

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from fieldaudit.accounts import users as accounts
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.status import Role

users_cli = AppGroup("users", help="User accounts and roles.")

ROLE_NAMES = click.Choice([r.value for r in Role])


def _fail(error: DomainError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException("; ".join(p.message.en for p in error.problems))


def _user(email: str):
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"No user with the e-mail {email}.")
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=ROLE_NAMES, default=Role.VOLUNTEER.value, show_default=True)
@click.option("--name", "display_name", default="", help="Display name (internal).")
@click.password_option(help="The password (asked for when not given).")
def create_command(email: str, role: str, display_name: str, password: str) -> None:
    """Create a user with a password."""
    try:
        user = accounts.create_user(db.session, email, Role(role), password, display_name)
    except DomainError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")


@users_cli.command("invite")
@click.argument("email")
@click.option("--role", type=ROLE_NAMES, default=Role.VOLUNTEER.value, show_default=True)
@click.option("--name", "display_name", default="", help="Display name (internal).")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The address people open FieldAudit at, for the link.",
)
def invite_command(email: str, role: str, display_name: str, base_url: str) -> None:
    """Invite a user: print a one-time link (valid 7 days) to choose a password."""
    try:
        user, token = accounts.invite_user(db.session, email, Role(role), display_name)
    except DomainError as error:
        raise _fail(error) from error
    db.session.commit()
    with current_app.test_request_context(base_url=base_url):
        link = url_for("accounts.invitation", token=token, _external=True)
    click.echo(f"Invited {user.email} ({user.role}). The link works once, for 7 days:")
    click.echo(link)


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_NAMES)
def set_role_command(email: str, role: str) -> None:
    """Change a user's role."""
    user = _user(email)
    try:
        accounts.set_role(db.session, user, Role(role))
    except DomainError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Deactivate a user (they can no longer sign in)."""
    user = _user(email)
    try:
        accounts.set_active(db.session, user, False)
    except DomainError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"{user.email} is deactivated.")


@users_cli.command("activate")
@click.argument("email")
def activate_command(email: str) -> None:
    """Activate a deactivated user again."""
    user = _user(email)
    accounts.set_active(db.session, user, True)
    db.session.commit()
    click.echo(f"{user.email} is active.")


@users_cli.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Lift a user's sign-in locks (after too many wrong passwords), from every address."""
    user = _user(email)
    addresses = accounts.unlock(db.session, user.email)
    db.session.commit()
    click.echo(
        f"{user.email} can sign in again (failed sign-ins forgotten from {addresses} address(es))."
    )


@users_cli.command("list")
def list_command() -> None:
    """List every user with role and state."""
    for user in accounts.list_users(db.session):
        if not user.active:
            state = "deactivated"
        elif user.password_hash is None:
            state = "invited" if accounts.invitation_pending(user) else "invitation expired"
        else:
            state = "active"
        click.echo(f"{user.id:5d}  {user.role:10s} {state:18s} {user.email}  {user.display_name}")
