"""Who is asking, as far as counting needs to know: a keyed hash of the client's address, and
the header in which the field app names its device (``DEVICE_TOKEN_HEADER``).

The address is ``request.remote_addr`` after ProxyFix (``FIELDAUDIT_PROXY_HOPS``). It is never
stored: only HMAC-SHA256 of it under the app's secret key, which cannot be turned back into
the address without that key.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request

# The field app's device token (checked and hashed by ``fieldaudit.api.parsing``).
DEVICE_TOKEN_HEADER = "X-Device-Token"


def client_address_key() -> str | None:
    """HMAC-SHA256 (keyed with SECRET_KEY) of the client's address, or None if unknown."""
    address = request.remote_addr
    if not address:
        return None
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"address:{address}".encode(), hashlib.sha256).hexdigest()
