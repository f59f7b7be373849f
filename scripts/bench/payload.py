"""Benchmark 8b of issue 7: the field app's first load (the PWA payload), gzipped.

``measure`` counts the bytes: the capture page /indberet rendered by Flask's test client on a
throw-away SpatiaLite database with Herlev's areas, and every stylesheet, script (and the ES
modules they import), icon and the manifest it loads, each gzipped at level 6 (as a web server
would). A size is not a time: the ``Figure`` holds kilobytes where other figures hold
milliseconds, and says so in its name; 1 KB = 1,024 bytes, as the script counts them. The baseline is the vendor part alone
(Leaflet and its marker-cluster plugin, which FieldAudit cannot shrink), so the ratio shows the
weight of FieldAudit's own code beside it.

Run alone, it prints the table and the totals and exits 1 above the goal:
``.venv/bin/python scripts/bench/payload.py``.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask_migrate import upgrade

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fieldaudit import create_app
from fieldaudit.area_import import herlev_files, import_areas, read_area_file
from fieldaudit.extensions import db
from scripts.bench.figures import Figure

GOAL_KB = 150
KB = 1024
IMPORT = re.compile(r"""(?:^|\n)\s*import\s[^'"]*?from\s*["']([^"']+)["']""")
CSS_URL = re.compile(r"""url\(["']?([^"')]+)["']?\)""")
VENDOR_URL = re.compile(r"""(/vendor/[^"'\s?]+\.(?:js|css)(?:\?v=[^"'\s&]*)?)""")


class References(HTMLParser):
    """Collects the URLs a page loads on its own: styles, scripts, icons, manifest, <use>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") in {"stylesheet", "manifest", "icon"}:
            self.urls.append(values["href"] or "")
        elif tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        elif tag == "use" and values.get("href"):
            self.urls.append((values["href"] or "").split("#")[0])


def gzipped(data: bytes) -> int:
    """Size in bytes after gzip at level 6."""
    return len(gzip.compress(data, compresslevel=6))


def measure(client) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """Return (shell, data) rows of (url, raw bytes, gzipped bytes)."""
    page = client.get("/indberet")
    assert page.status_code == 200, page.status_code
    rows = [("/indberet", len(page.data), gzipped(page.data))]
    parser = References()
    parser.feed(page.get_data(as_text=True))
    queue = list(dict.fromkeys(parser.urls))
    seen: set[str] = set()
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen:
            continue
        seen.add(path)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        data = response.get_data()
        response.close()
        rows.append((url, len(data), gzipped(data)))
        if path.endswith(".js") and "/static/" in path:
            queue += [urljoin(path, found) for found in IMPORT.findall(data.decode())]
        if path.endswith(".css") and "/static/" in path:
            queue += [urljoin(path, found) for found in CSS_URL.findall(data.decode())]
    data_rows = []
    # Fetched after the first load: the areas, and Leaflet when the person opens the map
    # (the page names its files in its configuration; issue 17 moved them out of the first load).
    on_demand = [u for u in dict.fromkeys(VENDOR_URL.findall(page.get_data(as_text=True)))]
    for url in ["/api/v1/areas"] + [u for u in on_demand if urlsplit(u).path not in seen]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        data_rows.append((url, len(response.data), gzipped(response.data)))
        response.close()
    return rows, data_rows


def measure_rows() -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(shell, data) rows of (url, raw bytes, gzipped bytes), from a throw-away SpatiaLite app."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/measure.sqlite",
                "MEDIA_DIR": f"{tmp}/media",
                "TILE_URL": "",
            }
        )
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            for path in herlev_files(app.config["DATA_DIR"]):
                import_areas(db.session, read_area_file(path))
            db.session.commit()
            shell, data = measure(app.test_client())
            db.session.remove()
            db.engine.dispose()
    return shell, data


def bench_payload() -> list[Figure]:
    """8b. Gzipped bytes of /indberet's first load, in KB, beside the vendor files alone."""
    shell, data = measure_rows()
    total = sum(packed for _, _, packed in shell)
    raw_total = sum(raw for _, raw, _ in shell)
    # The baseline: Leaflet and its plugin, wherever they load (since issue 17 only when the
    # person opens the map, so the first load is smaller than the baseline).
    vendor = sum(packed for url, _, packed in shell + data if "/vendor/" in url or "leaflet" in url)
    largest = sorted(shell, key=lambda row: -row[2])[:3]
    note = (
        f"{total / KB:.1f} KB gzipped ({total:,} bytes; {raw_total / KB:.0f} KB uncompressed) "
        f"in {len(shell)} files; largest: "
        + ", ".join(
            f"{url.rsplit('/', 1)[-1].split('?')[0]} {packed / KB:.1f} KB"
            for url, _, packed in largest
        )
        + "; fetched after the first load: "
        + ", ".join(f"{url} {packed / KB:.1f} KB" for url, _, packed in data)
    )
    return [
        Figure(
            "8 PWA payload (first load, gzipped)",
            "/indberet + everything it loads: KB gzipped (the ms columns hold KB here)",
            "any",
            0,
            [total / KB / 1000],  # kilobytes in the column that shows samples x 1000
            "Leaflet + markercluster alone (KB gzipped; loaded when the map is opened)",
            [vendor / KB / 1000] if vendor else [],
            f"<= {GOAL_KB} KB",
            note,
        )
    ]


def main() -> None:
    """Print the table and the totals."""
    shell, data = measure_rows()
    width = max(len(url) for url, _, _ in shell + data)
    for url, raw, packed in shell:
        print(f"{url:<{width}}  {raw / 1024:7.1f} KB  {packed / 1024:6.1f} KB gz")
    total = sum(packed for _, _, packed in shell)
    print(f"{'app shell (first load)':<{width}}  {'':7}     {total / 1024:6.1f} KB gz")
    for url, raw, packed in data:
        print(
            f"{url + ' (fetched after the first load)':<{width}}  {raw / 1024:7.1f} KB  {packed / 1024:6.1f} KB gz"
        )
    print(f"goal <= {GOAL_KB} KB: {'met' if total <= GOAL_KB * 1024 else 'NOT met'}")
    if total > GOAL_KB * 1024:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
