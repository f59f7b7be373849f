"""Stored markup (issue 12, hole 2): text from imports, OpenStreetMap or people is never HTML.

An area name such as ``</script><input form=verify ...><button formaction=...>`` was written
raw into the review page (``{{ map_data | safe }}``), where one click by an admin sent a form
of the attacker's choosing. The class: JSON in a ``<script>`` block only through ``tojson``,
``| safe`` and ``Markup(`` only where an allow-list says why, and map tooltips and popups built
from text nodes (tests/browser/test_map_text.py checks them in Chromium).
"""

from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fieldaudit import report_review
from fieldaudit.models import Area, BarrierReport

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "fieldaudit"

ATTACK = (
    "</script><input form=verify name=verify-note value=x>"
    "<button formaction=/konto/brugere/4 form=verify>Bekræft</button>"
    '<img src=x onerror="document.title=1">'
)

# Every place that marks text as safe HTML, and why that text cannot hold markup.
SAFE_ALLOWED: dict[str, str] = {
    "fieldaudit/review/charts.py:bar_chart": (
        "an SVG drawn on the server; every label and the title pass through markupsafe.escape"
    ),
    "fieldaudit/review/charts.py:month_chart": (
        "an SVG drawn on the server; every label and the title pass through markupsafe.escape"
    ),
    "fieldaudit/exports/map_svg.py:map_svg": (
        "the printed priority map's SVG (for the PDF only); area names, the scale text and the "
        "title pass through markupsafe.escape, numbers and colours come from the code"
    ),
}


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _template_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("templates/**/*") if p.is_file())


def _safe_in_templates() -> set[str]:
    found = set()
    for path in _template_files():
        for expression in re.findall(r"{{(.*?)}}", path.read_text(encoding="utf-8"), re.S):
            if re.search(r"\|\s*safe\b", expression):
                found.add(f"{_relative(path)}:{{{{{expression.strip()}}}}}")
    return found


def _markup_calls_in_python() -> set[str]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and _called_name(node.func) == "Markup":
                    found.add(f"{_relative(path)}:{function.name}")
        for node in tree.body:  # Markup(...) at module level
            for call in ast.walk(node):
                if (
                    not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                    and isinstance(call, ast.Call)
                    and _called_name(call.func) == "Markup"
                ):
                    found.add(f"{_relative(path)}:<module>")
    return found


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def test_every_safe_and_markup_is_on_the_allow_list():
    found = _safe_in_templates() | _markup_calls_in_python()
    assert found - set(SAFE_ALLOWED) == set(), "new '| safe' or Markup(): add it with a reason"
    assert set(SAFE_ALLOWED) - found == set(), "stale allow-list entries"
    assert all(reason.strip() for reason in SAFE_ALLOWED.values())


def test_json_in_script_blocks_only_through_tojson():
    offenders = []
    for path in _template_files():
        text = path.read_text(encoding="utf-8")
        blocks = re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S | re.I)
        if path.suffix == ".js":  # a script template (the service worker) is one block
            blocks.append(text)
        for block in blocks:
            for expression in re.findall(r"{{(.*?)}}", block, re.S):
                if not re.search(r"\|\s*tojson\s*$", expression.strip()):
                    offenders.append(f"{_relative(path)}: {{{{{expression.strip()}}}}}")
    assert offenders == []


HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")
# Leaflet calls that take content: it must be an element (a name holding one, or textElement).
CONTENT_CALL = re.compile(
    r"\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent|setContent)\(\s*([^,)]*)"
)
HTML_OPTION = re.compile(r"\bhtml:\s*([^,}\n]*)")


