"""Hvad hvis: the fixes within a budget that open the most step-free connections (planners)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask import abort, redirect, render_template, send_file, url_for

from fieldaudit.areas import area_index
from fieldaudit.authz import require_role
from fieldaudit.errors import Problem, ValidationError
from fieldaudit.exports import csv as csv_export
from fieldaudit.exports import geojson as geojson_export
from fieldaudit.exports import pdf
from fieldaudit.exports.printmap import long_date
from fieldaudit.extensions import db
from fieldaudit.place_map import SmallMap, small_map
from fieldaudit.planning.views import planning
from fieldaudit.planning.whatif_plan import (
    BUDGET_KINDS,
    DKK,
    SITES,
    WHAT_IF_GROUPS,
    WhatIfAnswer,
    WhatIfRequest,
    answer_what_if,
    read_request,
    what_if_csv,
    what_if_geojson,
)
from fieldaudit.status import Role
from fieldaudit.taxonomy import GROUP_LABELS, Group
from fieldaudit.web import query
from fieldaudit.web.i18n import select_language
from fieldaudit.web.query import CHOICE, TEXT, Param, query_params

PARAMETERS = {
    "gruppe": Param(CHOICE, WHAT_IF_GROUPS),
    "budgettype": Param(CHOICE, BUDGET_KINDS),
    "budget": Param(TEXT, ("5", "250.000")),
}
MAP_HALF_WIDTH_M = 400.0  # one fix still shows its streets
EXPORTS = {
    "csv": csv_export.MEDIA_TYPE,
    "geojson": geojson_export.MEDIA_TYPE,
    "pdf": "application/pdf",
}


def _fixes_map(answer: WhatIfAnswer) -> SmallMap | None:
    """The chosen fixes on the areas around them, numbered as the list (no tiles)."""
    if not answer.rows:
        return None
    points = [(r.easting, r.northing) for r in answer.rows]
    return small_map(area_index(db.session).areas, points, MAP_HALF_WIDTH_M)


def _read() -> tuple[WhatIfRequest | None, list[Problem]]:
    """The question from the query string (None when not asked or wrong) and its problems."""
    group, kind, amount = query.arg("gruppe"), query.arg("budgettype"), query.arg("budget")
    if group is None and kind is None and amount is None:
        return None, []
    try:
        return read_request(group, kind, amount), []
    except ValidationError as error:
        return None, error.problems


@planning.get("/hvad-hvis")
@require_role(Role.PLANNER)
@query_params(**PARAMETERS)
def what_if():
    """The form (group and budget) and, once asked, the fixes chosen with the figure before
    and after, the list and the map."""
    lang = select_language()
    question, problems = _read()
    answer = answer_what_if(db.session, question, lang) if question is not None else None
    return (
        render_template(
            "planning/whatif.html",
            question=question,
            form={
                "gruppe": query.arg("gruppe") or "WHEEL",
                "budgettype": query.arg("budgettype") or SITES,
                "budget": query.arg("budget") or "",
            },
            groups=[(code, GROUP_LABELS[Group(code)].get(lang)) for code in WHAT_IF_GROUPS],
            sites_kind=SITES,
            dkk_kind=DKK,
            problems={p.field: p.message.get(lang) for p in problems},
            answer=answer,
            no_network=question is not None and answer is None,
            fixes_map=_fixes_map(answer) if answer else None,
            lang=lang,
        ),
        400 if problems else 200,
    )


@planning.get("/hvad-hvis/eksport.<fmt>")
@require_role(Role.PLANNER)
@query_params(**PARAMETERS)
def what_if_export(fmt: str):
    """The chosen fixes as Danish CSV, GeoJSON (WGS84) or an A4 PDF with the map."""
    if fmt not in EXPORTS:
        abort(404)
    question, problems = _read()
    if question is None:
        abort(400, "; ".join(p.message.get(select_language()) for p in problems))
    lang = select_language()
    answer = answer_what_if(db.session, question, lang)
    if answer is None:  # no network: the page says so
        return redirect(url_for("planning.what_if", **question.as_args()))
    now = datetime.now(UTC)
    if fmt == "csv":
        data = what_if_csv(answer)
    elif fmt == "geojson":
        data = what_if_geojson(answer, now.isoformat(timespec="seconds"))
    else:
        html = render_template(
            "planning/print_whatif.html",
            answer=answer,
            question=question,
            dkk_kind=DKK,
            fixes_map=_fixes_map(answer),
            printed=long_date(now.date(), lang),
            lang=lang,
        )
        data = pdf.html_to_pdf(html)
    response = send_file(
        io.BytesIO(data),
        mimetype=EXPORTS[fmt],
        as_attachment=True,
        download_name=f"fieldaudit-hvad-hvis-{question.group}-{now:%Y-%m-%d}.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
