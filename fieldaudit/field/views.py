"""The field app's pages: parse, gather what the page needs, render. The work happens in the
browser (ES modules under static/js/field/) and in the JSON API."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from geoalchemy2.shape import to_shape

from fieldaudit.areas import named_areas
from fieldaudit.crs import to_wgs84
from fieldaudit.extensions import db
from fieldaudit.status import STATUS_LABELS
from fieldaudit.taxonomy import (
    AREA_KINDS,
    CATEGORIES,
    GROUP_LABELS,
    SEVERITIES,
    Severity,
    taxonomy_json,
)
from fieldaudit.web.assets import asset_url, vendor_url

field = Blueprint("field", __name__, template_folder="templates")

THEME_COLOUR = "#0b4f6c"
# The pages load these entry modules by content-hashed URL; the modules they import (and the
# pin the stylesheet draws) are loaded by plain URL, so the service worker's version covers them.
ENTRY_SCRIPTS = ("js/field/app.js", "js/field/mine.js")
MODULES = (
    "icons/pin.svg",
    "js/text.js",
    "js/field/config.js",
    "js/field/store.js",
    "js/field/outbox.js",
    "js/field/exif.js",
    "js/field/photos.js",
    "js/field/map.js",
    "js/field/area.js",
    "js/field/draft.js",
    "js/field/nearby.js",
    "js/field/dom.js",
    "js/field/position-step.js",
    "js/field/category-step.js",
    "js/field/photos-step.js",
    "js/field/review-step.js",
    "js/field/draft-form.js",
    "js/field/capture.js",
)
ICONS = ("icons/field-icons.svg", "icons/app-192.png", "icons/app-512.png")
VENDOR_FILES = (
    ("leaflet", "leaflet.js"),
    ("leaflet", "leaflet.css"),
    ("markercluster", "leaflet.markercluster.js"),
    ("markercluster", "MarkerCluster.css"),
    ("markercluster", "MarkerCluster.Default.css"),
)
# Chosen beforehand on the severity step (one tap less; the person changes it when it is wrong).
DEFAULT_SEVERITY = Severity.MEDIUM
# Place radius (for the accuracy of a position chosen from the list) is capped at this.
MAX_PLACE_RADIUS_M = 1000


def counted(forms: Callable[[int], str]) -> dict[str, str]:
    """A counted text for the scripts: the page language's singular and plural form (``forms``
    calls ``ngettext`` with the count), picked in the browser by ``Intl.PluralRules`` (Danish
    and English have exactly these two)."""
    return {"one": forms(1), "other": forms(2)}


def js_strings() -> dict[str, str | dict[str, str]]:
    """Every text the scripts show, translated here so there is one catalog. Texts with a count
    ``{n}`` are plural-aware (``counted``)."""
    return {
        "waiting_none": _("Ingen rapporter venter."),
        "waiting": counted(
            lambda n: ngettext(
                "{n} venter på at blive sendt.",
                "{n} venter på at blive sendt.",
                n,
            )
        ),
        "held": counted(
            lambda n: ngettext(
                "{n} rapport kunne ikke sendes. Se hvorfor herunder.",
                "{n} rapporter kunne ikke sendes. Se hvorfor herunder.",
                n,
            )
        ),
        "remove": _("Fjern"),
        "edit": _("Ret rapporten"),
        "rejected": _("Serveren afviste den: {message}"),
        "step_of": _("Trin {n} af {total}"),
        "gps_locating": _("Finder din position …"),
        "gps_ok": _("Din position er fundet, nøjagtig inden for {m} m."),
        "gps_failed": _(
            "Din position kunne ikke findes. Vælg et sted fra listen eller flyt nålen på kortet."
        ),
        "position_none": _("Ingen position valgt endnu."),
        "position_pin": _("Positionen er sat med nålen på kortet."),
        "position_place": _("Positionen er sat til {place}."),
        "position_photo": _("Positionen er sat fra fotoet."),
        "position_preview": _("Kort over den valgte position (ringen) blandt Herlevs områder."),
        "err_position": _(
            "Vælg hvor barrieren er: brug din position, flyt nålen eller vælg et sted."
        ),
        "err_category": _("Vælg hvilken slags barriere det er."),
        "err_severity": _("Vælg hvor alvorlig barrieren er."),
        "err_measure": _("Skriv et tal mellem {min} og {max} {unit}."),
        "err_description": _("Beskriv barrieren med ord."),
        "err_name": _("Skriv dit navn (højst 120 tegn), eller slå visning af navn fra."),
        "err_photos_max": _("Du kan højst vedhæfte 3 fotos."),
        "err_outside": _(
            "Positionen ligger uden for Herlev Kommune, og vi kan kun tage imod meldinger fra "
            "Herlev. Flyt nålen ind i kommunen, eller vælg et sted fra listen."
        ),
        "err_server": _("Serveren afviste rapporten: {message} Ret den, og send den igen."),
        "draft_restored": _("Din kladde fra {date} er hentet frem."),
        "draft_offer": _("Du har en kladde fra {date}, som ikke er sendt."),
        "draft_continue": _("Fortsæt med kladden fra {date}"),
        "verdict_max": _("Bryder reglen: højst {limit} {unit} ({source})."),
        "verdict_min": _("Bryder reglen: mindst {limit} {unit} ({source})."),
        "verdict_ok": _("Inden for reglen ({source})."),
        "verdict_provisional": _("Grænsen er foreløbig."),
        "verdict_none": _("Der er ingen dansk grænse for dette mål."),
        "places_count": counted(
            lambda n: ngettext(
                "{n} sted passer på søgningen.", "{n} steder passer på søgningen.", n
            )
        ),
        "photo_alt": _("Foto {n}"),
        "photo_remove": _("Fjern foto {n}"),
        "photo_gps": _("Fotoet har en position, ca. {m} m fra den valgte."),
        "photo_gps_plain": _("Fotoet har en position."),
        "photo_use_gps": _("Brug fotoets position"),
        "photo_failed": _("Fotoet kunne ikke læses. Prøv et andet."),
        "nearby_checking": _("Tjekker om barrieren allerede er meldt …"),
        "nearby_none": _("Ingen kendte barrierer af samme slags i nærheden."),
        "nearby_found": counted(
            lambda n: ngettext(
                "Der er {n} kendt barriere af samme slags i nærheden. Er det den?",
                "Der er {n} kendte barrierer af samme slags i nærheden. Er det en af dem?",
                n,
            )
        ),
        "nearby_offline": _(
            "Uden forbindelse kan vi ikke tjekke, om barrieren er meldt. "
            "Send din rapport; den sendes, når der er forbindelse."
        ),
        "nearby_under_review": _(
            "En rapport om samme slags barriere inden for ca. {m} m er ved at blive gennemgået."
        ),
        "nearby_distance": _("{distance} m væk"),
        "nearby_reports": counted(lambda n: ngettext("{n} rapport", "{n} rapporter", n)),
        "nearby_confirmations": counted(
            lambda n: ngettext("{n} bekræftelse", "{n} bekræftelser", n)
        ),
        "scale": _("{m} m"),
        "nearby_map": counted(
            lambda n: ngettext(
                "Kort over den kendte barriere (nummer 1) og din position (ringen).",
                "Kort over de {n} kendte barrierer (numrene svarer til listen) og din position "
                "(ringen).",
                n,
            )
        ),
        "nearby_legend": _("Numrene på kortet svarer til listen. Ringen er din position."),
        "nearby_photo": _("Foto af barriere nummer {n}"),
        "this_is_it": _("Det er den her"),
        "done_saved": _(
            "Tak! Rapporten er gemt på telefonen og sendes, så snart der er forbindelse."
        ),
        "done_sent": _("Tak! Rapporten er sendt til kommunen."),
        "done_refused": _("Serveren afviste rapporten: {message}"),
        "done_reference": _("Reference: {ref}"),
        "done_confirmation": _("Tak! Vi noterer, at barrieren stadig er der."),
        "map_pin": _("Barrierens position"),
        "map_unavailable": _(
            "Kortet kan ikke hentes uden forbindelse. Brug din position, eller vælg et sted fra "
            "listen."
        ),
        "site_marker": _("{category}, alvor: {severity}"),
        "sites_none": _("Ingen kendte barrierer i kortets udsnit."),
        "sites_cell": counted(
            lambda n: ngettext("{n} kendt barriere her", "{n} kendte barrierer her", n)
        ),
        "sites_zoom": _("Zoom ind for at se barriererne på kortet som liste."),
        "summary_position": _("Position"),
        "summary_category": _("Slags"),
        "summary_severity": _("Alvor"),
        "summary_groups": _("Rammer"),
        "summary_photos": _("Fotos"),
        "none": _("Ingen"),
        "my_loading": _("Henter dine rapporter …"),
        "my_empty": _("Der er ingen sendte rapporter fra denne telefon endnu."),
        "my_offline": _(
            "Dine rapporter kunne ikke hentes fra serveren lige nu. "
            "Her er det, telefonen hentede sidst."
        ),
        "my_reference": _("Reference: {ref}"),
        "my_failed": _("Dine rapporter kunne ikke hentes lige nu."),
        "my_waiting": _("Venter på at blive sendt"),
        "my_reported": _("Meldt {date}"),
        "my_status": _("Status: {status}"),
        "my_notes": _("Offentlige noter"),
        "my_confirmation_still_there": _("Du bekræftede, at en barriere stadig er der ({date})."),
        "my_confirmation_fixed_now": _("Du meldte, at en barriere er udbedret ({date})."),
    }


def places() -> list[dict[str, Any]]:
    """Herlev's named areas with a point inside each and a rough radius, for the place list."""
    kinds = {k.code: k.label for k in AREA_KINDS}
    lang = _lang()
    result = []
    for area in named_areas(db.session):
        shape = to_shape(area.geom)
        point = shape.representative_point()
        lon, lat = to_wgs84(point.x, point.y)
        radius = min(MAX_PLACE_RADIUS_M, round(math.sqrt(shape.area / math.pi)))
        result.append(
            {
                "id": area.id,
                "name": area.name,
                "kind": kinds[area.kind].get(lang) if area.kind in kinds else area.kind,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "radius_m": radius,
            }
        )
    return result


