"""Reading values from URLs: query parameters and path segments, checked before anything uses them.

No Flask here: the views pass the raw text (``fieldaudit.web.query`` reads it from the request).
Every number is ASCII digits within bounds (``'²'.isdigit()`` is True but ``int('²')`` fails, and
an id beyond the databases' integers is an error in PostgreSQL), every datetime has a time zone
and a year from MIN_YEAR to MAX_YEAR (so converting it to UTC, or adding a window of days, stays
within what Python and the databases represent). A value that breaks a rule raises
``ParameterError`` (HTTP 400) with a Danish and English message, or a lenient reader returns the
caller's default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import UTC, date, datetime

from fieldaudit.errors import DomainError, Problem
from fieldaudit.taxonomy import Label

MAX_ID = 2**31 - 1  # the databases' integer keys: a larger id cannot exist
MIN_YEAR = 1900
MAX_YEAR = 2999
MAX_DIGITS = 18  # any bounded integer of the app fits; longer text is refused before int()

_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_NUMBER = re.compile(r"[+-]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})([eE][+-]?[0-9]{1,3})?")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})"
)


class ParameterError(DomainError):
    """A query parameter or path segment with a value that cannot be used (HTTP 400)."""

    status = 400

    def __init__(self, parameter: str, code: str, message: Label) -> None:
        self.parameter = parameter
        self.code = code
        self.message = message
        super().__init__(Problem(parameter, code, message))


# -- lenient readers: None when the text is not a usable value ------------------------------


def ascii_int(text: str | None, minimum: int, maximum: int) -> int | None:
    """An integer written in ASCII digits from ``minimum`` to ``maximum``; else None."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def record_id(text: str | None) -> int | None:
    """A database id (1 to MAX_ID in ASCII digits), or None: no row can have another."""
    return ascii_int(text, 1, MAX_ID)


def finite_number(text: str | None, minimum: float, maximum: float) -> float | None:
    """A decimal number (no NaN, no infinity, no hex or Unicode digits) within bounds; else None."""
    if text is None or not _NUMBER.fullmatch(text.strip()):
        return None
    number = float(text)
    return number if math.isfinite(number) and minimum <= number <= maximum else None


def utc_datetime(text: str | None) -> datetime | None:
    """An ISO 8601 / RFC 3339 date and time with a time zone, in UTC; None if it is not one.

    The year must lie from MIN_YEAR to MAX_YEAR, so the conversion cannot leave the range
    Python can represent. A '+' sent unencoded in a query string arrives as a space and is
    read back as '+'.
    """
    if text is None:
        return None
    cleaned = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", text.strip())
    if not _DATETIME.fullmatch(cleaned) or not MIN_YEAR <= int(cleaned[:4]) <= MAX_YEAR:
        return None
    try:
        moment = datetime.fromisoformat(cleaned.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC)


def iso_date(text: str | None) -> date | None:
    """A date written YYYY-MM-DD with a year from MIN_YEAR to MAX_YEAR; else None."""
    if text is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    if not MIN_YEAR <= int(text[:4]) <= MAX_YEAR:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def choice(text: str | None, choices: Collection[str], default: str) -> str:
    """``text`` if it is one of ``choices``, else ``default``."""
    return text if text is not None and text in choices else default


# -- strict readers: ParameterError (400) when a given value cannot be used -----------------


def _error(name: str, code: str, da: str, en: str) -> ParameterError:
    return ParameterError(name, code, Label(da, en))


def integer(text: str | None, name: str, minimum: int, maximum: int, default: int) -> int:
    """An integer from ``minimum`` to ``maximum`` in ASCII digits; ``default`` when absent."""
    if text is None or text == "":
        return default
    number = ascii_int(text, minimum, maximum)
    if number is None:
        raise _error(
            name,
            "invalid_parameter",
            f"'{name}' skal være et heltal mellem {minimum} og {maximum}.",
            f"'{name}' must be a whole number from {minimum} to {maximum}.",
        )
    return number


def moment(text: str | None, name: str) -> datetime | None:
    """A date and time with a time zone (UTC); None when absent, ParameterError when invalid."""
    if text is None or text.strip() == "":
        return None
    found = utc_datetime(text)
    if found is None:
        raise _error(
            name,
            "invalid_datetime",
            f"'{name}' skal være en dato og tid med tidszone (f.eks. 2026-01-01T00:00:00Z) "
            f"mellem år {MIN_YEAR} og {MAX_YEAR}.",
            f"'{name}' must be a date and time with a time zone (e.g. 2026-01-01T00:00:00Z) "
            f"from the year {MIN_YEAR} to {MAX_YEAR}.",
        )
    return found
