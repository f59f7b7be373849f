"""The links a mail carries and the signed tokens in them.

Mails are written in the domain (in a request, in the sender's command, in a job), so the site's
public address and the signing secret travel with the database session: ``configure`` puts them
in ``session.info`` (the app does it for every request and command, ``mail_web.init_mail``).
The address is the configured ``FIELDAUDIT_MAIL_BASE_URL``, never a Host a client sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session

INFO_KEY = "fieldaudit_mail_links"
CONFIRM_SALT = "mail-follow-confirm"
UNSUBSCRIBE_SALT = "mail-unsubscribe"
CONFIRM_MAX_AGE_S = 7 * 24 * 3600

# The public paths (the routes of public/ and mail_web/; tests follow every link a mail holds).
SITE_PATH = "/barrierer/{id}"
AREA_PATH = "/barrierer?area={id}"
REPORT_PATH = "/rapporter/{id}"
CONFIRM_PATH = "/mail/bekraeft/{token}"
UNSUBSCRIBE_PATH = "/mail/afmeld/{token}"
SETTINGS_PATH = "/mail/indstillinger"


@dataclass(frozen=True)
class Links:
    """Absolute links and tokens for mails."""

    base_url: str
    secret: str

    def url(self, path: str, **values: Any) -> str:
        """An absolute link to one of the public paths."""
        return self.base_url.rstrip("/") + path.format(**values)

    def confirm_token(self, follow: dict[str, Any]) -> str:
        """A token that, within a week, confirms a follow (nothing is stored before)."""
        return URLSafeTimedSerializer(self.secret, salt=CONFIRM_SALT).dumps(follow)

    def read_confirm_token(self, token: str) -> dict[str, Any] | None:
        """The follow a confirmation token asks for, or None if it is forged or too old."""
        try:
            value = URLSafeTimedSerializer(self.secret, salt=CONFIRM_SALT).loads(
                token, max_age=CONFIRM_MAX_AGE_S
            )
        except BadSignature:
            return None
        return value if isinstance(value, dict) else None

    def unsubscribe_token(self, what: list[Any]) -> str:
        """A token that ends one subscription or digest (it never expires)."""
        return URLSafeSerializer(self.secret, salt=UNSUBSCRIBE_SALT).dumps(what)

    def read_unsubscribe_token(self, token: str) -> list[Any] | None:
        """What an unsubscribe token ends, or None if it is forged."""
        try:
            value = URLSafeSerializer(self.secret, salt=UNSUBSCRIBE_SALT).loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, list) else None


def configure(session: Session, base_url: str, secret: str) -> None:
    """Give mails written through ``session`` their public address and signing secret."""
    session.info[INFO_KEY] = Links(base_url, secret)


def links_for(session: Session) -> Links:
    """The links of mails written through ``session`` (``configure`` must have run)."""
    links = session.info.get(INFO_KEY)
    if links is None:
        raise RuntimeError("mail.links.configure was not called for this session")
    return links