def test_scripts_build_text_as_dom_nodes():
    offenders = []
    for path in sorted((PACKAGE / "static" / "js").rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{_relative(path)}: {m.group(0)}" for m in HTML_SINKS.finditer(text)]
        for match in CONTENT_CALL.finditer(text):
            argument = match.group(2).strip()
            if not re.fullmatch(r"textElement\(.*|[A-Za-z_$][\w$]*", argument):
                offenders.append(f"{_relative(path)}: {match.group(0)}")
        for match in HTML_OPTION.finditer(text):
            value = match.group(1).strip()
            # "" or an element: a name holding one or a call making one (textElement, siteIcon).
            if not re.fullmatch(r'""|[A-Za-z_$][\w$]*(\(.*)?', value):
                offenders.append(f"{_relative(path)}: {match.group(0)}")
    assert offenders == []


# --- The attack itself: an imported area name on every page that shows area names ----------


class Page(HTMLParser):
    """The elements of a page (tag and attributes), its text and its JSON script blocks."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.json_blocks: list[str] = []
        self._json_block: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script" and attributes.get("type") == "application/json":
            self._json_block = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json_block is not None:
            self.json_blocks.append("".join(self._json_block))
            self._json_block = None

    def handle_data(self, data: str) -> None:
        if self._json_block is not None:
            self._json_block.append(data)
        else:
            self.text.append(data)

    def shows(self, value: str) -> bool:
        """Whether ``value`` is on the page as text or as an attribute value."""
        attribute_values = [v for _, attrs in self.elements for v in attrs.values() if v]
        return any(value in chunk for chunk in ["".join(self.text), *attribute_values])


def assert_inert(html: str, url: str) -> Page:
    """No element the attack string could have made; every JSON block still parses."""
    page = Page(html)
    made = [
        (tag, attrs)
        for tag, attrs in page.elements
        if "formaction" in attrs
        or "form" in attrs
        or any(name.startswith("on") for name in attrs)
        or (tag == "img" and attrs.get("src") == "x")
    ]
    assert made == [], url
    for block in page.json_blocks:
        json.loads(block)
    assert page.shows(ATTACK), f"{url} should show the name as text"
    return page


def _area_file(tmp_path: Path, name: str) -> Path:
    # A rectangle around Herlev Station (report at 12.4437, 55.7189), larger to the east.
    ring = [[12.4420, 55.7180], [12.4500, 55.7180], [12.4500, 55.7200], [12.4420, 55.7200]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name, "kind": "park"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


@pytest.fixture
def attack_area(db, runner, tmp_path) -> Area:
    """An area imported with ``fieldaudit areas import`` under the attack name."""
    result = runner.invoke(args=["areas", "import", str(_area_file(tmp_path, ATTACK))])
    assert result.exit_code == 0, result.output
    area = db.session.query(Area).filter_by(kind="park").one()
    assert area.name == ATTACK
    return area


@pytest.fixture
def public_report(db, attack_area, make_report, make_user) -> BarrierReport:
    """A verified report inside the attack area, so the public pages show the area too."""
    report = make_report()
    assert report.area_id == attack_area.id
    report_review.verify_report(db.session, report, make_user("reviewer"))
    db.session.commit()
    return report


def test_review_page_keeps_an_area_name_as_text(client, login, public_report, attack_area):
    login("admin")
    url = f"/gennemgang/rapporter/{public_report.id}"
    response = client.get(url)
    assert response.status_code == 200
    page = assert_inert(response.get_data(as_text=True), url)
    (map_data,) = page.json_blocks
    labels = [f["properties"]["label"] for f in json.loads(map_data)["features"]]
    assert ATTACK in labels


def test_every_page_with_area_names_keeps_them_as_text(client, login, public_report, attack_area):
    site_id = public_report.site_id
    login("admin")
    pages = [
        "/",
        "/barrierer",
        f"/barrierer?area={attack_area.id}",
        f"/barrierer/{site_id}",
        f"/rapporter/{public_report.id}",
        "/gennemgang/",
        f"/gennemgang/steder/{site_id}",
        "/gennemgang/statistik/statusrapport",
        "/planlaegning/",
        f"/planlaegning/?area={attack_area.id}",
        "/planlaegning/omraader",
        f"/planlaegning/steder/{site_id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), url)
    coverage = Page(client.get("/planlaegning/omraader").get_data(as_text=True)).json_blocks
    names = [f["properties"]["name"] for f in json.loads(coverage[0])["features"]]
    assert names == [ATTACK]
    areas = client.get("/api/v1/areas").get_json()
    assert ATTACK in [f["properties"]["name"] for f in areas["features"]]
