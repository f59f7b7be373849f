"""Open311 services: FieldAudit's categories, each with its service definition (attributes,
thresholds and keywords in the reader's language)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fieldaudit.open311.georeport import (
    GROUP_OF_CATEGORY,
    Open311Error,
    text_in,
)
from fieldaudit.problems import message
from fieldaudit.taxonomy import (
    CATEGORIES,
    GROUP_LABELS,
    SEVERITIES,
    Category,
    category,
    tags_for,
)


def _number_text(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "da" else text


# -- services -------------------------------------------------------------------------------


def _keywords(cat: Category, lang: str) -> str:
    other = "en" if lang == "da" else "da"
    words = [cat.label.get(other)]
    words += [t.label.get(lang) for t in cat.tags]
    words += [GROUP_LABELS[g].get(lang) for g in cat.groups]
    return ", ".join(w.lower() for w in dict.fromkeys(words))


def service(cat: Category, lang: str) -> dict[str, Any]:
    """One service (a barrier category) as in GET Service List."""
    return {
        "service_code": cat.code,
        "service_name": cat.label.get(lang),
        "description": cat.hint.get(lang),
        "metadata": True,
        "type": "realtime",
        "keywords": _keywords(cat, lang),
        "group": GROUP_OF_CATEGORY[cat.code].label.get(lang),
    }


def services(lang: str) -> list[dict[str, Any]]:
    """Every barrier category as an Open311 service."""
    return [service(c, lang) for c in CATEGORIES]


def find_service(code: str | None, lang: str) -> Category:
    """The category with ``code``; 400 when none is given, 404 when it does not exist."""
    if not code:
        raise Open311Error(400, message("open311_missing_service_code").get(lang))
    cat = category(code)
    if cat is None:
        raise Open311Error(
            404,
            message("open311_unknown_service_code", code=code).get(lang),
        )
    return cat


def _attribute(
    order: int,
    code: str,
    datatype: str,
    required: bool,
    description: str,
    datatype_description: str | None,
    values: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": datatype_description,
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def _threshold_text(cat: Category, key: str, lang: str) -> str:
    definition = cat.measurement(key)
    assert definition is not None
    unit = definition.unit
    lo, hi = _number_text(definition.minimum, lang), _number_text(definition.maximum, lang)
    text = text_in(lang, f"Et tal fra {lo} til {hi} {unit}.", f"A number from {lo} to {hi} {unit}.")
    rule = definition.threshold
    if rule is not None:
        limit = _number_text(rule.limit, lang)
        if rule.kind == "max":
            text += text_in(
                lang,
                f" En barriere når over {limit} {unit} ({rule.source}).",
                f" A barrier when above {limit} {unit} ({rule.source}).",
            )
        else:
            text += text_in(
                lang,
                f" En barriere når under {limit} {unit} ({rule.source}).",
                f" A barrier when below {limit} {unit} ({rule.source}).",
            )
    return text


def service_definition(cat: Category, lang: str) -> dict[str, Any]:
    """The attributes of a service: severity, affected groups, tags and measurements."""
    attributes = [
        _attribute(
            1,
            "severity",
            "singlevaluelist",
            True,
            text_in(lang, "Hvor alvorlig er barrieren?", "How severe is the barrier?"),
            " ".join(
                f"{i.label.get(lang)}: {i.explanation.get(lang)}" for i in SEVERITIES.values()
            ),
            [(s.value, i.label.get(lang)) for s, i in SEVERITIES.items()],
        ),
        _attribute(
            2,
            "groups",
            "multivaluelist",
            False,
            text_in(lang, "Hvem rammes af barrieren?", "Who is affected by the barrier?"),
            text_in(
                lang,
                "Vælg en eller flere målgrupper. Uden valg gælder kategoriens målgrupper: ",
                "Choose one or more groups. Without a choice, the category's groups apply: ",
            )
            + (", ".join(GROUP_LABELS[g].get(lang) for g in cat.groups) or "-")
            + ".",
            [(g.value, label.get(lang)) for g, label in GROUP_LABELS.items()],
        ),
        _attribute(
            3,
            "tags",
            "multivaluelist",
            False,
            text_in(
                lang, "Hvad præciserer barrieren?", "What describes the barrier more precisely?"
            ),
            text_in(lang, "Vælg de mærker der passer.", "Choose the tags that fit."),
            [(t.code, t.label.get(lang)) for t in tags_for(cat)],
        ),
    ]
    for number, m in enumerate(cat.measurements, start=4):
        attributes.append(
            _attribute(
                number,
                m.key,
                "number",
                False,
                f"{m.label.get(lang)} ({m.unit})",
                _threshold_text(cat, m.key, lang),
            )
        )
    return {"service_code": cat.code, "attributes": attributes}


# -- service requests -----------------------------------------------------------------------
