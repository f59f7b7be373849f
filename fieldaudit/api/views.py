"""JSON API handlers: parse, call the domain, return JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from fieldaudit.extensions import db
from fieldaudit.geojson import area_feature, feature_collection
from fieldaudit.models import Area
from fieldaudit.taxonomy import taxonomy_json

api = Blueprint("api", __name__)


@api.get("/areas")
def areas():
    """All areas as GeoJSON (WGS84), the municipal boundary included."""
    rows = db.session.scalars(select(Area).order_by(Area.kind, Area.name))
    response = jsonify(feature_collection([area_feature(a) for a in rows]))
    response.mimetype = "application/geo+json"
    return response


@api.get("/categories")
def categories():
    """The barrier taxonomy with Danish and English labels, thresholds and tags."""
    return jsonify(taxonomy_json())
