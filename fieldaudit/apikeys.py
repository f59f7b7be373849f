"""API keys for trusted systems that submit reports (Open311): only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.models import ApiKey

# 32 random bytes: far beyond guessing, so a plain (unsalted) SHA-256 is a safe fingerprint.
KEY_BYTES = 32
MAX_NAME = 120


def hash_key(key: str) -> str:
    """The SHA-256 (hex) under which a key is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """Create an active key named ``name``; return it and the key itself (shown only once)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"The name must be 1 to {MAX_NAME} characters.")
    key = secrets.token_urlsafe(KEY_BYTES)
    api_key = ApiKey(name=name, key_hash=hash_key(key), active=True)
    session.add(api_key)
    session.flush()
    return api_key, key


def find_api_key(session: Session, key: str | None) -> ApiKey | None:
    """Return the active key matching ``key``, or None."""
    if not key:
        return None
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.active.is_(True))
    )


def revoke_api_key(session: Session, key_id: int) -> ApiKey | None:
    """Deactivate the key with ``key_id``; return it, or None if there is none."""
    api_key = session.get(ApiKey, key_id)
    if api_key is not None:
        api_key.active = False
        session.flush()
    return api_key
