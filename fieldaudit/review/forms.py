"""Forms of the review area; each carries a CSRF token and has its own prefix (unique ids)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from wtforms import (
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fieldaudit.accounts.forms import option
from fieldaudit.history import MAX_TEXT
from fieldaudit.taxonomy import (
    CATEGORIES,
    COMMON_TAGS,
    GROUP_LABELS,
    SEVERITIES,
)
from fieldaudit.web.forms import AppForm


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (rendered inside a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VerifyForm(AppForm):
    """Verify a report."""

    note = TextAreaField(
        lazy_gettext("Bemærkning (valgfri, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )


class RejectForm(AppForm):
    """Reject a report with a reason."""

    reason = TextAreaField(
        lazy_gettext("Begrundelse (vises offentligt)"),
        validators=[
            DataRequired(lazy_gettext("Skriv en begrundelse for afvisningen.")),
            Length(min=3, max=MAX_TEXT),
        ],
    )


class DuplicateForm(AppForm):
    """Merge a report into the site it duplicates."""

    site_choice = RadioField(
        lazy_gettext("Sted i nærheden"), validators=[Optional()], validate_choice=False
    )
    other_site = IntegerField(
        lazy_gettext("Eller et andet steds nummer"),
        validators=[Optional(), NumberRange(min=1)],
    )
    reason = TextAreaField(
        lazy_gettext("Bemærkning (valgfri, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )

    def target_id(self) -> int | None:
        """The chosen site's id (a typed number wins over a chosen nearby site)."""
        if self.other_site.data:
            return int(self.other_site.data)
        if self.site_choice.data and str(self.site_choice.data).isdigit():
            return int(self.site_choice.data)
        return None


class CorrectForm(AppForm):
    """Correct category, severity, groups and tags."""

    category = SelectField(lazy_gettext("Kategori"), validators=[DataRequired()])
    severity = RadioField(lazy_gettext("Alvor"), validators=[DataRequired()])
    groups = CheckboxesField(lazy_gettext("Målgrupper"))
    tags = CheckboxesField(lazy_gettext("Mærker"))
    reason = TextAreaField(
        lazy_gettext("Begrundelse for rettelsen (valgfri, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )

    def fill_choices(self, lang: str) -> None:
        """Set the choices in the language of the page."""
        self.category.choices = [
            option(c.code, f"{c.number}. {c.label.get(lang)}") for c in CATEGORIES
        ]
        self.severity.choices = [
            option(s.value, info.label.get(lang)) for s, info in SEVERITIES.items()
        ]
        self.groups.choices = [
            option(g.value, label.get(lang)) for g, label in GROUP_LABELS.items()
        ]
        tags = {t.code: t.label.get(lang) for t in COMMON_TAGS}
        for cat in CATEGORIES:
            for tag in cat.tags:
                tags.setdefault(tag.code, tag.label.get(lang))
        self.tags.choices = [option(code, label) for code, label in tags.items()]


class NoteForm(AppForm):
    """A note on a report or a site, internal or public."""

    text = TextAreaField(
        lazy_gettext("Note"),
        validators=[DataRequired(lazy_gettext("Skriv noten.")), Length(max=MAX_TEXT)],
    )
    visibility = RadioField(
        lazy_gettext("Hvem må se noten?"),
        choices=[
            option("internal", lazy_gettext("Kun medarbejdere og Handicaprådet (intern)")),
            option("public", lazy_gettext("Alle (offentlig)")),
        ],
        default="internal",
        validators=[DataRequired()],
    )


class HideForm(AppForm):
    """Hide (or show again) a report or a photo."""

    reason = StringField(
        lazy_gettext("Begrundelse (intern)"), validators=[Optional(), Length(max=MAX_TEXT)]
    )


class RedactForm(AppForm):
    """Black out a rectangle of a photo, given in percent of its width and height."""

    left = DecimalField(
        lazy_gettext("Fra venstre (%)"),
        places=1,
        validators=[InputRequired(lazy_gettext("Skriv et tal.")), NumberRange(0, 99.9)],
    )
    top = DecimalField(
        lazy_gettext("Fra toppen (%)"),
        places=1,
        validators=[InputRequired(lazy_gettext("Skriv et tal.")), NumberRange(0, 99.9)],
    )
    width = DecimalField(
        lazy_gettext("Bredde (%)"),
        places=1,
        validators=[InputRequired(lazy_gettext("Skriv et tal.")), NumberRange(0.5, 100)],
    )
    height = DecimalField(
        lazy_gettext("Højde (%)"),
        places=1,
        validators=[InputRequired(lazy_gettext("Skriv et tal.")), NumberRange(0.5, 100)],
    )
    reason = StringField(
        lazy_gettext("Hvad sløres? (intern)"), validators=[Optional(), Length(max=MAX_TEXT)]
    )


class PlanForm(AppForm):
    """Plan the repair of a site."""

    year = IntegerField(
        lazy_gettext("År"), validators=[InputRequired(lazy_gettext("Skriv et årstal."))]
    )
    cost = IntegerField(lazy_gettext("Prisoverslag i kr. (valgfrit)"), validators=[Optional()])
    note = TextAreaField(
        lazy_gettext("Bemærkning (valgfri, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )


class FixForm(AppForm):
    """Mark a site as fixed."""

    note = TextAreaField(
        lazy_gettext("Hvad er gjort? (valgfrit, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )


class ReasonForm(AppForm):
    """Close or reopen a site, with a reason."""

    reason = TextAreaField(
        lazy_gettext("Begrundelse (vises offentligt)"),
        validators=[DataRequired(lazy_gettext("Skriv en begrundelse.")), Length(max=MAX_TEXT)],
    )


class BulkForm(AppForm):
    """Verify or reject several reports of one site at once, with one text."""

    reports = CheckboxesField(
        lazy_gettext("Rapporter"),
        validators=[DataRequired(lazy_gettext("Vælg mindst én rapport."))],
        coerce=int,
    )
    text = TextAreaField(
        lazy_gettext("Begrundelse (kræves ved afvisning, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )


class MergeForm(AppForm):
    """Merge this site into another one."""

    target_choice = RadioField(
        lazy_gettext("Sted i nærheden med samme kategori"),
        validators=[Optional()],
        validate_choice=False,
    )
    other_site = IntegerField(
        lazy_gettext("Eller et andet steds nummer"),
        validators=[Optional(), NumberRange(min=1)],
    )
    reason = TextAreaField(
        lazy_gettext("Begrundelse (valgfri, vises offentligt)"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )

    def target_id(self) -> int | None:
        """The chosen site's id (a typed number wins over a chosen nearby site)."""
        if self.other_site.data:
            return int(self.other_site.data)
        if self.target_choice.data and str(self.target_choice.data).isdigit():
            return int(self.target_choice.data)
        return None


def bulk_form(site: Any, reports: list[Any], formdata: Any = None) -> BulkForm:
    """The form to decide on several of ``reports`` (all of one site) at once."""
    form = BulkForm(prefix=f"bulk-{site.id}", formdata=formdata)
    form.reports.choices = [option(r.id, f"#{r.id}") for r in reports]
    return form
