"""The administrators' operations page: each scheduled job, its last run, result and next run.

Registered on the accounts blueprint (imported by ``fieldaudit/accounts/__init__.py``); the
jobs themselves are in ``fieldaudit/jobs.py`` and run by ``fieldaudit jobs run``.
"""

from __future__ import annotations

from flask import current_app, render_template

from fieldaudit import jobs
from fieldaudit.accounts.views import bp, lang
from fieldaudit.authz import require_role
from fieldaudit.extensions import db
from fieldaudit.status import Role


@bp.get("/drift")
@require_role(Role.ADMIN)
def operations():
    """Scheduled jobs: last run, how it ended (a failure with its error text), next due."""
    states = jobs.job_states(db.session, current_app.config)
    return render_template("accounts/operations.html", states=states, language=lang())
