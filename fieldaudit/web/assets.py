"""Asset URLs with content hashes (so the service worker cache stays right) and vendor files."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory, url_for
from xstatic.pkg import leaflet, leaflet_markercluster

VENDOR_DIRS = {
    "leaflet": Path(leaflet.BASE_DIR),
    "markercluster": Path(leaflet_markercluster.BASE_DIR),
}
VENDOR_VERSIONS = {
    "leaflet": leaflet.VERSION,
    "markercluster": leaflet_markercluster.VERSION,
}

vendor = Blueprint("vendor", __name__)


@cache
def _file_hash(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """URL of a file under static/, carrying a hash of its content."""
    from flask import current_app

    path = Path(current_app.static_folder or "") / filename
    version = _file_hash(str(path), path.stat().st_mtime)
    return url_for("static", filename=filename, v=version)


def vendor_url(package: str, filename: str) -> str:
    """URL of a file from an installed front-end package (xstatic), carrying its version."""
    return url_for("vendor.file", package=package, filename=filename, v=VENDOR_VERSIONS[package])


@vendor.route("/vendor/<package>/<path:filename>")
def file(package: str, filename: str):
    """Serve a file of an installed front-end package."""
    folder = VENDOR_DIRS.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=31536000)


def init_assets(app: Flask) -> None:
    """Register asset helpers for templates and the vendor route."""
    app.register_blueprint(vendor)
    app.jinja_env.globals.update(asset_url=asset_url, vendor_url=vendor_url)
