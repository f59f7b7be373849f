"""Every string in the app is translated: Danish is the source, English must be complete."""

import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from fieldaudit.web.i18n import SOURCE_DIR

PACKAGE = Path(__file__).resolve().parent.parent / "fieldaudit"
METHODS = [
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def english_catalog() -> dict[str, str]:
    catalog = {}
    for po_path in sorted((SOURCE_DIR / "en" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as source:
            for message in read_po(source):
                if not message.id:
                    continue
                if isinstance(message.id, str):
                    catalog[message.id] = message.string
                else:  # ngettext: the singular and the plural, each with its English form
                    for key, value in zip(message.id, message.string, strict=True):
                        catalog[key] = value
    return catalog


def test_there_are_strings_to_translate():
    assert len(extracted_messages()) > 10


def test_every_string_has_an_english_translation():
    catalog = english_catalog()
    missing = sorted(m for m in extracted_messages() if not catalog.get(m))
    assert not missing, "Untranslated (add to translations/en/LC_MESSAGES/*.po):\n" + "\n".join(
        missing
    )


def test_no_stale_translations():
    stale = sorted(set(english_catalog()) - extracted_messages())
    assert not stale, "Translations of strings no longer used:\n" + "\n".join(stale)


def test_page_switches_language_and_remembers(client):
    assert 'lang="da"' in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en")
    assert 'lang="en"' in english.get_data(as_text=True)
    assert "Public spaces and green areas in Herlev" in english.get_data(as_text=True)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)  # remembered by cookie


def test_dates_and_numbers_are_written_the_danish_way(app):
    from datetime import UTC, datetime

    from fieldaudit.web.i18n import local_date, local_number, local_time

    moment = datetime(2026, 11, 23, 13, 5, tzinfo=UTC)  # 14.05 in Copenhagen
    with app.test_request_context("/"):
        assert local_date(moment) == "23. nov. 2026"
        assert local_time(moment) == "23. nov. 2026 14.05"
        assert local_number(12.5) == "12,5"
    with app.test_request_context("/?lang=en"):
        assert local_date(moment) == "Nov 23, 2026"
        assert local_number(12.5) == "12.5"


def test_counts_take_the_singular_or_the_plural_form(app, client, herlev):
    """ngettext in templates and Python, and the scripts' counted texts (issue 17)."""
    from flask import render_template_string
    from flask_babel import refresh

    html = client.get("/indberet?lang=da").get_data(as_text=True)
    config = json.loads(re.search(r'id="field-config">(.*?)</script>', html, re.S).group(1))
    assert config["strings"]["sites_cell"] == {
        "one": "{n} kendt barriere her",
        "other": "{n} kendte barrierer her",
    }
    template = "{{ ngettext('%(num)s barriere', '%(num)s barrierer', n) }}"
    with app.test_request_context("/"):
        assert [render_template_string(template, n=n) for n in (1, 2)] == [
            "1 barriere",
            "2 barrierer",
        ]
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context keeps the first request's catalog otherwise
        assert [render_template_string(template, n=n) for n in (1, 2)] == [
            "1 barrier",
            "2 barriers",
        ]
