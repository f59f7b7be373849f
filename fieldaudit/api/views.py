"""JSON API handlers: parse, call the domain, return JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from fieldaudit.extensions import db
from fieldaudit.geojson import area_feature, feature_collection
from fieldaudit.models import Area
from fieldaudit.taxonomy import AREA_KINDS, CATEGORIES, GROUP_LABELS, SEVERITIES, tags_for

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


def taxonomy_json() -> dict:
    """The taxonomy as the API and the field app's page carry it."""
    return {
        "categories": [
            {
                "code": c.code,
                "number": c.number,
                "label": c.label.as_dict(),
                "hint": c.hint.as_dict(),
                "groups": [g.value for g in c.groups],
                "cluster_radius_m": c.cluster_radius_m,
                "icon": c.icon,
                "tags": [{"code": t.code, "label": t.label.as_dict()} for t in tags_for(c)],
                "measurements": [
                    {
                        "key": m.key,
                        "unit": m.unit,
                        "label": m.label.as_dict(),
                        "minimum": m.minimum,
                        "maximum": m.maximum,
                        "threshold": None
                        if m.threshold is None
                        else {
                            "kind": m.threshold.kind,
                            "limit": m.threshold.limit,
                            "inclusive": m.threshold.inclusive,
                            "source": m.threshold.source,
                            "provisional": m.threshold.provisional,
                        },
                    }
                    for m in c.measurements
                ],
            }
            for c in CATEGORIES
        ],
        "groups": [
            {"code": g.value, "label": label.as_dict()} for g, label in GROUP_LABELS.items()
        ],
        "severities": [
            {
                "code": s.value,
                "label": i.label.as_dict(),
                "explanation": i.explanation.as_dict(),
                "weight": i.weight,
            }
            for s, i in SEVERITIES.items()
        ],
        "area_kinds": [{"code": k.code, "label": k.label.as_dict()} for k in AREA_KINDS],
    }
