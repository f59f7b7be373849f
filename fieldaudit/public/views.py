"""Public pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from fieldaudit.extensions import db
from fieldaudit.models import Area
from fieldaudit.taxonomy import AREA_KINDS, MUNICIPALITY

public = Blueprint("public", __name__, template_folder="templates")


@public.get("/")
def index():
    """The map of Herlev's public spaces, with the same areas as a list."""
    areas = db.session.scalars(
        select(Area).where(Area.kind != MUNICIPALITY).order_by(Area.name)
    ).all()
    kinds = {k.code: k.label for k in AREA_KINDS}
    return render_template(
        "public/index.html",
        areas=areas,
        kinds=kinds,
        tile_url=current_app.config["TILE_URL"],
    )
