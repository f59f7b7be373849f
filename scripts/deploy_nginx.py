"""Write the nginx site for FieldAudit from the shipped template, or run nginx on loopback.

    python scripts/deploy_nginx.py --server-name barrierer.herlev.dk \\
        --cert /etc/letsencrypt/live/barrierer.herlev.dk/fullchain.pem \\
        --key /etc/letsencrypt/live/barrierer.herlev.dk/privkey.pem \\
        --media-dir /var/lib/fieldaudit/media > /etc/nginx/sites-available/fieldaudit

The template is ``deploy/nginx/fieldaudit.conf``; the static folder and the Leaflet folders come
from this installation, the upload limit from the app's MAX_CONTENT_LENGTH (so nginx and the
app agree). ``LoopbackNginx`` starts nginx with the rendered site and its own prefix and
configuration (``nginx -p DIR -c FILE -g 'daemon off;'``) for the tests and scale_out.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "fieldaudit.conf"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def installation_values() -> dict[str, str]:
    """The values this installation decides: static and vendor folders, the upload limit."""
    from xstatic.pkg import leaflet, leaflet_markercluster

    from fieldaudit.config import defaults, from_environment

    config = from_environment(defaults(str(ROOT / "instance")))
    return {
        "STATIC_DIR": str(ROOT / "fieldaudit" / "static"),
        "LEAFLET_DIR": str(Path(leaflet.BASE_DIR)),
        "MARKERCLUSTER_DIR": str(Path(leaflet_markercluster.BASE_DIR)),
        "CLIENT_MAX_BODY_SIZE": str(int(config["MAX_CONTENT_LENGTH"])),
        "MEDIA_DIR": str(Path(config["MEDIA_DIR"]).resolve()),
    }


def render_site(values: dict[str, str], template: Path = TEMPLATE) -> str:
    """The site file with every @NAME@ filled in (a missing value is an error)."""
    text = template.read_text()
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def upstream_servers(addresses: Iterable[str]) -> str:
    """The upstream block's server lines for the app instances ``host:port``."""
    return " ".join(f"server {address} max_fails=2 fail_timeout=5s;" for address in addresses)


def self_signed_certificate(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A throwaway certificate and key for ``name`` (openssl), for loopback tests."""
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


MAIN_CONF = """\
{user}worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {site};
}}
"""


class LoopbackNginx:
    """nginx with the shipped site in front of app instances, on loopback ports."""

    def __init__(self, folder: Path, upstreams: list[str], media_dir: str) -> None:
        self.prefix = folder
        self.http_port, self.https_port = free_port(), free_port()
        for sub in ("logs", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.cert, self.key = self_signed_certificate(folder)
        values = {
            **installation_values(),
            "SERVER_NAME": "localhost",
            "HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "UPSTREAM_SERVERS": upstream_servers(upstreams),
            "TLS_CERT": str(self.cert),
            "TLS_KEY": str(self.key),
            "LOG_DIR": str(folder / "logs"),
            "MEDIA_DIR": str(Path(media_dir).resolve()),
        }
        self.site = folder / "fieldaudit.conf"
        self.site.write_text(render_site(values))
        self.conf = folder / "nginx.conf"
        # Started by root, nginx's workers would be "nobody", who cannot read a test's private
        # temporary folders; in production they are www-data, in the media folder's group.
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf.write_text(MAIN_CONF.format(user=user, prefix=folder, site=self.site))
        self.process: subprocess.Popen | None = None
        self.url = f"https://localhost:{self.https_port}"

    def start(self, timeout: float = 20.0) -> LoopbackNginx:
        """Check the configuration, start nginx and wait until it listens."""
        command = [NGINX, "-p", str(self.prefix), "-c", str(self.conf)]
        subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
        log = (self.prefix / "logs" / "stderr.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                [*command, "-g", "daemon off;"],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("nginx ended: " + self.error_log()) from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start: " + self.error_log())

    def error_log(self) -> str:
        """The end of nginx's error log."""
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx (QUIT lets it finish; then TERM/KILL)."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> LoopbackNginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description="Write FieldAudit's nginx site to stdout.")
    parser.add_argument("--server-name", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--upstream", action="append", help="host:port (repeat for several)")
    parser.add_argument("--media-dir", help="default: FIELDAUDIT_MEDIA_DIR")
    parser.add_argument("--http-listen", default="80")
    parser.add_argument("--https-listen", default="443")
    parser.add_argument("--log-dir", default="/var/log/nginx")
    args = parser.parse_args()
    values = installation_values()
    values.update(
        {
            "SERVER_NAME": args.server_name,
            "TLS_CERT": args.cert,
            "TLS_KEY": args.key,
            "UPSTREAM_SERVERS": upstream_servers(args.upstream or ["127.0.0.1:8000"]),
            "HTTP_LISTEN": args.http_listen,
            "HTTPS_LISTEN": args.https_listen,
            "LOG_DIR": args.log_dir,
        }
    )
    if args.media_dir:
        values["MEDIA_DIR"] = str(Path(args.media_dir).resolve())
    sys.stdout.write(render_site(values))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
