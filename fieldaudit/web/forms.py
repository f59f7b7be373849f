"""The base of every form: Flask-WTF (a CSRF token) with text fields cleaned of control characters."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from fieldaudit.plain_text import clean_text


def clean_form_text(value: Any) -> Any:
    """A form filter: strip control characters from text (see ``fieldaudit.plain_text``)."""
    return clean_text(value) if isinstance(value, str) else value


class AppForm(FlaskForm):
    """Every form of the app derives from this (``tests/hardening/test_control_characters.py``).

    Text fields (text, text areas, e-mail, hidden) get ``clean_form_text`` as their last filter,
    so a person's pasted text loses control characters instead of being refused; passwords are
    left exactly as typed (they are only hashed, never shown or sent on).
    """

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = (*unbound_field.kwargs.get("filters", ()), clean_form_text)
                options = {**options, "filters": filters}
            return unbound_field.bind(form=form, **options)
