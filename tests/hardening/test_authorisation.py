"""Authorisation is checked in one place: every non-public view is wrapped by
``authz.require_role``, what the wrapper declares agrees with tests/test_access.py's table, and
the views and the domain's checks of each action read the one table of ``permissions``."""

from __future__ import annotations

from fieldaudit.permissions import ROLE_IMPLIES, may, may_note_site
from fieldaudit.status import Action, Role
from tests.test_access import EVERYONE, EXPECT, PUBLIC_PREFIXES


def roles_let_in(view) -> frozenset[str]:
    """The roles a view lets in, from the ``required_roles`` its decorator set."""
    declared = getattr(view, "required_roles", None)
    if not declared:
        return EVERYONE
    return frozenset(r.value for r in Role if any(d in ROLE_IMPLIES[r] for d in declared))


def test_every_non_public_view_is_wrapped_by_require_role(app):
    problems = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        expect = EXPECT.get(rule.endpoint)
        if expect is None:
            if not rule.rule.startswith(PUBLIC_PREFIXES) and not hasattr(view, "required_roles"):
                problems.append(f"{rule.rule}: neither in EXPECT nor wrapped by require_role")
            continue
        if expect.everyone_gets:
            continue  # answers everyone the same (a 404 or an API-key check), no roles involved
        if expect.ok != EVERYONE and not hasattr(view, "required_roles"):
            problems.append(f"{rule.endpoint}: for {sorted(expect.ok)} but not wrapped")
        elif hasattr(view, "required_roles") and roles_let_in(view) != expect.ok:
            problems.append(
                f"{rule.endpoint}: the decorator lets in {sorted(roles_let_in(view))}, "
                f"the access table says {sorted(expect.ok)}"
            )
    assert not problems, "\n".join(problems)


def test_the_rate_limits_keep_the_role_check(app):
    # Rate-limited views are wrapped again; the roles must survive the wrapping.
    view = app.view_functions["accounts.delete_own_account"]
    assert roles_let_in(view) == EVERYONE - {"anonymous"}


def test_views_do_not_check_roles_themselves():
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "fieldaudit"
    offenders = []
    views = [*package.rglob("*views.py"), *package.glob("api/*.py"), *package.glob("open311/*.py")]
    for path in views:
        text = path.read_text(encoding="utf-8")
        for needle in ("current_user.role ==", "current_user.role in", ".role == Role."):
            if needle in text:
                offenders.append(f"{path.relative_to(package)}: {needle}")
    assert not offenders, offenders


# The actions each view carries out in the domain: the roles its decorator lets in must be the
# roles the domain lets do each of them (no second table of who may do what).
VIEW_ACTIONS = {
    "review.act": (
        Action.VERIFY,
        Action.REJECT,
        Action.DUPLICATE,
        Action.CORRECT,
        Action.NOTE,
        Action.HIDE_REPORT,
        Action.SHOW_REPORT,
    ),
    "review.photo_act": (Action.HIDE_PHOTO, Action.SHOW_PHOTO, Action.REDACT_PHOTO),
    "planning.plan": (Action.PLAN,),
    "planning.fix": (Action.FIX,),
}


def test_the_views_and_the_domain_let_in_the_same_roles(app, make_user):
    users = {role.value: make_user(role.value) for role in Role}
    problems = []
    for endpoint, actions in VIEW_ACTIONS.items():
        let_in = roles_let_in(app.view_functions[endpoint]) - {"anonymous"}
        for action in actions:
            allowed = frozenset(name for name, user in users.items() if may(user, action))
            if allowed != let_in:
                problems.append(f"{endpoint} lets in {sorted(let_in)}, {action} {sorted(allowed)}")
    site_notes = frozenset(name for name, user in users.items() if may_note_site(user))
    assert site_notes == roles_let_in(app.view_functions["review.site_act"])
    assert not problems, "\n".join(problems)
    assert not any(may(make_user(role.value, active=False), Action.VERIFY) for role in Role)
