"""The catalogue of problems: each problem once, in Danish and English, and every call uses it."""

import ast
import re
from pathlib import Path

import pytest
from flask_babel import refresh

from fieldaudit import errors
from fieldaudit.problems import CATALOGUE, code_of, message, problem
from fieldaudit.taxonomy import Label

PACKAGE = Path(__file__).resolve().parent.parent / "fieldaudit"
DOCS = PACKAGE.parent / "docs"
KEY = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*(\.[a-z0-9]+(_[a-z0-9]+)*)?")

# The calls that take a catalogue key: the name called -> the position of the key.
KEY_POSITION = {
    "problem": 1,  # problem(field, key, **params)
    "message": 0,  # message(key, **params)
    "ApiError": 2,  # ApiError(status, field, key, **params)
    "ParameterError": 1,  # ParameterError(parameter, key, **params)
    "HttpProblem": 1,  # HttpProblem(status, key, **params)
}
# The codes clients saw before the catalogue (the API, the OGC API, OpenAPI, the docs): a code
# is never renamed or dropped.
CODES_CLIENTS_KNOW = {
    "already_member", "bad_request", "box_outside", "box_size", "control_character",
    "description_required", "duplicate_target", "duplicate_target_closed", "email_taken",
    "forbidden", "http_error", "invalid_accuracy", "invalid_bbox", "invalid_body",
    "invalid_cost", "invalid_datetime", "invalid_description", "invalid_device_token",
    "invalid_email", "invalid_format", "invalid_json", "invalid_kind", "invalid_lang",
    "invalid_limit", "invalid_measurement", "invalid_measurements", "invalid_name",
    "invalid_offset", "invalid_parameter", "invalid_position", "invalid_severity",
    "invalid_time", "invalid_uuid", "invalid_year", "invitation_invalid", "last_admin",
    "merge_other_category", "merge_target", "merge_target_closed", "method_not_allowed",
    "missing_parameter", "missing_report", "no_reports", "no_route", "not_acceptable",
    "not_allowed", "not_found", "outside_area", "password_too_long", "password_too_short",
    "password_weak", "photo_empty", "photo_format", "photo_not_an_image", "photo_too_large",
    "photo_too_many_pixels", "photos_busy", "reason_required", "reports_of_several_sites",
    "storage_full", "text_too_long", "too_large", "too_many_attempts", "too_many_photos",
    "too_many_requests", "unauthorized", "unknown_category", "unknown_collection",
    "unknown_feature", "unknown_group", "unknown_measurement", "unknown_parameter",
    "unknown_profile", "unknown_role", "unknown_tag", "unsupported_media_type",
    "uuid_conflict", "wrong_login", "wrong_status",
}  # fmt: skip
# Codes sent that are not catalogue problems: the JSON API's name for a control character
# (api/parsing.py), and the app-wide errors without a message of their own (web/errors.py).
OTHER_CODES = {"invalid_text", "database_unavailable", "internal_error"}


# -- the catalogue itself ------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_problem_has_both_languages_with_the_same_parameters(key):
    entry = CATALOGUE[key]
    assert KEY.fullmatch(key), key
    assert entry.da.strip() and entry.en.strip()
    assert entry.da != entry.en or not re.search("[a-z]", entry.da)
    assert entry.parameters("da") == entry.parameters("en")


def test_no_two_problems_share_a_message():
    for lang in ("da", "en"):
        texts = [getattr(entry, lang) for entry in CATALOGUE.values()]
        assert len(texts) == len(set(texts)), sorted(t for t in texts if texts.count(t) > 1)


def test_the_codes_clients_know_are_kept():
    codes = {code_of(key) for key in CATALOGUE if not key.startswith("open311_")}
    assert codes >= CODES_CLIENTS_KNOW, sorted(CODES_CLIENTS_KNOW - codes)


def test_every_code_the_docs_name_exists():
    codes = {code_of(key) for key in CATALOGUE} | OTHER_CODES
    named = set()
    for path in DOCS.glob("*.md"):
        named |= set(re.findall(r"\b[45]\d\d `?([a-z]+_[a-z_]+)`?", path.read_text()))
    assert named, "the docs name error codes after their status"
    assert named <= codes, sorted(named - codes)


# -- building a problem ----------------------------------------------------------------------


def test_a_problem_is_built_from_the_catalogue():
    built = problem("photos[0]", "photo_too_large", max_mb=20)
    assert built.field == "photos[0]" and built.code == "photo_too_large"
    assert built.message == Label(
        "Fotoet fylder mere end 20 MB.", "The photo is larger than 20 MB."
    )


def test_a_variant_is_sent_with_its_code():
    built = problem("photo_id", "not_found.photo")
    assert built.code == "not_found"
    assert built.as_dict("en") == {
        "field": "photo_id",
        "error": "not_found",
        "message": "No such photo.",
    }


