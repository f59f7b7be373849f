"""The field app's pages, manifest and service worker (the browser tests drive the flow)."""

from __future__ import annotations

import json
import re
import shutil
from io import BytesIO

from PIL import Image


def test_capture_page_lists_places_and_categories_without_inline_script(client, herlev):
    html = client.get("/indberet").get_data(as_text=True)
    assert 'lang="da"' in html and "Meld en barriere" in html
    assert html.count('name="category"') == 20 and html.count('name="severity"') == 3
    assert 'data-name="Herlev Station"' in html and "Herlev Kommune</label>" not in html
    # Scripts only by URL, data only as JSON: nothing the CSP would have to allow inline.
    assert re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", html) is None
    assert " on" + "click=" not in html and "style=" not in html
    config = json.loads(re.search(r'id="field-config">(.*?)</script>', html, re.S).group(1))
    assert config["urls"]["reports"] == "/api/v1/reports"
    assert config["tile_url"] == "" and len(config["taxonomy"]["categories"]) == 20
    assert config["strings"]["waiting"]["other"] == "{n} venter på at blive sendt."


def test_pages_in_english(client, herlev):
    html = client.get("/indberet?lang=en").get_data(as_text=True)
    assert "Report a barrier" in html and "Use my position" in html
    config = json.loads(re.search(r'id="field-config">(.*?)</script>', html, re.S).group(1))
    assert config["lang"] == "en"
    # Counted texts carry both forms (ngettext), the browser picks one for the count.
    assert config["strings"]["waiting"] == {
        "one": "{n} report is waiting to be sent.",
        "other": "{n} reports are waiting to be sent.",
    }
    assert config["strings"]["places_count"]["one"] == "{n} place matches the search."
    assert "My reports" in client.get("/mine-rapporter").get_data(as_text=True)


def test_manifest_is_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["display"] == "standalone" and manifest["lang"] == "da"
    assert manifest["name"].startswith("FieldAudit Herlev") and manifest["theme_color"]
    assert manifest["start_url"] == "/indberet"
    sizes = {}
    for icon in manifest["icons"]:
        icon_response = client.get(icon["src"])
        assert icon_response.status_code == 200
        with Image.open(BytesIO(icon_response.get_data())) as image:
            sizes[icon["sizes"]] = image.size
        icon_response.close()
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_service_worker_precaches_what_exists(client, herlev):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    assert "/indberet" in precache and "/api/v1/areas" in precache
    assert any("/vendor/leaflet/leaflet.js" in url for url in precache)
    assert any(url.startswith("/static/js/field/app.js?v=") for url in precache)
    for url in precache:
        fetched = client.get(url)
        assert fetched.status_code == 200, url
        fetched.close()


def test_a_changed_asset_changes_the_cache_version(app, client, herlev, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)

    def version() -> str:
        body = client.get("/sw.js").get_data(as_text=True)
        return re.search(r'const VERSION = "(\w+)"', body).group(1)

    before = version()
    assert version() == before
    module = static / "js" / "field" / "capture.js"  # imported by plain URL, no hash of its own
    module.write_text(module.read_text() + "\n// changed\n")
    assert version() != before


def test_offline_page(client):
    html = client.get("/offline").get_data(as_text=True)
    assert "Uden forbindelse" in html and 'href="/indberet"' in html


def test_the_front_page_asks_people_to_report_a_barrier(client, herlev):
    html = client.get("/").get_data(as_text=True)
    assert '<a class="button" href="/indberet">Meld en barriere</a>' in html


def test_the_service_area_is_served_for_the_phone_and_is_never_smaller(app, client, herlev):
    from shapely.geometry import Point, shape

    response = client.get("/api/v1/service-area")
    assert response.mimetype == "application/geo+json"
    outline = shape(response.get_json()["geometry"])
    assert outline.contains(Point(12.4437, 55.7189))  # Herlev Station
    assert not outline.contains(Point(12.5683, 55.6761))  # Copenhagen
    assert "/api/v1/service-area" in client.get("/sw.js").get_data(as_text=True)
    # The phone's check never refuses what the server takes: the outline holds the server's area.
    from fieldaudit.areas import service_area
    from fieldaudit.config import HERLEV_BBOX_WGS84
    from fieldaudit.crs import METRIC, WGS84, bbox_to_metric, reproject
    from fieldaudit.extensions import db

    with app.app_context():
        rule = service_area(
            db.session, bbox_to_metric(HERLEV_BBOX_WGS84), app.config["BOUNDARY_TOLERANCE_M"]
        )
        assert reproject(outline, WGS84, METRIC).buffer(0.5).contains(rule.geometry)