def _lang() -> str:
    from fieldaudit.web.i18n import select_language

    return select_language()


def page_config() -> dict[str, Any]:
    """What the scripts need: URLs, texts, the taxonomy and the tile server (if any)."""
    return {
        "lang": _lang(),
        "urls": {
            "reports": url_for("api.create_report"),
            "map": url_for("api.map_of_sites"),
            "service_area": url_for("api.service_area_outline"),
            "nearby": url_for("api.nearby_sites"),
            "confirmations": url_for("api.confirm_site", site_id=0).replace("/0/", "/{id}/"),
            "my_reports": url_for("api.my_reports"),
            "areas": url_for("api.areas"),
            "sw": url_for("field.service_worker"),
            "capture": url_for("field.capture"),
            "mine": url_for("field.my_reports"),
            "icons": asset_url("icons/field-icons.svg"),
            # Loaded when the person asks for the map (not with the page): see map.js.
            "leaflet": {
                "styles": [
                    vendor_url("leaflet", "leaflet.css"),
                    vendor_url("markercluster", "MarkerCluster.css"),
                    vendor_url("markercluster", "MarkerCluster.Default.css"),
                ],
                "script": vendor_url("leaflet", "leaflet.js"),
                "clusters": vendor_url("markercluster", "leaflet.markercluster.js"),
            },
        },
        "tile_url": current_app.config.get("TILE_URL", ""),
        "attribution": _("Kort: © OpenStreetMap-bidragydere"),
        "strings": js_strings(),
        "taxonomy": taxonomy_json(),
        "statuses": {status.value: label.get(_lang()) for status, label in STATUS_LABELS.items()},
    }


