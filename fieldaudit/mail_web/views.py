"""The e-mail pages: parse, call ``fieldaudit.mail``, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from fieldaudit import visibility
from fieldaudit.areas import named_areas
from fieldaudit.authz import require_role
from fieldaudit.errors import ValidationError
from fieldaudit.extensions import db
from fieldaudit.mail import digests, outbox, subscriptions
from fieldaudit.mail.smtp import SmtpSettings
from fieldaudit.models import Area, BarrierSite
from fieldaudit.params import record_id
from fieldaudit.permissions import holds
from fieldaudit.status import Role

mail = Blueprint("mail", __name__, template_folder="templates", url_prefix="/mail")

FOLLOW_KINDS = ("site", "area")


def _language() -> str:
    return "en" if str(get_locale()) == "en" else "da"


def _page_of(kind: str, target_id: int) -> str:
    if kind == "site":
        return url_for("public.site", site_id=target_id) + "#follow"
    return url_for("public.sites", area=target_id) + "#follow"


def _target_or_404(kind: str, raw_id: str | None) -> int:
    target_id = record_id(raw_id)
    if kind not in FOLLOW_KINDS or target_id is None:
        abort(400)
    if kind == "site":
        site = db.session.get(BarrierSite, target_id)
        if site is None or not visibility.site_is_public(site):
            abort(404)
    elif db.session.get(Area, target_id) is None:
        abort(404)
    return target_id


@mail.post("/foelg")
def follow():
    """Ask to follow a barrier or an area: a confirmation mail is sent, nothing is stored."""
    kind = request.form.get("kind", "")
    target_id = _target_or_404(kind, request.form.get("target"))
    try:
        email = subscriptions.check_address(request.form.get("email", ""))
    except ValidationError as error:
        flash(error.first.message.get(_language()), "error")
        return redirect(_page_of(kind, target_id))
    try:
        subscriptions.request_follow(db.session, email, _language(), kind, target_id)
        db.session.commit()
    except IntegrityError:  # the same request at the same moment: its mail is queued already
        db.session.rollback()
    flash(
        gettext(
            "Tjek din e-mail: vi har sendt et link, som du skal åbne for at bekræfte. "
            "Indtil da gemmer vi ikke din adresse."
        ),
        "success",
    )
    return redirect(_page_of(kind, target_id))


@mail.route("/bekraeft/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in a confirmation mail: a button that stores the follow (a link checker that
    opens the page confirms nothing)."""
    if request.method == "GET":
        return render_template("mail/confirm.html", token=token)
    subscription = subscriptions.confirm_follow(db.session, token)
    if subscription is None:
        db.session.rollback()
        return render_template("mail/confirm_invalid.html"), 400
    db.session.commit()
    return render_template(
        "mail/confirmed.html",
        page=subscriptions.follow_path(subscription),
        unsubscribe_url=subscriptions.unsubscribe_url(db.session, subscription),
    )


@mail.route("/afmeld/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """One-click unsubscribe: a POST without sign-in or form token ends it (RFC 8058); the
    link itself shows a button, so a link checker unsubscribes nobody."""
    if request.method == "GET":
        return render_template("mail/unsubscribe.html", token=token)
    ended = subscriptions.unsubscribe(db.session, token)
    if ended is None:
        db.session.rollback()
        return render_template("mail/unsubscribe_invalid.html"), 400
    db.session.commit()
    return render_template("mail/unsubscribed.html")


@mail.route("/indstillinger", methods=["GET", "POST"])
@require_role(Role.REVIEWER, Role.PLANNER)
def settings():
    """A staff member's digests: on or off, in which language, for which areas."""
    user = current_user._get_current_object()
    areas = named_areas(db.session)
    if request.method == "POST":
        known = {a.id for a in areas}
        chosen = [record_id(v) for v in request.form.getlist("areas")]
        digests.save_setting(
            db.session,
            user,
            request.form.get("language", "da"),
            request.form.get("reviewer_daily") == "1",
            request.form.get("planner_weekly") == "1",
            [a for a in chosen if a in known],
        )
        db.session.commit()
        flash(gettext("Dine indstillinger er gemt."), "success")
        return redirect(url_for("mail.settings"))
    return render_template(
        "mail/settings.html",
        setting=digests.setting_for(db.session, user),
        areas=areas,
        is_reviewer=holds(user, Role.REVIEWER),
        is_planner=holds(user, Role.PLANNER),
    )


@mail.get("/udbakke")
@require_role(Role.ADMIN)
def outbox_page():
    """Admins: the mails not sent yet, and whether a mail server is set."""
    return render_template(
        "mail/outbox.html",
        configured=SmtpSettings.from_config(current_app.config).configured,
        messages=outbox.unsent(db.session),
        counts=outbox.counts(db.session),
        max_attempts=outbox.MAX_ATTEMPTS,
    )
