"""The public map page and the area API."""


def test_index_lists_the_areas(client, herlev):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="da"' in html
    for name in ("Herlev Station", "Byparken", "Herlev Torv"):
        assert name in html
    assert "Herlev Kommune</span>" not in html  # the boundary is not an area to report in
    assert "<script>" not in html  # no inline script (strict CSP)


def test_areas_api_is_rfc7946_geojson(client, herlev):
    response = client.get("/api/v1/areas")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = response.get_json()
    assert data["type"] == "FeatureCollection" and "crs" not in data
    assert len(data["features"]) == 23
    station = next(f for f in data["features"] if f["properties"]["name"] == "Herlev Station")
    lon, lat = station["geometry"]["coordinates"][0][0][0]
    assert 12.39 < lon < 12.46 and 55.70 < lat < 55.77
    assert station["properties"]["approximate"] is True


def test_categories_api_has_both_languages(client):
    data = client.get("/api/v1/categories").get_json()
    assert len(data["categories"]) == 20
    step = data["categories"][0]
    assert step["label"] == {"da": "Trin eller dørtrin", "en": "Step or threshold"}
    assert step["measurements"][0]["threshold"]["limit"] == 2.5
    assert len(data["groups"]) == 7


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_vendor_leaflet_is_served_from_the_package(client):
    with client.get("/vendor/leaflet/leaflet.css") as response:
        assert response.status_code == 200 and b".leaflet-container" in response.data
    assert client.get("/vendor/nothing/x.js").status_code == 404
