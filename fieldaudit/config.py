"""Configuration: defaults in code, overridden by ``FIELDAUDIT_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "FIELDAUDIT_"
DEV_SECRET = "dev-only-not-secret"

# Bounding box of Herlev Kommune in WGS84 (DOMAIN.md): min lon, min lat, max lon, max lat.
HERLEV_BBOX_WGS84 = (12.393, 55.708, 12.459, 55.760)


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example a missing secret in production)."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the default configuration for an app whose instance folder is ``instance_path``."""
    instance = Path(instance_path)
    return {
        "ENV_NAME": "development",
        "SECRET_KEY": DEV_SECRET,
        "DATABASE_URL": f"sqlite:///{instance / 'fieldaudit.sqlite'}",
        "MEDIA_DIR": str(instance / "media"),
        "DATA_DIR": str(Path(__file__).resolve().parent.parent / "data" / "geo"),
        "SPATIALITE_LIBRARY": "mod_spatialite",
        # Background map tiles; empty to draw only FieldAudit's own layers (tests, offline).
        "TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "BOUNDARY_TOLERANCE_M": 150.0,
        "CONTACT_EMAIL": "tilgaengelighed@herlev.dk",
        # Reverse proxies in front of the app (0: none). Sign-in throttling and rate limits key
        # on the client address, so behind a proxy this must be set to trust X-Forwarded-For.
        "PROXY_HOPS": 0,
        # Trust X-Forwarded-Host (with PROXY_HOPS) only if the proxy sets it itself: otherwise
        # a client chooses the host that feed, OGC and Open311 links carry.
        "PROXY_HOST": False,
        # Host names the app answers for (a comma list; empty: any). Set it in production:
        # another Host is a 400, and feed links never carry a name the client chose.
        "TRUSTED_HOSTS": "",
        # Reporter data of closed reports is anonymised this many days after closing.
        "RETENTION_DAYS": 730,
        # The most features GET /api/v1/map returns; above it, grid cells with counts.
        "MAP_MAX_FEATURES": 2000,
        "MAX_PHOTOS_PER_REPORT": 3,
        "MAX_PHOTO_BYTES": 15 * 1024 * 1024,
        "MAX_CONTENT_LENGTH": 3 * 15 * 1024 * 1024 + 1024 * 1024,
        # Photos one server process decodes at once (each up to 50 MP, at most about 300 MB).
        "PHOTO_WORKERS": 1,
        # A signed-in session ends this long after signing in, and a reviewer's, planner's or
        # admin's after this long without a request (fieldaudit/accounts/sessions.py).
        "SESSION_LIFETIME_HOURS": 12,
        "IDLE_TIMEOUT_MINUTES": 30,
        # Strict-Transport-Security max-age, sent only when ENV_NAME is "production".
        "HSTS_SECONDS": 365 * 24 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "JSON_SORT_KEYS": False,
        # --- Operations (issue 15) ---
        # One JSON line per request on the fieldaudit.requests logger: "1"/"0"; empty = on in
        # production only (fieldaudit/web/request_log.py).
        "LOG_JSON": "",
        # Public photos sent by nginx (X-Accel-Redirect to X_ACCEL_PREFIX + the stored name)
        # after the app has decided they are public; only behind the shipped nginx site.
        "X_ACCEL_PHOTOS": False,
        "X_ACCEL_PREFIX": "/_media/",
        # The nightly SpatiaLite backup job (fieldaudit/jobs.py): its folder (empty: no
        # backup job) and how many archives it keeps.
        "BACKUP_DIR": "",
        "BACKUP_KEEP": 7,
        # The network impact's kept searches between job runs (empty: ``network-state`` beside
        # the media folder; fieldaudit/network/kept_state.py).
        "NETWORK_STATE_DIR": "",
        # The origin grid of the network impact (the priority's network factor), in metres.
        "NETWORK_SPACING_M": 250.0,
        # E-mail (docs/mail.md): no server = mail waits in the outbox (admins see it), unsent.
        "MAIL_SERVER": "",
        "MAIL_PORT": 0,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_SENDER": "FieldAudit Herlev <noreply@herlev.dk>",
        # A PEM file of the CA that signed the mail server's certificate (empty: the system's).
        "MAIL_CA_FILE": "",
        # The public address links in mails start with (never the Host of a request).
        "MAIL_BASE_URL": "",
        # Seconds ``fieldaudit mail send --loop`` waits between passes.
        "MAIL_SEND_INTERVAL": 10,
    }


def _coerce(value: str, like: Any) -> Any:
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return value


def from_environment(base: dict[str, Any], environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Overlay ``FIELDAUDIT_<KEY>`` environment variables on ``base``, typed like the defaults."""
    environ = dict(os.environ if environ is None else environ)
    result = dict(base)
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :]
        result[key] = _coerce(value, base.get(key, ""))
    return result


def trusted_hosts(setting: object) -> list[str] | None:
    """The host names of ``FIELDAUDIT_TRUSTED_HOSTS`` (a comma list), or None for any host."""
    if isinstance(setting, str):
        names = [name.strip().lower() for name in setting.split(",")]
    elif isinstance(setting, list | tuple):
        names = [str(name).strip().lower() for name in setting]
    else:
        return None
    return [name for name in names if name] or None


def private_originals_dir(config: Mapping[str, Any]) -> Path:
    """Where the originals of redacted photos are kept (outside the media folder, never served):
    ``FIELDAUDIT_PRIVATE_MEDIA_DIR``, or ``private-originals`` beside the media folder."""
    configured = config.get("PRIVATE_MEDIA_DIR")
    if configured:
        return Path(configured)
    return Path(config["MEDIA_DIR"]).resolve().parent / "private-originals"


def check(config: dict[str, Any]) -> None:
    """Refuse settings that must not reach production."""
    if config.get("ENV_NAME") == "production" and config.get("SECRET_KEY") in (
        None,
        "",
        DEV_SECRET,
    ):
        raise ConfigError(
            "FIELDAUDIT_SECRET_KEY must be set to a long random value when FIELDAUDIT_ENV_NAME "
            "is 'production'."
        )
    if (
        config.get("ENV_NAME") == "production"
        and config.get("MAIL_SERVER")
        and not config.get("MAIL_BASE_URL")
    ):
        raise ConfigError(
            "FIELDAUDIT_MAIL_BASE_URL must be set (the public https:// address of FieldAudit) "
            "when FIELDAUDIT_MAIL_SERVER is set in production: mails link to it."
        )


def network_state_dir(config: Mapping[str, Any]) -> Path:
    """Where the network impact's kept searches are saved between runs
    (``network/kept_state.py``): ``FIELDAUDIT_NETWORK_STATE_DIR``, or ``network-state`` beside
    the media folder."""
    configured = config.get("NETWORK_STATE_DIR")
    if configured:
        return Path(configured)
    return Path(config["MEDIA_DIR"]).resolve().parent / "network-state"
