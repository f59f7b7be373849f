"""Sending the outbox to a real SMTP server (aiosmtpd on a loopback port, started here):
every mail arrives once, also when the server is away for a while and when two senders run
at the same time (on SpatiaLite and on PostGIS)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from fieldaudit.extensions import db as _db
from fieldaudit.mail import outbox
from fieldaudit.mail.outbox import Draft
from fieldaudit.mail.sender import send_due
from fieldaudit.mail.smtp import SmtpSettings
from fieldaudit.models import MailMessage


class Inbox:
    """What the test SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> SmtpSettings:
        return SmtpSettings.from_config(
            {
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": self.port,
                "MAIL_SENDER": "FieldAudit <fa@herlev.dk>",
            }
        )


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def queue_mails(db: Any, count: int, now: datetime) -> None:
    for n in range(count):
        outbox.queue(
            db.session,
            f"test:{n}",
            Draft(
                recipient=f"person{n}@example.org",
                language="da",
                subject=f"Besked {n}",
                text=f"Tekst {n} æøå",
                html=f'<!DOCTYPE html><html lang="da"><body><h1>Besked {n}</h1></body></html>',
                headers={
                    "List-Unsubscribe": f"<http://localhost:5000/mail/afmeld/{n}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            ),
            now,
        )
    db.session.commit()


def unsent(db: Any) -> int:
    return db.session.scalar(
        select(func.count()).select_from(MailMessage).where(MailMessage.sent_at.is_(None))
    )


def test_mails_arrive_once_as_text_and_html_with_the_unsubscribe_headers(db, smtp):
    now = datetime.now(UTC)
    queue_mails(db, 3, now)
    result = send_due(db.session, smtp.settings(), clock=lambda: now)
    assert (result.sent, result.failed) == (3, 0)
    assert sorted(smtp.inbox.subjects()) == ["Besked 0", "Besked 1", "Besked 2"]
    assert send_due(db.session, smtp.settings(), clock=lambda: now).sent == 0  # never twice
    assert unsent(db) == 0
    mail = smtp.inbox.messages[0]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<http://localhost:5000/mail/afmeld/")
    assert mail["Message-ID"] and mail["From"] == "FieldAudit <fa@herlev.dk>"
    assert mail.get_body(("plain",)).get_content().strip() == "Tekst 0 æøå"
    assert '<html lang="da">' in mail.get_body(("html",)).get_content()


def test_the_server_away_for_a_while_then_back_every_mail_arrives_once(db, smtp):
    start = datetime.now(UTC)
    queue_mails(db, 5, start)
    smtp.stop()
    clock = {"now": start}
    away = send_due(db.session, smtp.settings(), clock=lambda: clock["now"])
    assert (away.sent, away.failed) == (0, 1) and "Connection refused" in away.errors[0]
    failed = db.session.scalars(select(MailMessage).where(MailMessage.attempts > 0)).all()
    assert len(failed) == 1 and failed[0].last_error and failed[0].sent_at is None
    for minutes in (1, 2, 3, 5, 8):  # still away: each pass tries, fails, backs off
        clock["now"] = start + timedelta(minutes=minutes)
        assert send_due(db.session, smtp.settings(), clock=lambda: clock["now"]).sent == 0
    assert unsent(db) == 5 and outbox.stuck(db.session, start + timedelta(minutes=31))
    smtp.start()
    clock["now"] = start + timedelta(minutes=9)
    send_due(db.session, smtp.settings(), clock=lambda: clock["now"])  # those due now
    clock["now"] = start + timedelta(hours=2)  # every back-off has run out
    send_due(db.session, smtp.settings(), clock=lambda: clock["now"])
    assert unsent(db) == 0
    assert sorted(smtp.inbox.subjects()) == [f"Besked {n}" for n in range(5)]
    assert not outbox.stuck(db.session, clock["now"])


def test_a_refused_recipient_is_given_up_and_shown_not_retried(db, smtp):
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("person1@"):
                return "550 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    smtp.stop()
    smtp.inbox = Refusing()
    smtp.start()
    now = datetime.now(UTC)
    queue_mails(db, 3, now)
    result = send_due(db.session, smtp.settings(), clock=lambda: now)
    assert (result.sent, result.failed) == (2, 1)
    assert result.errors == ["SMTPRecipientsRefused [550]"]  # the log line names no address
    later = now + timedelta(days=1)
    assert send_due(db.session, smtp.settings(), clock=lambda: later).failed == 0
    assert outbox.counts(db.session) == {"waiting": 0, "given_up": 1, "sent": 2}
    assert not outbox.stuck(db.session, later)  # given up: shown to admins, not "stuck"


def test_two_senders_at_once_send_each_mail_once(app, db, smtp):
    count = 60
    now = datetime.now(UTC)
    queue_mails(db, count, now)
    db.session.remove()
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sender() -> None:
        try:
            with app.app_context():
                barrier.wait()
                results.append(send_due(_db.session, smtp.settings()))
                _db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    subjects = smtp.inbox.subjects()
    assert len(subjects) == count and len(set(subjects)) == count
    assert sum(r.sent for r in results) == count
    assert all(r.sent > 0 for r in results), [r.sent for r in results]  # both took part
    assert unsent(db) == 0


def test_the_send_command_once_and_without_a_server(app, db, smtp, make_user):
    now = datetime.now(UTC)
    queue_mails(db, 2, now)
    idle = app.test_cli_runner().invoke(args=["mail", "send"])
    assert idle.exit_code == 0 and "2 mails wait in the outbox" in idle.output
    assert unsent(db) == 2
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert sorted(smtp.inbox.subjects()) == ["Besked 0", "Besked 1"]


def test_the_send_loop_as_a_service_sends_as_mail_arrives_and_stops_on_sigterm(
    app, db, smtp, tmp_path
):
    """``fieldaudit mail send --loop`` in its own process (as systemd runs it): it sends what
    is queued later too, and SIGTERM ends it cleanly (exit 0)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    queue_mails(db, 2, datetime.now(UTC))
    environment = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "FIELDAUDIT_DATABASE_URL": app.config["DATABASE_URL"],
        "FIELDAUDIT_MEDIA_DIR": str(tmp_path / "media"),
        "FIELDAUDIT_SECRET_KEY": "test-secret",
        "FIELDAUDIT_MAIL_SERVER": "127.0.0.1",
        "FIELDAUDIT_MAIL_PORT": str(smtp.port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "fieldaudit", "mail", "send", "--loop", "--interval", "0.2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def arrived(count: int) -> bool:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if len(smtp.inbox.messages) >= count:
                    return True
                time.sleep(0.1)
            return False

        assert arrived(2)
        outbox.queue(
            db.session,
            "later",
            Draft("sen@example.org", "da", "Senere", "Tekst", "<p>Tekst</p>", {}),
        )
        db.session.commit()
        assert arrived(3)
        worker.send_signal(signal.SIGTERM)
        output, errors = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, errors
    assert sorted(smtp.inbox.subjects()) == ["Besked 0", "Besked 1", "Senere"]
    passes = [int(n) for n in re.findall(r"sent (\d+), failed 0", output)]
    assert sum(passes) == 3, output  # one line per pass that sent something


def test_starttls_with_a_verified_certificate_and_sign_in(db, tmp_path):
    """Port 587 as a municipality's relay runs it: STARTTLS, the certificate checked against
    the configured CA (a self-signed one here), then AUTH; without the CA nothing is sent."""
    import ssl
    import subprocess

    from aiosmtpd.smtp import AuthResult

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    names = "subjectAltName=IP:127.0.0.1"
    subprocess.run(
        ["openssl", *request.split(), "-addext", names, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    signed_in: list[bytes] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"fieldaudit" and auth_data.password == b"hemmelig"
        if ok:
            signed_in.append(auth_data.login)
        return AuthResult(success=ok)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        now = datetime.now(UTC)
        queue_mails(db, 2, now)
        config = {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_USE_TLS": True,
            "MAIL_USERNAME": "fieldaudit",
            "MAIL_PASSWORD": "hemmelig",
        }
        unverified = send_due(db.session, SmtpSettings.from_config(config), clock=lambda: now)
        assert (unverified.sent, unverified.failed) == (0, 1)  # the system does not trust it
        assert "SSLCertVerificationError" in db.session.scalar(
            select(MailMessage.last_error).where(MailMessage.attempts == 1)
        )
        verified = SmtpSettings.from_config({**config, "MAIL_CA_FILE": str(cert)})
        later = now + timedelta(hours=2)
        assert send_due(db.session, verified, clock=lambda: later).sent == 2
        assert sorted(inbox.subjects()) == ["Besked 0", "Besked 1"] and signed_in
    finally:
        controller.stop()
