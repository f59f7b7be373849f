"""Information pages that everyone can read."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from fieldaudit.taxonomy import CATEGORIES, SEVERITIES

about = Blueprint("about", __name__, template_folder="templates")


@about.get("/tilgaengelighed")
def accessibility_statement():
    """Tilgængelighedserklæring: conformance, known limits and how to report a problem."""
    return render_template("about/accessibility.html", contact=current_app.config["CONTACT_EMAIL"])


@about.get("/privatliv")
def privacy():
    """What FieldAudit stores about people, why, for how long, and their rights."""
    return render_template(
        "about/privacy.html",
        contact=current_app.config["CONTACT_EMAIL"],
        retention_days=current_app.config["RETENTION_DAYS"],
    )


@about.get("/hjaelp")
def help_page():
    """Easy-read help: how to report a barrier, in a few steps, with a picture of each kind."""
    return render_template("about/help.html", categories=CATEGORIES, severities=SEVERITIES)