def _common(**extra: Any) -> dict[str, Any]:
    return {"config": page_config(), "theme_colour": THEME_COLOUR, **extra}


@field.get("/indberet")
def capture():
    """Report a barrier: a few big steps, usable with one thumb, a keyboard or a screen reader."""
    lang = _lang()
    return render_template(
        "field/capture.html",
        categories=CATEGORIES,
        severities=SEVERITIES,
        groups=GROUP_LABELS,
        default_severity=DEFAULT_SEVERITY,
        places=places(),
        **_common(),
        label=lambda label: label.get(lang),
    )


@field.get("/mine-rapporter")
def my_reports():
    """The volunteer's reports: what waits on the phone and what the server has, with status."""
    return render_template("field/mine.html", **_common())


@field.get("/offline")
def offline():
    """Shown by the service worker for a page that is not stored on the phone."""
    return render_template("field/offline.html")


@field.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, standalone, Danish name, our own icons."""
    body = {
        "name": _("FieldAudit Herlev: meld en barriere"),
        "short_name": _("Meld barriere"),
        "description": _(
            "Meld barrierer for tilgængelighed i Herlevs byrum, også uden forbindelse."
        ),
        "lang": _lang(),
        "start_url": url_for("field.capture"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {"src": asset_url("icons/app-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icons/app-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": asset_url("icons/app-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


def precache_urls() -> list[str]:
    """Everything the app shell needs offline."""
    urls = [
        url_for("field.capture"),
        url_for("field.my_reports"),
        url_for("field.offline"),
        url_for("field.manifest"),
        url_for("api.categories"),
        url_for("api.areas"),
        url_for("api.service_area_outline"),
        asset_url("css/app.css"),
    ]
    urls += [asset_url(name) for name in ENTRY_SCRIPTS + ICONS]
    urls += [url_for("static", filename=name) for name in MODULES]
    urls += [vendor_url(package, name) for package, name in VENDOR_FILES]
    return urls


def cache_version(urls: list[str]) -> str:
    """Changes when any file's content changes (also the imported modules) or the language."""
    hashed = [*urls, *(asset_url(name) for name in MODULES), _lang()]
    return hashlib.sha256("\n".join(hashed).encode()).hexdigest()[:16]


@field.get("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope covers the field app's pages."""
    urls = precache_urls()
    version = cache_version(urls)
    body = render_template(
        "field/sw.js",
        precache=urls,
        version=version,
        lang=_lang(),
        pages=[url_for("field.capture"), url_for("field.my_reports")],
        offline_url=url_for("field.offline"),
        data_urls=[
            url_for("api.categories"),
            url_for("api.areas"),
            url_for("api.service_area_outline"),
        ],
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
