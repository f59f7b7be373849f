"""A signed-in reporter's own data (GDPR): download it as JSON, or delete the account.

Registered on the accounts blueprint (imported by ``fieldaudit/accounts/__init__.py``). The
reports of a deleted account are kept, anonymised (``fieldaudit.privacy.delete_account``),
because the municipality must be able to show what happened to every barrier.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user
from werkzeug.security import check_password_hash
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from fieldaudit.accounts import users as accounts
from fieldaudit.accounts.sessions import forget_session
from fieldaudit.accounts.views import apply_problems, bp
from fieldaudit.authz import require_role
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport
from fieldaudit.privacy import delete_account, export_personal_data
from fieldaudit.status import Role
from fieldaudit.web.forms import AppForm


class DeleteAccountForm(AppForm):
    """Confirm the deletion of one's own account with the password and a checkbox."""

    password = PasswordField(
        lazy_gettext("Din adgangskode"),
        validators=[
            DataRequired(lazy_gettext("Skriv din adgangskode.")),
            Length(max=accounts.MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        lazy_gettext("Ja, slet min konto. Mine rapporter bliver stående uden mit navn."),
        validators=[DataRequired(lazy_gettext("Sæt kryds for at bekræfte sletningen."))],
    )


def _report_count() -> int:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return db.session.query(BarrierReport).filter(BarrierReport.reporter_id == user.id).count()


@bp.get("/mine-data")
@require_role(Role.VOLUNTEER)
def my_data():
    """What FieldAudit holds about the signed-in user, with download and delete."""
    return render_template(
        "accounts/my_data.html", report_count=_report_count(), form=DeleteAccountForm()
    )


@bp.get("/mine-data.json")
@require_role(Role.VOLUNTEER)
def my_data_download():
    """Everything about the signed-in user as a JSON file (GDPR art. 15 and 20)."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    data = export_personal_data(db.session, user=user)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="fieldaudit-mine-data-{stamp}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/slet", methods=["GET", "POST"])
@require_role(Role.VOLUNTEER)
def delete_own_account():
    """Delete the signed-in user's account after confirmation; the reports stay, anonymised."""
    form = DeleteAccountForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            if not check_password_hash(user.password_hash or "", form.password.data or ""):
                form.password.errors = [gettext("Adgangskoden er forkert.")]
                return _delete_page(form, 422)
            accounts._keep_an_admin(db.session, user)  # never the last administrator
            kept = delete_account(db.session, user)
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
            status = error.status
        else:
            db.session.commit()
            forget_session()  # the user's row, and with it the session token, is gone
            flash(
                ngettext(
                    "Din konto er slettet. %(num)s rapport er bevaret uden dit navn.",
                    "Din konto er slettet. %(num)s rapporter er bevaret uden dit navn.",
                    kept,
                ),
                "success",
            )
            return redirect(url_for("public.index"))
    elif form.is_submitted():
        status = 422
    return _delete_page(form, status)


def _delete_page(form: DeleteAccountForm, status: int):
    return (
        render_template("accounts/delete_account.html", form=form, report_count=_report_count()),
        status,
    )
