"""Accounts: sign in and out, accept an invitation, and the administrators' user page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user

from fieldaudit.accounts import users as accounts
from fieldaudit.accounts.forms import (
    InvitationForm,
    InviteForm,
    LoginForm,
    UserForm,
    option,
    role_choices,
)
from fieldaudit.accounts.sessions import sign_in, sign_out
from fieldaudit.authz import has_role, require_role
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.models import User
from fieldaudit.status import ROLE_LABELS, Role
from fieldaudit.web import query
from fieldaudit.web.query import TEXT, Param, query_params

bp = Blueprint("accounts", __name__, template_folder="templates", url_prefix="/konto")

ACTIVE_CHOICES = ("1", "0")


def lang() -> str:
    """The language of the current request."""
    from fieldaudit.web.i18n import select_language

    return select_language()


MAX_NEXT_LENGTH = 2000


def safe_next(target: str | None) -> str | None:
    """A plain local path to go to after signing in, or None (never another site).

    Only printable ASCII without spaces (a path this app makes is percent-encoded), starting
    with one ``/`` and no backslash: so no control character reaches the ``Location`` header
    (a 500) and nothing a browser reads as another host (``//evil``, ``/\\evil``, ``https:evil``).
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not all("!" <= char <= "~" for char in target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user: User) -> str:
    """Where a user lands after signing in."""
    views = current_app.view_functions
    if has_role(user, Role.REVIEWER) and "review.queue" in views:
        return url_for("review.queue")
    if has_role(user, Role.PLANNER) and "planning.index" in views:
        return url_for("planning.index")
    return url_for("public.index")


def apply_problems(form, error: DomainError) -> None:
    """Show a domain error's problems next to the form's fields (or on the form)."""
    for problem in error.problems:
        field = getattr(form, problem.field, None)
        message = problem.message.get(lang())
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            form.form_errors.append(message)


@bp.route("/log-ind", methods=["GET", "POST"])
@query_params(next=Param(TEXT, ("/barrierer",)))
def login():
    """Sign in with e-mail and password (throttled per e-mail and address, and per address)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(query.arg("next")) or ""
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                db.session,
                form.email.data or "",
                form.password.data or "",
                request.remote_addr or "unknown",
            )
        except DomainError as error:
            db.session.commit()  # keep the failure counters
            form.password.errors = [error.first.message.get(lang())]
            status = error.status
        else:
            db.session.commit()
            destination = safe_next(form.next.data) or home_for(user)
            sign_in(user)
            return redirect(destination)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/log-ud")
def logout():
    """Sign out everywhere (a POST with a CSRF token, so no other site can sign anyone out).

    ``Clear-Site-Data: "cache"`` empties the browser's HTTP cache of this site; not "storage",
    which would also delete the field app's outbox (reports not yet sent) in IndexedDB.
    """
    sign_out()
    flash(gettext("Du er logget ud."), "success")
    response = redirect(url_for("public.index"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """Accept an invitation: choose a password, then be signed in."""
    user = accounts.user_for_invitation(db.session, token)
    if user is None:
        return render_template("accounts/invitation_invalid.html"), 404
    form = InvitationForm()
    if request.method == "GET":
        form.display_name.data = user.display_name
    status = 200
    if form.validate_on_submit():
        try:
            accounts.accept_invitation(
                db.session, token, form.password.data or "", form.display_name.data or ""
            )
        except DomainError as error:
            apply_problems(form, error)
            status = 422
        else:
            db.session.commit()
            sign_in(user)
            flash(gettext("Velkommen. Din konto er klar."), "success")
            return redirect(home_for(user))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/invitation.html", form=form, user=user), status


def _user_form(user: User, formdata=None) -> UserForm:
    form = UserForm(formdata=formdata, prefix=f"user-{user.id}")
    form.role.choices = role_choices(lang())
    form.active.choices = [option("1", gettext("Aktiv")), option("0", gettext("Deaktiveret"))]
    if formdata is None:
        form.role.data = user.role
        form.active.data = "1" if user.active else "0"
    return form


def _users_page(invite_form: InviteForm, status: int = 200, invited=None, link: str = ""):
    people = accounts.list_users(db.session)
    forms = {u.id: _user_form(u) for u in people}
    return (
        render_template(
            "accounts/users.html",
            people=people,
            user_forms=forms,
            invite_form=invite_form,
            invited=invited,
            invite_link=link,
            role_labels=ROLE_LABELS,
            Role=Role,
            pending=accounts.invitation_pending,
        ),
        status,
    )


def _invite_form(formdata=None) -> InviteForm:
    form = InviteForm(formdata=formdata, prefix="invite")
    form.role.choices = role_choices(lang())
    if formdata is None:
        form.role.data = Role.VOLUNTEER.value
    return form


@bp.get("/brugere")
@require_role(Role.ADMIN)
def users():
    """The list of users with their roles, and the invitation form."""
    return _users_page(_invite_form())


@bp.post("/brugere/inviter")
@require_role(Role.ADMIN)
def invite():
    """Invite a person; the one-time link is shown once, on this page."""
    form = _invite_form(request.form)
    if not form.validate():
        return _users_page(form, 422)
    try:
        user, token = accounts.invite_user(
            db.session,
            form.email.data or "",
            accounts.parse_role(form.role.data or ""),
            form.display_name.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        apply_problems(form, error)
        return _users_page(form, 422)
    db.session.commit()
    link = url_for("accounts.invitation", token=token, _external=True)
    return _users_page(_invite_form(), 200, invited=user, link=link)


@bp.post("/brugere/<int:user_id>")
@require_role(Role.ADMIN)
def update_user(user_id: int):
    """Change a user's role or activate/deactivate the account."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = _user_form(user, request.form)
    if not form.validate() or form.active.data not in ACTIVE_CHOICES:
        flash(gettext("Ændringen kunne ikke gemmes."), "error")
        return redirect(url_for("accounts.users"))
    try:
        accounts.set_role(db.session, user, accounts.parse_role(form.role.data or ""))
        accounts.set_active(db.session, user, form.active.data == "1")
    except DomainError as error:
        db.session.rollback()
        flash(error.first.message.get(lang()), "error")
        return redirect(url_for("accounts.users") + f"#user-{user.id}")
    db.session.commit()
    flash(gettext("Ændringen er gemt for %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.users") + f"#user-{user.id}")


@bp.app_context_processor
def account_context():
    """Template helpers for the navigation: the signed-in user's powers."""
    language = lang()
    return {
        "has_role": has_role,
        "Role": Role,
        "endpoint_exists": lambda name: name in current_app.view_functions,
        "current_user": current_user,
        "role_label": lambda role: ROLE_LABELS[Role(role)].get(language),
    }
