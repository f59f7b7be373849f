"""Personal data of an anonymous reporter (GDPR): everything linked to a device token."""

from __future__ import annotations

from flask import jsonify

from fieldaudit.api.parsing import device_token_hash, signed_in_user
from fieldaudit.api.views import api
from fieldaudit.extensions import db
from fieldaudit.privacy import export_personal_data


@api.get("/my/data")
def my_data():
    """Everything stored about this device (X-Device-Token) and the signed-in user, as JSON."""
    device = device_token_hash()
    user = signed_in_user()
    data = export_personal_data(db.session, user=user, device_token_hash=device)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = 'attachment; filename="fieldaudit-mine-data.json"'
    return response
