"""The mails: Danish or English, plain text with an accessible HTML alternative.

Every mail names the barrier by category, place and status and links to its public page; none
holds a reporter's identity or an internal note (only public reasons, as on the public page).
Texts are ``Label`` pairs here; ``templates/`` give them their structure (HTML with a ``lang``
attribute, real headings, links that say where they go).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from fieldaudit.mail.outbox import Draft
from fieldaudit.status import STATUS_LABELS, Status
from fieldaudit.taxonomy import Label, category

HERLEV = ZoneInfo("Europe/Copenhagen")
LANGUAGES = ("da", "en")

TEXTS: dict[str, Label] = {
    "category": Label("Kategori", "Category"),
    "place": Label("Sted", "Place"),
    "status": Label("Status", "Status"),
    "reason": Label("Begrundelse", "Reason"),
    "outside": Label("Uden for områderne", "Outside the areas"),
    "signature": Label(
        "Venlig hilsen Herlev Kommune (FieldAudit)",
        "Kind regards, Herlev Municipality (FieldAudit)",
    ),
    "unsubscribe": Label("Afmeld disse e-mails", "Unsubscribe from these e-mails"),
    "report_subject": Label("Din melding #{id}: {status}", "Your report #{id}: {status}"),
    "report_lead": Label(
        "Der er sket noget med den barriere, du meldte.",
        "Something has happened to the barrier you reported.",
    ),
    "report_link": Label("Se din melding #{id}", "See your report #{id}"),
    "site_subject": Label("Barriere #{id}: {status}", "Barrier #{id}: {status}"),
    "site_lead": Label(
        "Der er sket noget med en barriere, du følger.",
        "Something has happened to a barrier you follow.",
    ),
    "area_subject": Label("{area}: barriere #{id} {status}", "{area}: barrier #{id} {status}"),
    "area_lead": Label(
        "Der er sket noget med en barriere i {area}, som du følger.",
        "Something has happened to a barrier in {area}, which you follow.",
    ),
    "site_link": Label("Se barriere #{id}", "See barrier #{id}"),
    "why_report": Label(
        "Du får denne e-mail, fordi du skrev din e-mailadresse, da du meldte barrieren.",
        "You get this e-mail because you gave your address when you reported the barrier.",
    ),
    "why_follow": Label(
        "Du får denne e-mail, fordi du har bekræftet, at du vil følge den.",
        "You get this e-mail because you confirmed that you want to follow it.",
    ),
    "confirm_subject": Label(
        "Bekræft, at du vil følge {what}", "Confirm that you want to follow {what}"
    ),
    "confirm_lead": Label(
        "Nogen (forhåbentlig dig) har bedt om e-mails, når der sker noget med {what}.",
        "Someone (hopefully you) asked for e-mails when something happens to {what}.",
    ),
    "confirm_link": Label("Ja, jeg vil følge {what}", "Yes, I want to follow {what}"),
    "confirm_ignore": Label(
        "Har du ikke bedt om det, så gør ingenting: vi gemmer ikke din adresse, og linket udløber om 7 dage.",
        "If you did not ask, do nothing: we do not keep your address, and the link expires in 7 days.",
    ),
    "barrier_n": Label("barriere #{id} ({category})", "barrier #{id} ({category})"),
    "area_n": Label("barrierer i {area}", "barriers in {area}"),
    "reviewer_subject": Label(
        "{count} nye meldinger venter på gennemgang", "{count} new reports wait for review"
    ),
    "reviewer_lead": Label(
        "Nye meldinger siden i går i de områder, du har valgt:",
        "New reports since yesterday in the areas you chose:",
    ),
    "reviewer_queue": Label("Åbn køen til gennemgang", "Open the review queue"),
    "planner_subject": Label(
        "{count} barrierer bekræftet i denne uge", "{count} barriers verified this week"
    ),
    "planner_lead": Label(
        "Handicaprådet har bekræftet disse barrierer i den seneste uge:",
        "The Disability Council verified these barriers in the past week:",
    ),
    "planner_list": Label("Se alle bekræftede barrierer", "See every verified barrier"),
    "why_digest": Label(
        "Du får denne oversigt, fordi du er {role} i FieldAudit. Du kan slå den fra i dine indstillinger.",
        "You get this digest because you are a {role} in FieldAudit. You can turn it off in your settings.",
    ),
    "settings": Label("Dine indstillinger for e-mail", "Your e-mail settings"),
    "reviewer_role": Label("bedømmer", "reviewer"),
    "planner_role": Label("planlægger", "planner"),
    "received": Label("modtaget {date}", "received {date}"),
}

_environment = Environment(
    loader=PackageLoader("fieldaudit.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def language(value: Any) -> str:
    """A supported language code ('da' unless 'en')."""
    return value if value in LANGUAGES else "da"


def text(key: str, lang: str, **values: Any) -> str:
    """One of ``TEXTS`` in ``lang``, with its ``{placeholders}`` filled in."""
    return TEXTS[key].get(lang).format(**values)


def category_name(code: str, lang: str) -> str:
    """A category's name in ``lang``."""
    found = category(code)
    return found.label.get(lang) if found else code


def status_name(code: str, lang: str) -> str:
    """A status's name in ``lang``."""
    try:
        return STATUS_LABELS[Status(code)].get(lang)
    except ValueError:
        return code


def local_date(moment: datetime, lang: str) -> str:
    """A date in Herlev, written plainly: '6.12.2026' / '2026-12-06'."""
    day = moment.astimezone(HERLEV).date() if moment.tzinfo else moment.date()
    return day.isoformat() if lang == "en" else f"{day.day}.{day.month}.{day.year}"


@dataclass(frozen=True)
class Facts:
    """What a mail says about one barrier: category, place, status, public reason, link."""

    category: str
    place: str
    status: str
    reason: str
    link: str
    link_text: str


def facts(
    lang: str,
    category_code: str,
    area_name: str | None,
    status: str,
    reason: str,
    link: str,
    link_text: str,
) -> Facts:
    """The facts of a barrier in ``lang``."""
    return Facts(
        category=category_name(category_code, lang),
        place=area_name or text("outside", lang),
        status=status_name(status, lang),
        reason=reason,
        link=link,
        link_text=link_text,
    )


def render(
    name: str,
    recipient: str,
    lang: str,
    subject: str,
    unsubscribe_url: str | None,
    **context: Any,
) -> Draft:
    """Render ``templates/<name>.txt`` and ``.html`` into a mail; with an unsubscribe link, the
    RFC 8058 headers (``List-Unsubscribe`` and ``List-Unsubscribe-Post``) too."""
    values = {
        "lang": lang,
        "subject": subject,
        "unsubscribe_url": unsubscribe_url,
        "t": lambda key, **v: text(key, lang, **v),
        **context,
    }
    headers: dict[str, str] = {}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return Draft(
        recipient=recipient,
        language=lang,
        subject=subject,
        text=_environment.get_template(f"{name}.txt").render(values),
        html=_environment.get_template(f"{name}.html").render(values),
        headers=headers,
    )
