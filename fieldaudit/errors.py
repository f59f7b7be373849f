"""Domain errors that a person can read, in Danish and English.

The messages come from one catalogue (``fieldaudit.problems``): build a ``Problem`` with
``problems.problem(field, key, **params)``, never from inline Danish and English text.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldaudit.taxonomy import Label


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: which field, a stable code and a message."""

    field: str
    code: str
    message: Label

    def as_dict(self, lang: str) -> dict[str, str]:
        """Return the problem as a JSON-ready dict in ``lang``."""
        return {"field": self.field, "error": self.code, "message": self.message.get(lang)}


class DomainError(Exception):
    """An operation was refused; ``status`` is the HTTP status an adapter should use."""

    status = 400
    # Seconds after which trying again may succeed (an adapter sends it as Retry-After).
    retry_after: int | None = None

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(f"{p.field}: {p.message.en}" for p in self.problems))

    @property
    def first(self) -> Problem:
        """The first problem, for single-error responses."""
        return self.problems[0]


class ValidationError(DomainError):
    """Input that breaks a rule (HTTP 400/422)."""

    status = 422


class ConflictError(DomainError):
    """The input conflicts with what is already stored (HTTP 409)."""

    status = 409


class NotFoundError(DomainError):
    """A referenced object does not exist (HTTP 404)."""

    status = 404
