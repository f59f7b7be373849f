"""Reading API requests: JSON bodies, multipart reports, query numbers and the device token."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from typing import Any

from flask import request
from flask_login import current_user

from fieldaudit import params
from fieldaudit.api.errors import ApiError
from fieldaudit.errors import ValidationError
from fieldaudit.models import User
from fieldaudit.plain_text import text_problem
from fieldaudit.web import query
from fieldaudit.web.client import DEVICE_TOKEN_HEADER

DEVICE_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
PHOTOS_FIELD = "photos"
REPORT_FIELD = "report"


def parse_id(raw: str) -> int | None:
    """A database id from a path segment: 1 to 2^31-1 in plain digits, else None."""
    return params.record_id(raw)


def device_token_hash() -> str | None:
    """SHA-256 of the device token header (the token itself is never stored), or None."""
    token = request.headers.get(DEVICE_TOKEN_HEADER)
    if token is None:
        return None
    if not DEVICE_TOKEN_PATTERN.fullmatch(token):
        raise ApiError(400, DEVICE_TOKEN_HEADER, "invalid_device_token")
    return hashlib.sha256(token.encode()).hexdigest()


def signed_in_user() -> User | None:
    """The signed-in user, or None for an anonymous volunteer.

    A write counts as the user's only when a cross-site form could not have sent it: JSON, or a
    custom header (the device token). The API is exempt from form CSRF tokens.
    """
    if not getattr(current_user, "is_authenticated", False):
        return None
    if request.method not in ("GET", "HEAD") and not (
        request.is_json or DEVICE_TOKEN_HEADER in request.headers
    ):
        return None
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _invalid_json(field: str) -> ApiError:
    return ApiError(400, field, "invalid_json")


def _loads(raw: bytes | str, field: str) -> Any:
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise _invalid_json(field) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def json_body() -> Any:
    """The request's JSON body (415 if it is not JSON, 400 if it cannot be parsed)."""
    if not request.is_json:
        raise ApiError(415, "", "unsupported_media_type.json")
    return _loads(request.get_data(cache=False), "")


def report_request(max_photos: int, max_photo_bytes: int) -> tuple[Any, list[bytes]]:
    """A report as JSON, or as multipart with a ``report`` JSON part and ``photos`` files."""
    if request.is_json:
        return _loads(request.get_data(cache=False), ""), []
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "", "unsupported_media_type.report")
    part = request.files.get(REPORT_FIELD)
    raw: bytes | str | None = part.read() if part is not None else request.form.get(REPORT_FIELD)
    if raw is None:
        raise ApiError(400, REPORT_FIELD, "missing_report")
    payload = _loads(raw, REPORT_FIELD)
    files = request.files.getlist(PHOTOS_FIELD)
    if len(files) > max_photos:
        raise ApiError(422, PHOTOS_FIELD, "too_many_photos", max_photos=max_photos)
    photos: list[bytes] = []
    for position, upload in enumerate(files):
        data = upload.read(max_photo_bytes + 1)
        if len(data) > max_photo_bytes:
            raise ApiError(
                413,
                f"photos[{position}]",
                "photo_too_large",
                max_mb=max_photo_bytes // (1024 * 1024),
            )
        photos.append(data)
    return payload, photos


def query_number(name: str, minimum: float, maximum: float, required: bool = True) -> float | None:
    """A finite number from the query string, within bounds (400 otherwise)."""
    raw = query.arg(name)
    if raw is None or raw == "":
        if required:
            raise ApiError(400, name, "missing_parameter", name=name)
        return None
    value = params.finite_number(raw, minimum, maximum)
    if value is None:
        raise ApiError(
            400, name, "invalid_parameter.number", name=name, minimum=minimum, maximum=maximum
        )
    return value


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer from the query string within bounds, or the default."""
    raw = query.arg(name)
    if raw is None or raw == "":
        return default
    value = params.ascii_int(raw, minimum, maximum)
    if value is None:
        raise ApiError(400, name, "invalid_parameter", name=name, minimum=minimum, maximum=maximum)
    return value


def check_fields_text(payload: Any, fields: tuple[str, ...]) -> None:
    """Check the text of the fields that will be stored (unknown fields are ignored anyway)."""
    if isinstance(payload, dict):
        for name in fields:
            if name in payload:
                check_text(payload[name], name)


def check_text(value: Any, field: str = "") -> None:
    """Refuse control characters, NUL and unpaired surrogates, naming the field (422).

    Refused, not stripped: see ``fieldaudit.plain_text`` for why each boundary does what."""
    if isinstance(value, str):
        problem = text_problem(value, field)
        if problem is not None:
            # The JSON API has always called this "invalid_text": the same message, its own code.
            raise ValidationError(replace(problem, code="invalid_text"))  # 422
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, field or str(key))
            check_text(item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text(item, f"{field}[{index}]")
