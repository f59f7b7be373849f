"""``fieldaudit mail send``: hand the outbox to the SMTP server, once or in a loop."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from fieldaudit.extensions import db
from fieldaudit.mail import outbox
from fieldaudit.mail.sender import send_due
from fieldaudit.mail.smtp import SmtpSettings

mail_cli = AppGroup("mail", help="E-mail: the outbox and its sender.")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until stopped (SIGTERM, Ctrl-C).")
@click.option(
    "--interval", type=float, help="Seconds between passes (FIELDAUDIT_MAIL_SEND_INTERVAL)."
)
def send_command(loop: bool, interval: float | None) -> None:
    """Send the mails that are due (retrying later those the server did not take)."""
    settings = SmtpSettings.from_config(current_app.config)
    pause = interval if interval is not None else float(current_app.config["MAIL_SEND_INTERVAL"])
    stopping = {"now": False}

    def stop(_signum: int, _frame: object) -> None:
        stopping["now"] = True

    if loop:  # finish the message in hand, then stop
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    if not settings.configured:
        waiting = outbox.counts(db.session)["waiting"]
        click.echo(f"No mail server (FIELDAUDIT_MAIL_SERVER): {waiting} mails wait in the outbox.")
        if not loop:
            return
    while True:
        if settings.configured:
            result = send_due(db.session, settings, stop=lambda: stopping["now"])
            if result.sent or result.failed or not loop:
                stamp = datetime.now(UTC).isoformat(timespec="seconds")
                click.echo(f"{stamp} sent {result.sent}, failed {result.failed}")
                for error in result.errors[:5]:
                    click.echo(f"  {error}", err=True)
        db.session.remove()
        if not loop:
            return
        waited = 0.0
        while waited < pause and not stopping["now"]:
            time.sleep(min(0.2, pause))
            waited += 0.2
        if stopping["now"]:
            return
