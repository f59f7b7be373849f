"""The published priority configuration: GET /api/v1/priority/weights."""

from __future__ import annotations

from flask import Blueprint, jsonify

from fieldaudit.priority import published_weights

priority_api = Blueprint("priority_api", __name__)


@priority_api.get("/weights")
def weights():
    """Every weight of the priority formula, with the presets and the map's colour bands."""
    response = jsonify(published_weights())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
