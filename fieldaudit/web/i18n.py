"""Languages: Danish first (the source language of every string), English second.

Strings are written in Danish in the code and templates (Danish is the msgid) and translated
to English in ``fieldaudit/translations/en/LC_MESSAGES/*.po``: one .po file per area of the app
(core, field, review, planning, ...). They are merged and compiled into the instance folder
when one changes, so no build step is needed. JavaScript gets its strings from the template
(a ``<script type="application/json">`` block or ``data-*`` attributes), through the same
catalog.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, format_date, format_decimal, format_time

from fieldaudit.utc import as_utc
from fieldaudit.web import query

LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
LANG_COOKIE = "lang"
SOURCE_DIR = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def select_language() -> str:
    """The language of this request: ?lang=, then the remembered cookie, then Danish."""
    asked = query.arg("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE


def compile_catalogs(target: Path) -> None:
    """Merge each language's .po files (one per area of the app) into one compiled catalog.

    Recompiled only when a .po file is newer than the compiled ``messages.mo``.
    """
    for language_dir in SOURCE_DIR.glob("*/LC_MESSAGES"):
        sources = sorted(language_dir.glob("*.po"))
        mo_path = target / language_dir.relative_to(SOURCE_DIR) / "messages.mo"
        newest = max((p.stat().st_mtime for p in sources), default=0)
        if not sources or (mo_path.exists() and mo_path.stat().st_mtime >= newest):
            continue
        merged = Catalog(locale=language_dir.parent.name)
        for po_path in sources:
            with po_path.open("rb") as source:
                for message in read_po(source):
                    if message.id:
                        merged[message.id] = message
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo_path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as out:
            write_mo(out, merged)
        tmp.replace(mo_path)


def local_date(moment: datetime | date | None) -> str:
    """A date the way the reader's language writes it: '23. nov. 2026' / 'Nov 23, 2026'."""
    if moment is None:
        return ""
    return format_date(as_utc(moment) if isinstance(moment, datetime) else moment, "medium")


def local_time(moment: datetime | None) -> str:
    """A stored (UTC) time in Copenhagen time, written the reader's way: '23. nov. 2026 14.05'."""
    if moment is None:
        return ""
    aware = as_utc(moment)
    return f"{format_date(aware, 'medium')} {format_time(aware, 'short')}"


def local_number(value: float | int | None, digits: int = 1) -> str:
    """A number with the reader's decimal mark: '12,5' in Danish."""
    if value is None:
        return ""
    return format_decimal(round(value, digits))


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel and remember a language chosen with ?lang=."""
    compiled = Path(app.instance_path) / "translations"
    compile_catalogs(compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Copenhagen")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=select_language)
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_number, "local_number")

    @app.after_request
    def remember_language(response):
        asked = query.arg("lang")
        if asked in LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
            response.set_cookie(
                LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        return response

    @app.context_processor
    def language_context():
        lang = select_language()
        return {"lang": lang, "other_lang": "en" if lang == "da" else "da"}
