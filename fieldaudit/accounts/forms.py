"""Forms of the accounts area (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField

from fieldaudit.web.forms import AppForm

try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None
from wtforms.validators import DataRequired, EqualTo, Length

from fieldaudit.accounts.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from fieldaudit.status import ROLE_LABELS, Role


def option(value: str, label: str) -> Any:
    """One choice of a select or radio field."""
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


def role_choices(lang: str) -> list[Any]:
    """The roles as choices for a select."""
    return [option(role.value, ROLE_LABELS[role].get(lang)) for role in Role]


class LoginForm(AppForm):
    """Sign in with e-mail and password."""

    email = EmailField(
        lazy_gettext("E-mail"),
        validators=[DataRequired(lazy_gettext("Skriv din e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        lazy_gettext("Adgangskode"),
        validators=[DataRequired(lazy_gettext("Skriv din adgangskode.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class InvitationForm(AppForm):
    """Accept an invitation: choose a password."""

    display_name = StringField(
        lazy_gettext("Dit navn (vises kun internt)"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        lazy_gettext("Ny adgangskode"),
        validators=[
            DataRequired(lazy_gettext("Vælg en adgangskode.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=lazy_gettext("Adgangskoden skal være mellem 12 og 256 tegn."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        lazy_gettext("Gentag adgangskoden"),
        validators=[
            DataRequired(lazy_gettext("Gentag adgangskoden.")),
            EqualTo("password", lazy_gettext("De to adgangskoder er ikke ens.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class InviteForm(AppForm):
    """An administrator invites someone."""

    email = EmailField(
        lazy_gettext("E-mail"),
        validators=[DataRequired(lazy_gettext("Skriv personens e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    display_name = StringField(lazy_gettext("Navn"), validators=[Length(max=120)])
    role = SelectField(lazy_gettext("Rolle"), validators=[DataRequired()])


class UserForm(AppForm):
    """An administrator changes a user's role or deactivates the account."""

    role = SelectField(lazy_gettext("Rolle"), validators=[DataRequired()])
    active = SelectField(lazy_gettext("Konto"), validators=[DataRequired()])
