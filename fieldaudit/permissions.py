"""Who may do what: the one table of roles and permissions for the whole app (no Flask).

A role includes the powers of the roles it implies (``ROLE_IMPLIES``: an administrator may do
everything, reviewers and planners what a volunteer may). An action of the review lifecycle
needs one of the roles in ``ACTION_ROLES``, held or implied: reviewers (Handicaprådet) verify,
reject, merge duplicates, correct category / severity / groups / tags, write notes, hide reports
and photos and black out parts of photos; planners plan, fix, close and reopen sites; staff
(reviewers and planners) write notes on sites. ``authz.require_role`` applies the same table to
the views, the domain modules (``report_review``, ``site_decisions``, ``history``) apply it with
``require``. Only active users hold a role.
"""

from __future__ import annotations

from typing import Any

from fieldaudit.errors import DomainError
from fieldaudit.problems import problem
from fieldaudit.status import Action, Role

ROLE_IMPLIES: dict[Role, frozenset[Role]] = {
    Role.VOLUNTEER: frozenset({Role.VOLUNTEER}),
    Role.REVIEWER: frozenset({Role.REVIEWER, Role.VOLUNTEER}),
    Role.PLANNER: frozenset({Role.PLANNER, Role.VOLUNTEER}),
    Role.ADMIN: frozenset(Role),
}

# The roles a kind of work needs (any one of them, held or implied).
REVIEWERS = (Role.REVIEWER,)
PLANNERS = (Role.PLANNER,)
STAFF = (Role.REVIEWER, Role.PLANNER)
ADMINS = (Role.ADMIN,)

ACTION_ROLES: dict[Action, tuple[Role, ...]] = {
    Action.VERIFY: REVIEWERS,
    Action.REJECT: REVIEWERS,
    Action.DUPLICATE: REVIEWERS,
    Action.CORRECT: REVIEWERS,
    Action.NOTE: REVIEWERS,
    Action.HIDE_REPORT: REVIEWERS,
    Action.SHOW_REPORT: REVIEWERS,
    Action.HIDE_PHOTO: REVIEWERS,
    Action.SHOW_PHOTO: REVIEWERS,
    Action.REDACT_PHOTO: REVIEWERS,
    Action.MERGE_SITE: REVIEWERS,
    Action.PLAN: PLANNERS,
    Action.FIX: PLANNERS,
    Action.CLOSE: PLANNERS,
    Action.REOPEN: PLANNERS,
    Action.ESTIMATE_COST: PLANNERS,
}
SITE_NOTE_ROLES = STAFF


class PermissionDenied(DomainError):
    """The acting user's role may not do this (HTTP 403)."""

    status = 403


def role_of(user: Any) -> Role | None:
    """The role of an active user, or None."""
    if user is None or not getattr(user, "active", False):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def holds(user: Any, *roles: Role) -> bool:
    """Tell whether an active ``user`` holds one of ``roles`` (or a role that implies it)."""
    role = role_of(user)
    return role is not None and any(wanted in ROLE_IMPLIES[role] for wanted in roles)


def roles_holding(*roles: Role) -> frozenset[Role]:
    """Every role that holds one of ``roles`` (itself or by implication)."""
    return frozenset(r for r in Role if any(wanted in ROLE_IMPLIES[r] for wanted in roles))


def may(user: Any, action: Action) -> bool:
    """Tell whether ``user`` may perform ``action``."""
    return holds(user, *ACTION_ROLES.get(action, ()))


def may_note_site(user: Any) -> bool:
    """Tell whether ``user`` may write notes on a site."""
    return holds(user, *SITE_NOTE_ROLES)


def denied() -> PermissionDenied:
    """The error for an action the user's role may not do."""
    return PermissionDenied(problem("", "not_allowed"))


def require(user: Any, action: Action) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may perform ``action``."""
    if not may(user, action):
        raise denied()
