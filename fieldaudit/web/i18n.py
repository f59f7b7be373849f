"""Languages: Danish first (the source language of every string), English second.

Strings are written in Danish in the code and templates and translated to English in
``fieldaudit/translations/en/LC_MESSAGES/messages.po``; the catalog is compiled into the
instance folder when it changes, so no build step is needed.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel

LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
LANG_COOKIE = "lang"
SOURCE_DIR = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def select_language() -> str:
    """The language of this request: ?lang=, then the remembered cookie, then Danish."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE


def compile_catalogs(target: Path) -> None:
    """Compile every .po catalog to .mo under ``target`` when the .po is newer."""
    for po_path in SOURCE_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(SOURCE_DIR).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as source:
            catalog = read_po(source)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as out:
            write_mo(out, catalog)
        tmp.replace(mo_path)


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel and remember a language chosen with ?lang=."""
    compiled = Path(app.instance_path) / "translations"
    compile_catalogs(compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Copenhagen")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=select_language)

    @app.after_request
    def remember_language(response):
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
            response.set_cookie(
                LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        return response

    @app.context_processor
    def language_context():
        lang = select_language()
        return {"lang": lang, "other_lang": "en" if lang == "da" else "da"}
