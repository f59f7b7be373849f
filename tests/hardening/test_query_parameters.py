"""Query parameters and path segments of every public route: never a server error.

The regression cases are the URLs that were 500s (issue 12): Unicode digits such as '²', which
``str.isdigit()`` accepts and ``int()`` refuses, ids beyond the databases' integers and datetimes
at the edge of what Python can represent. Each gets the answer the route's format documents.
"""

from __future__ import annotations

import pytest

OPEN311 = "/open311/v2"
ITEMS = "/ogc/collections/barrier_sites/items"

# (url, expected status, what the answer must say)
REGRESSIONS = [
    # The public list falls back to no filter and the first page (it is a form's GET).
    ("/barrierer?area=²", 200, "Barrierer og deres status"),
    ("/barrierer?page=²", 200, "Barrierer og deres status"),
    ("/barrierer?area=99999999999999999999", 200, "Barrierer og deres status"),
    ("/barrierer?page=99999999999999999999", 200, "Barrierer og deres status"),
    ("/barrierer.geojson?area=²", 200, "FeatureCollection"),
    # Ids: a number no database row can have does not exist.
    (f"{OPEN311}/requests/².json", 404, "service_request_id"),
    (f"{OPEN311}/requests/12345678901234567890.json", 404, "service_request_id"),
    (f"{OPEN311}/requests/99999999999.json", 404, "service_request_id"),
    (f"{OPEN311}/requests.json?service_request_id=²", 400, "service_request_id"),
    (f"{OPEN311}/requests.json?service_request_id=12345678901234567890", 400, "service_request_id"),
    ("/barrierer/99999999999999999999", 404, "Siden findes ikke"),
    ("/barrierer/99999999999", 404, "Siden findes ikke"),
    ("/barrierer/99999999999/feed.atom", 404, "Siden findes ikke"),
    ("/rapporter/99999999999", 404, "Siden findes ikke"),
    ("/omraader/99999999999/feed.atom", 404, "Siden findes ikke"),
    ("/fotos/99999999999/thumb", 404, "Siden findes ikke"),
    (f"{ITEMS}/999999999999999999", 404, "unknown_feature"),
    # Datetimes at the edge of the representable range.
    (f"{OPEN311}/requests.json?start_date=9999-12-31T00:00:00Z", 400, "start_date"),
    (f"{OPEN311}/requests.json?end_date=0001-01-01T00:00:00Z", 400, "end_date"),
    (f"{OPEN311}/requests.json?start_date=0001-01-01T00:00:00%2B01:00", 400, "start_date"),
    (f"{ITEMS}?datetime=0001-01-01T00:00:00%2B01:00", 400, "invalid_datetime"),
    (f"{ITEMS}?datetime=9999-12-31T23:59:59-01:00", 400, "invalid_datetime"),
    (f"{ITEMS}?datetime=../0001-01-01T00:00:00%2B01:00", 400, "invalid_datetime"),
    # Unicode digits and numbers beyond 64 bits in the OGC paging parameters.
    (f"{ITEMS}?limit=²", 400, "invalid_limit"),
    (f"{ITEMS}?offset=²", 400, "invalid_offset"),
    (f"{ITEMS}?offset=99999999999999999999", 400, "invalid_offset"),
    ("/api/v1/sites?limit=²", 400, "invalid_parameter"),
]


@pytest.mark.parametrize(("url", "status", "says"), REGRESSIONS)
def test_the_urls_that_were_server_errors(client, herlev, url, status, says):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    assert says in response.get_data(as_text=True)


def test_a_query_error_on_an_html_page_is_a_page_in_the_reader_s_language(client, herlev):
    danish = client.get("/barrierer?status=open&page=-1&lang=da")
    assert danish.status_code == 200  # lenient list filters
    english = client.get(f"{OPEN311}/requests.json?start_date=9999-12-31T00:00:00Z&lang=en")
    assert english.status_code == 400
    assert "start_date" in english.get_json()[0]["description"]
    assert "must" in english.get_json()[0]["description"]