def test_a_label_parameter_gives_each_language_its_own_text():
    built = message(
        "invalid_measurement", label=Label("Bredde", "Width"), minimum=0, maximum=2.5, unit="m"
    )
    assert built.da == "Bredde skal være et tal mellem 0 og 2.5 m."
    assert built.en == "Width must be a number from 0 to 2.5 m."


def test_a_value_is_never_read_as_a_template():
    built = problem("x", "unknown_collection", collection="{__class__}")
    assert built.message.en == "The collection '{__class__}' does not exist."


def test_an_unknown_key_is_refused():
    with pytest.raises(KeyError):
        problem("x", "no_such_problem")


@pytest.mark.parametrize(
    "params",
    [{}, {"max_mb": 20, "extra": 1}, {"max": 20}],
    ids=["missing", "extra", "misnamed"],
)
def test_a_missing_or_unknown_parameter_is_refused(params):
    with pytest.raises(TypeError, match="photo_too_large"):
        problem("photos", "photo_too_large", **params)


def test_danish_and_english_text_cannot_be_passed_inline():
    assert not hasattr(errors, "problem")
    with pytest.raises(TypeError):
        problem("photos", "photo_empty", "Fotoet er tomt.", "The photo is empty.")  # type: ignore[misc]


# -- the code uses the catalogue -------------------------------------------------------------


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def inline_pairs(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` builds a problem's message inline, or calls the catalogue wrongly."""
    found = []
    tree = ast.parse(source, filename)
    raised = {id(n) for r in ast.walk(tree) if isinstance(r, ast.Raise) for n in ast.walk(r)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name, where = _name(node.func), f"{filename}:{node.lineno}"
        if name == "Problem":
            found.append(f"{where}: Problem(...) outside the catalogue")
        elif name in ("Label", "text_in") and id(node) in raised:
            found.append(f"{where}: {name}(...) in a raise")
        elif name == "append" and any(_name(a.func) in ("Label", "text_in")
                                      for a in node.args if isinstance(a, ast.Call)):  # fmt: skip
            found.append(f"{where}: a message built inline is collected")
        elif name == "Open311Error" and any(_is_text(a) for a in node.args[1:]):
            found.append(f"{where}: Open311Error with inline text")
        elif name in KEY_POSITION:
            found += _check_key_call(node, name, where)
    return found


def _check_key_call(node: ast.Call, name: str, where: str) -> list[str]:
    position = KEY_POSITION[name]
    if len(node.args) > position + 1:
        return [f"{where}: {name}(...) with text after the key"]
    if len(node.args) <= position:
        return []
    key = node.args[position]
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return []  # a key in a name or table: built (and checked) when the code runs
    if key.value not in CATALOGUE:
        return [f"{where}: {key.value!r} is not in the catalogue"]
    if any(k.arg is None for k in node.keywords):
        return []
    given = {k.arg for k in node.keywords}
    wanted = CATALOGUE[key.value].parameters("da")
    if given != wanted:
        return [f"{where}: {key.value!r} takes {sorted(wanted)}, not {sorted(given)}"]
    return []


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "problems.py")


def test_the_scan_finds_inline_pairs():
    bad = """
def check(field):
    raise ValidationError(Problem(field, "photo_empty", Label("Tomt.", "Empty.")))
def more(errors):
    problem("x", "photo_empty", "Fotoet er tomt.", "The photo is empty.")
    problem("x", "photo_too_large", max_bytes=3)
    ApiError(404, "id", "not_found.thing")
    raise Open311Error(400, f"lat {x} mangler.")
    errors.append(text_in(lang, "lat mangler.", "lat is missing."))
"""
    found = inline_pairs(bad)
    assert len(found) == 7, found
    good = 'raise ApiError(400, name, "missing_parameter", name=name)'
    assert inline_pairs(good) == []


def test_the_code_builds_no_message_inline_and_names_only_known_problems():
    found = [f for path in _sources() for f in inline_pairs(path.read_text(), str(path))]
    assert found == []


def test_every_problem_is_used():
    used = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                used.add(node.value)
    assert set(CATALOGUE) <= used, sorted(set(CATALOGUE) - used)


# -- a page shows the catalogue's message in the page's language ----------------------------


def test_the_follow_form_says_what_is_wrong_in_the_pages_language(
    client, herlev, csrf, make_public_report
):
    site = make_public_report().site
    form = {"kind": "site", "target": site.id, "email": "ikke en adresse"}
    for lang, expected in (
        ("da", "Skriv en gyldig e-mailadresse."),
        ("en", "Enter a valid e-mail address."),
    ):
        client.get(f"/?lang={lang}")
        refresh()  # the requests share the test's app context: forget the cached language
        page = client.post(
            "/mail/foelg", data={**form, "csrf_token": csrf()}, follow_redirects=True
        )
        assert expected in page.get_data(as_text=True)
