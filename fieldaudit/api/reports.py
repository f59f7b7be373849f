"""Reports from the field app: create (idempotent by UUID), read, photos, and 'my reports'."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app, jsonify, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from fieldaudit.api.errors import ApiError
from fieldaudit.api.parsing import (
    check_fields_text,
    device_token_hash,
    parse_id,
    report_request,
    signed_in_user,
)
from fieldaudit.api.serialize import confirmation_json, public_notes, report_json
from fieldaudit.api.views import api
from fieldaudit.areas import service_area as cached_service_area
from fieldaudit.authz import has_role
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric
from fieldaudit.extensions import db
from fieldaudit.mail.subscriptions import check_address, follow_report
from fieldaudit.models import BarrierReport, Photo, SiteConfirmation
from fieldaudit.permissions import STAFF
from fieldaudit.photos import attach_photos, media_path, stage_photos
from fieldaudit.reports import (
    check_report,
    find_report,
    parse_uuid,
    resent_report,
    store_report,
)
from fieldaudit.visibility import photo_is_public

MY_REPORTS_LIMIT = 200
PHOTO_VARIANTS = ("display", "thumbnail")
REPORT_FIELDS = (
    "uuid",
    "category",
    "severity",
    "groups",
    "tags",
    "measurements",
    "description",
    "created_at",
    "reporter_name",
    "follow_email",
)
FOLLOW_LANGUAGES = ("da", "en")


def _follow_request(payload: dict) -> tuple[str, str] | None:
    """The address (and language) a reporter left for news of the report, if any (never public)."""
    email = payload.get("follow_email")
    if email is None or email == "":
        return None
    language = payload.get("follow_language", "da")
    return check_address(email, "follow_email"), language if language in FOLLOW_LANGUAGES else "da"


def _not_found(field: str = "uuid") -> ApiError:
    return ApiError(404, field, "not_found.report")


def _report_body(report: BarrierReport, new: bool = False) -> dict:
    """The report as the API returns it, with its public notes (a new report has none)."""
    return report_json(report, [] if new else public_notes(db.session, [report.id])[report.id])


def _report_response(report: BarrierReport, status: int, body: dict | None = None):
    body = _report_body(report) if body is None else body
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = url_for("api.get_report", report_uuid=body["uuid"])
    return response


@api.post("/reports")
def create_report():
    """Store a report (JSON, or multipart with up to three photos) exactly once per UUID."""
    config = current_app.config
    payload, uploads = report_request(config["MAX_PHOTOS_PER_REPORT"], config["MAX_PHOTO_BYTES"])
    check_fields_text(payload, REPORT_FIELDS)
    device = device_token_hash()
    service_area = cached_service_area(
        db.session, bbox_to_metric(HERLEV_BBOX_WGS84), config["BOUNDARY_TOLERANCE_M"]
    )
    draft = check_report(payload, service_area)
    follow = _follow_request(payload)
    staged = stage_photos(
        uploads,
        config["MEDIA_DIR"],
        max_photos=config["MAX_PHOTOS_PER_REPORT"],
        max_bytes=config["MAX_PHOTO_BYTES"],
    )
    draft = replace(draft, photo_hashes=staged.hashes)
    try:
        report, created = store_report(
            db.session, draft, reporter=signed_in_user(), device_token_hash=device
        )
        if created:
            attach_photos(db.session, report, staged)
            if follow is not None:
                follow_report(db.session, report, *follow)
        # Serialised before the commit: afterwards every object is expired and would be read
        # back (the report, its area with its polygon, its photos) only to write this answer.
        body = _report_body(report, new=created)
        db.session.commit()
    except IntegrityError:
        # Another request stored the same UUID at the same moment: answer as if this came second.
        db.session.rollback()
        staged.discard()
        stored = resent_report(db.session, draft)  # the stored one, or ConflictError
        if stored is None:
            raise
        return _report_response(stored, 200)
    except BaseException:
        db.session.rollback()
        staged.discard()
        raise
    if created:
        staged.publish()
    else:
        staged.restore_missing(
            {name for p in report.photos for name in (p.display_name, p.thumb_name)}
        )
    return _report_response(report, 201 if created else 200, body)


@api.get("/reports/<report_uuid>")
def get_report(report_uuid: str):
    """One report by its device-made UUID, with its status and public notes."""
    canonical = parse_uuid(report_uuid)
    report = find_report(db.session, canonical) if canonical else None
    if report is None or report.hidden:
        raise _not_found()
    return _report_response(report, 200)


@api.get("/photos/<photo_id>/<variant>")
def photo_file(photo_id: str, variant: str):
    """A stored photo (display size or thumbnail).

    Hidden photos are never served. Photos of reports not yet reviewed are served only to
    their reporter (device token or account) and to staff.
    """
    number = parse_id(photo_id)
    photo = db.session.get(Photo, number) if number else None
    if (
        variant not in PHOTO_VARIANTS
        or photo is None
        or photo.hidden
        or photo.report.hidden
        or not (photo_is_public(photo) or _may_see_unreviewed(photo.report))
    ):
        raise ApiError(404, "photo_id", "not_found.photo")
    name = photo.display_name if variant == "display" else photo.thumb_name
    path = media_path(current_app.config["MEDIA_DIR"], name)
    if path is None or not path.is_file():
        raise ApiError(404, "photo_id", "not_found.photo")
    response = send_file(path, mimetype="image/jpeg", conditional=True, etag=True)
    # Short-lived: a moderator may hide a photo, and it must then disappear soon.
    response.cache_control.public = True
    response.cache_control.max_age = 600
    return response


def _may_see_unreviewed(report: BarrierReport) -> bool:
    """The reporter (by device or account) and staff may see a report before review."""
    if has_role(current_user, *STAFF):
        return True
    device = device_token_hash()
    if device is not None and device == report.device_token_hash:
        return True
    user = signed_in_user()
    return user is not None and user.id == report.reporter_id


@api.get("/my/reports")
def my_reports():
    """The reports and confirmations of this device (X-Device-Token) and of the signed-in user."""
    device = device_token_hash()
    user = signed_in_user()
    owners_reports = []
    owners_confirmations = []
    if device is not None:
        owners_reports.append(BarrierReport.device_token_hash == device)
        owners_confirmations.append(SiteConfirmation.device_token_hash == device)
    if user is not None:
        owners_reports.append(BarrierReport.reporter_id == user.id)
        owners_confirmations.append(SiteConfirmation.reporter_id == user.id)
    if not owners_reports:
        return jsonify({"reports": [], "confirmations": []})
    reports = db.session.scalars(
        select(BarrierReport)
        .where(or_(*owners_reports))
        .order_by(BarrierReport.created_at.desc(), BarrierReport.id.desc())
        .limit(MY_REPORTS_LIMIT)
    ).all()
    confirmations = db.session.scalars(
        select(SiteConfirmation)
        .where(or_(*owners_confirmations))
        .order_by(SiteConfirmation.created_at.desc(), SiteConfirmation.id.desc())
        .limit(MY_REPORTS_LIMIT)
    ).all()
    notes = public_notes(db.session, [r.id for r in reports])
    return jsonify(
        {
            "reports": [report_json(r, notes[r.id]) for r in reports],
            "confirmations": [confirmation_json(c) for c in confirmations],
        }
    )
