"""A real production server (gunicorn) in a subprocess: the one launcher of the hardening and
browser tests that kill or break it and of the submission benchmark that measures it.

It lives under ``scripts/`` (not ``tests/``) because the benchmarks use it and the tests import
the benchmarks anyway (they test them): tests import scripts, scripts never import tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def server_environment(config: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment that points a FieldAudit process at a test app's database and media."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDAUDIT_")}
    env.update(
        {
            "FIELDAUDIT_DATABASE_URL": config["DATABASE_URL"],
            "FIELDAUDIT_MEDIA_DIR": config["MEDIA_DIR"],
            "FIELDAUDIT_SECRET_KEY": "hardening-test-secret",
            "FIELDAUDIT_TILE_URL": "",
            **extra,
        }
    )
    return env


def running_in_group(group: int) -> list[int]:
    """Processes of a process group that still run (zombies do not count)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_APP = "fieldaudit:create_app()"


class Gunicorn:
    """``gunicorn 'fieldaudit:create_app()'`` (or another ``app``) on a loopback port, in its
    own process group; start, kill, restart."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        workers: int = 1,
        port: int = 0,
        options: tuple[str, ...] = (),
        app: str = PRODUCTION_APP,
    ) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.options = options  # more gunicorn options, e.g. ("--worker-class", "gthread")
        self.app = app
        self.port = port  # 0: any free port, chosen when it starts (then kept for restarts)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server's address on loopback (known once it has started)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> Gunicorn:
        """Start and wait until the API answers.

        On its first start the listening socket is made here and handed to gunicorn
        (``fd://``): a port picked free and then closed could be taken by another test's server
        before gunicorn bound it, and the start-up probe would then have been answered by that
        other server. A restart binds the same port again through gunicorn, which retries
        while the killed server's socket is still going away."""
        listener = socket.create_server(("127.0.0.1", 0)) if not self.port else None
        if listener is not None:
            self.port = listener.getsockname()[1]
        bind = f"fd://{listener.fileno()}" if listener else f"127.0.0.1:{self.port}"
        with contextlib.ExitStack() as own:
            if listener is not None:
                own.enter_context(listener)  # closed once gunicorn holds its own copy
            log = own.enter_context(self.log.open("ab"))
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    str(self.workers),
                    "--bind",
                    bind,
                    "--timeout",
                    "120",
                    "--pythonpath",
                    str(ROOT),  # this checkout's fieldaudit (and scripts), wherever it runs
                    *self.options,
                    self.app,
                ],
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group, so a kill takes the workers too
                pass_fds=(listener.fileno(),) if listener else (),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ended: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/categories", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        """The end of gunicorn's log."""
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (no cleanup of any kind)."""
        if self.process is not None and self.process.poll() is None:
            group = self.process.pid
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while running_in_group(group) and time.monotonic() < deadline:
                time.sleep(0.05)  # the workers die a moment after the master
        self.process = None

    def stop(self) -> None:
        """A normal shutdown (SIGTERM), or a kill if it does not end."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
