"""Labels of codes (statuses, categories, severities, groups, tags, history actions) in the
page's language, for every template: registered on the app by ``init_labels``."""

from __future__ import annotations

from typing import Any

from flask import Flask

from fieldaudit import history, redaction
from fieldaudit.extensions import db
from fieldaudit.models import Photo
from fieldaudit.status import ACTION_LABELS, STATUS_LABELS
from fieldaudit.taxonomy import CATEGORIES, COMMON_TAGS, GROUP_LABELS, SEVERITIES, category
from fieldaudit.web.i18n import select_language


def _label(mapping: dict[Any, Any], code: str) -> str:
    for key, label in mapping.items():
        if key == code:
            return getattr(label, "label", label).get(select_language())
    return code


def status_label(code: str) -> str:
    """The label of a status in the page's language."""
    return _label(STATUS_LABELS, code)


def category_label(code: str) -> str:
    """The label of a category in the page's language."""
    cat = category(code)
    return cat.label.get(select_language()) if cat else code


def severity_label(code: str) -> str:
    """The label of a severity in the page's language."""
    return _label(SEVERITIES, code)


def group_label(code: str) -> str:
    """The label of an affected group in the page's language."""
    return _label(GROUP_LABELS, code)


def tag_label(code: str) -> str:
    """The label of a tag in the page's language."""
    for tag in COMMON_TAGS:
        if tag.code == code:
            return tag.label.get(select_language())
    for cat in CATEGORIES:
        for tag in cat.tags:
            if tag.code == code:
                return tag.label.get(select_language())
    return code


def action_label(code: str) -> str:
    """The label of a history action in the page's language."""
    label = ACTION_LABELS.get(code)
    return label.get(select_language()) if label else code


def redaction_label(photo: Photo) -> str:
    """'Helt sløret' or 'Delvist sløret' for a blacked-out photo, from its redactions."""
    boxes = history.redacted_boxes(db.session, photo)
    return redaction.redaction_label(boxes).get(select_language())


def change_text(values: dict[str, Any] | None) -> str:
    """A history entry's before or after values as readable text (for staff pages)."""
    if not values:
        return ""
    parts = []
    for key, value in values.items():
        if key == "status" and isinstance(value, str):
            parts.append(status_label(value))
        elif key == "category" and isinstance(value, str):
            parts.append(category_label(value))
        elif key == "severity" and isinstance(value, str):
            parts.append(severity_label(value))
        elif key == "groups" and isinstance(value, list):
            parts.append(", ".join(group_label(v) for v in value) or "–")
        elif key == "tags" and isinstance(value, list):
            parts.append(", ".join(tag_label(v) for v in value) or "–")
        elif key in ("site_id", "merged_into", "from_site_id") and value:
            parts.append(f"#{value}")
        elif key == "boxes" and isinstance(value, list):
            parts.append(f"{len(value)} ▭")
        elif isinstance(value, str | int | float | bool) and value is not None:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def label_helpers() -> dict[str, Any]:
    """Label helpers for every template."""
    return {
        "status_label": status_label,
        "category_label": category_label,
        "severity_label": severity_label,
        "action_label": action_label,
        "change_text": change_text,
        "redaction_label": redaction_label,
    }


def init_labels(app: Flask) -> None:
    """Make the label helpers and the ``group_label``/``tag_label`` filters app-wide."""
    app.context_processor(label_helpers)
    app.add_template_filter(group_label, "group_label")
    app.add_template_filter(tag_label, "tag_label")
