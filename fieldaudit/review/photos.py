"""A report's photos for reviewers: the files (hidden ones too; the private original only for
administrators), hiding and showing them, and blacking out part of one."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from fieldaudit import redaction, report_review
from fieldaudit.accounts.views import apply_problems
from fieldaudit.authz import has_role, require_role
from fieldaudit.config import private_originals_dir
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.permissions import REVIEWERS
from fieldaudit.photos import media_path
from fieldaudit.review.blueprint import bp, photo_or_404
from fieldaudit.review.forms import HideForm, RedactForm
from fieldaudit.review.report_page import done, render_detail
from fieldaudit.status import Role


@bp.get("/fotos/<int:photo_id>/<variant>")
@require_role(*REVIEWERS)
def photo_file(photo_id: int, variant: str):
    """A photo for reviewers, hidden ones too; the private original only for administrators."""
    photo = photo_or_404(photo_id)
    if variant == "display":
        path = media_path(current_app.config["MEDIA_DIR"], photo.display_name)
    elif variant == "thumb":
        path = media_path(current_app.config["MEDIA_DIR"], photo.thumb_name)
    elif variant == "original":
        if not has_role(current_user, Role.ADMIN):
            abort(403)
        path = (
            media_path(private_originals_dir(current_app.config), photo.original_name)
            if photo.original_name
            else None
        )
    else:
        abort(404)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, etag=True)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


PHOTO_ACTIONS = ("hide", "show", "redact")


@bp.post("/fotos/<int:photo_id>/<action>")
@require_role(*REVIEWERS)
def photo_act(photo_id: int, action: str):
    """Hide, show again or black out part of a photo."""
    photo = photo_or_404(photo_id)
    if action not in PHOTO_ACTIONS:
        abort(404)
    report = photo.report
    user = current_user._get_current_object()
    if action in ("hide", "show"):
        prefix = f"photo-{photo.id}-hide"
        form = HideForm(prefix=prefix)
        if not form.validate():
            return render_detail(report, {prefix: form}, 422)
        try:
            report_review.set_photo_hidden(
                db.session, photo, user, action == "hide", form.reason.data or ""
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
            return render_detail(report, {prefix: form}, 422)
        message = (
            gettext("Fotoet er skjult for offentligheden.")
            if action == "hide"
            else gettext("Fotoet vises igen offentligt.")
        )
        return done(report, message)
    prefix = f"photo-{photo.id}-redact"
    form = RedactForm(prefix=prefix)
    if not form.validate():
        return render_detail(report, {prefix: form}, 422)
    try:
        box = redaction.box_from_percent(
            float(form.left.data),
            float(form.top.data),
            float(form.width.data),
            float(form.height.data),
        )
        result = report_review.redact_photo(
            db.session,
            photo,
            user,
            [box],
            current_app.config["MEDIA_DIR"],
            private_originals_dir(current_app.config),
            form.reason.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        apply_problems(form, error)
        return render_detail(report, {prefix: form}, 422)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        redaction.discard_new(current_app.config["MEDIA_DIR"], result)
        raise
    redaction.discard_obsolete(result)
    flash(gettext("Det valgte område er sløret. Originalen er gemt privat."), "success")
    return redirect(url_for("review.report", report_id=report.id))
