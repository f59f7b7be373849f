"""The review area's blueprint and what its pages share: loading an object or 404."""

from __future__ import annotations

from flask import Blueprint, abort

from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport, BarrierSite, Photo

bp = Blueprint("review", __name__, template_folder="templates", url_prefix="/gennemgang")


def report_or_404(report_id: int) -> BarrierReport:
    """The report, or 404."""
    report = db.session.get(BarrierReport, report_id)
    if report is None:
        abort(404)
    return report


def site_or_404(site_id: int) -> BarrierSite:
    """The site, or 404."""
    site = db.session.get(BarrierSite, site_id)
    if site is None:
        abort(404)
    return site


def photo_or_404(photo_id: int) -> Photo:
    """The photo, or 404."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    return photo
