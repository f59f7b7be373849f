"""Hostile ``next`` values on the sign-in link (issue 12, second review, finding 5).

``/konto/log-ind?next=/x%0d%0aSet-Cookie:a=b`` once gave a 500 after the right password (the
form's control-character cleaning left a newline for ``redirect()``). Every value here goes
through the real flow: open the link, read the hidden ``next`` field the page carries, sign in
with it; and the value is also posted straight into the form, as a crafted page would. The
answer is never a 5xx, the user is signed in, and the browser never leaves the site.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest

from fieldaudit.accounts.views import safe_next
from tests.conftest import TEST_PASSWORD

REFUSED_NEXT = [
    "/x\r\nSet-Cookie:a=b",
    "/x\nSet-Cookie:a=b",
    "/x\rSet-Cookie:a=b",
    "/x\tSet-Cookie:a=b",
    "/x\x00y",
    "/x\x7fy",
    "/x\x0by",
    "/x\u2028y",
    "/x\u0085y",
    "/x y",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    " //evil.example/",
    "\x00//evil.example/",
    "https:evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    "%2F%2Fevil.example/",
    "%2f%5cevil.example/",
    "／／evil.example/",
    "/" + "a" * 5000,
]
# Percent-encoded: a browser reads these as paths of this site, so they may be kept.
ENCODED_LOCAL = ["/%0d%0aSet-Cookie:a=b", "/%2F%2Fevil.example/", "/%5Cevil.example/"]
HOSTILE_NEXT = REFUSED_NEXT + ENCODED_LOCAL

NEXT_FIELD = re.compile(r'<input[^>]*name="next"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')


def hidden_next(page: str) -> str:
    """The value of the sign-in form's hidden ``next`` field, as a browser would send it."""
    field = NEXT_FIELD.search(page)
    assert field is not None, "the sign-in form has no next field"
    value = VALUE.search(field.group(0))
    return html.unescape(value.group(1)) if value else ""


def where_a_browser_goes(location: str) -> str:
    """The host a browser would open for ``location`` (WHATWG: tabs/newlines dropped, ``\\`` is
    ``/``, leading spaces and C0 controls trimmed), resolved against this site."""
    cleaned = re.sub(r"[\t\n\r]", "", location).lstrip("\x00\x01\x02 ").replace("\\", "/")
    return urlsplit(urljoin("http://localhost/konto/log-ind", cleaned)).netloc


def sign_in(client: Any, csrf: Any, email: str, next_value: str) -> Any:
    return client.post(
        "/konto/log-ind",
        data={"email": email, "password": TEST_PASSWORD, "csrf_token": csrf(), "next": next_value},
    )


def assert_signed_in_on_site(response: Any, client: Any) -> None:
    """Signed in and sent to a page of this site, or (a NUL, which no form field takes) a 400."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 400:
        assert "Forespørgslen kunne ikke forstås" in response.get_data(as_text=True)
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    assert where_a_browser_goes(location) == "localhost", location
    assert "\n" not in location and "\r" not in location
    assert "Log ud" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_hostile_next_through_the_sign_in_link(client, make_user, csrf, hostile):
    user = make_user("reviewer")
    page = client.get("/konto/log-ind?next=" + quote(hostile, safe=""))
    assert page.status_code in (200, 400)  # 400: a query parameter with a NUL is refused
    if page.status_code == 200:
        carried = hidden_next(page.get_data(as_text=True))
        assert_signed_in_on_site(sign_in(client, csrf, user.email, carried), client)


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_hostile_next_posted_into_the_form(client, make_user, csrf, hostile):
    user = make_user("reviewer")
    assert_signed_in_on_site(sign_in(client, csrf, user.email, hostile), client)


@pytest.mark.parametrize("hostile", REFUSED_NEXT)
def test_safe_next_refuses_every_hostile_value(hostile):
    assert safe_next(hostile) is None


@pytest.mark.parametrize(
    "local", ["/konto/brugere?x=1", "/barrierer?kategori=trin&side=2", "/gennemgang/", "/%C3%A6"]
)
def test_plain_local_paths_are_kept(client, make_user, csrf, local):
    user = make_user("reviewer")
    page = client.get("/konto/log-ind?next=" + quote(local, safe=""))
    assert hidden_next(page.get_data(as_text=True)) == local
    response = sign_in(client, csrf, user.email, local)
    assert response.status_code == 302
    assert response.headers["Location"] == local
