"""Every problem a person or a client can be told about, once: a key and its Danish and English
message.

A key is the code clients see (``"photo_empty"``), or the code and a variant after a dot when one
code has several messages (``"not_found.photo"`` is sent as ``"not_found"``). The codes are part
of the API, the OGC API and the OpenAPI document: never rename one. Messages are templates with
named parameters (``"{max_mb} MB"``); a parameter may be a ``Label``, which gives its Danish text
to the Danish message and its English text to the English one. ``problem`` and ``message`` refuse
an unknown key and a missing or extra parameter; ``tests/test_problems.py`` checks the catalogue
itself and that every call in the code names a key that exists with the parameters it needs.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from fieldaudit.errors import Problem
from fieldaudit.taxonomy import Label


@dataclass(frozen=True)
class Message:
    """The Danish and English templates of one problem."""

    da: str
    en: str

    def parameters(self, lang: str) -> frozenset[str]:
        """The names of the parameters the template in ``lang`` uses."""
        template = self.da if lang == "da" else self.en
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(template) if name is not None
        )


M = Message

CATALOGUE: dict[str, Message] = {
    # -- a report as a device sends it (reports.py, the API, Open311) --------------------------
    "invalid_body.report": M(
        "Rapporten skal være et JSON-objekt.", "The report must be a JSON object."
    ),
    "invalid_uuid.report": M(
        "Rapporten mangler et gyldigt UUID.", "The report needs a valid UUID."
    ),
    "invalid_position": M(
        "Positionen er ikke gyldige koordinater.", "The position is not valid coordinates."
    ),
    "outside_area": M(
        "Positionen ligger uden for Herlev Kommune.", "The position is outside Herlev Kommune."
    ),
    "invalid_accuracy": M(
        "GPS-nøjagtigheden skal være et tal mellem 0 og {max_m:.0f} meter.",
        "GPS accuracy must be a number from 0 to {max_m:.0f} metres.",
    ),
    "unknown_category": M("Vælg en kendt kategori.", "Choose a known category."),
    "invalid_severity": M(
        "Alvor skal være lav, middel eller høj.", "Severity must be low, medium or high."
    ),
    "unknown_group": M("Vælg kun kendte målgrupper.", "Choose only known groups."),
    "unknown_tag": M("Et mærke passer ikke til kategorien.", "A tag does not fit the category."),
    "invalid_measurements": M(
        "Målinger skal angives som værdi og enhed.",
        "Measurements must be given as value and unit.",
    ),
    "unknown_measurement": M(
        "Målingen passer ikke til kategorien.", "The measurement does not fit the category."
    ),
    "invalid_measurement": M(
        "{label} skal være et tal mellem {minimum:g} og {maximum:g} {unit}.",
        "{label} must be a number from {minimum:g} to {maximum:g} {unit}.",
    ),
    "invalid_description": M(
        "Beskrivelsen skal være tekst på højst {max_chars} tegn.",
        "The description must be text of at most {max_chars} characters.",
    ),
    "description_required": M("Beskriv barrieren med ord.", "Describe the barrier in words."),
    "invalid_time": M(
        "Tidspunktet skal være ISO 8601 med tidszone.",
        "The time must be ISO 8601 with a time zone.",
    ),
    "invalid_name": M(
        "Navnet må højst være {max_chars} tegn.",
        "The name may be at most {max_chars} characters.",
    ),
    "uuid_conflict.report": M(
        "En anden rapport med samme UUID er allerede modtaget.",
        "A different report with the same UUID has already been received.",
    ),
    # Text at the trust boundary (plain_text.py); the JSON API sends it as "invalid_text".
    "control_character": M(
        "Feltet '{field}' indeholder et kontroltegn ({character}), som ikke kan gemmes. "
        "Fjern det, og send igen.",
        "The field '{field}' contains a control character ({character}) that cannot be "
        "stored. Remove it and send again.",
    ),
    # -- 'still there' / 'fixed now' for a site (api/sites.py, sites.py) -----------------------
    "invalid_body.confirmation": M(
        "Bekræftelsen skal være et JSON-objekt.", "The confirmation must be a JSON object."
    ),
    "invalid_uuid.confirmation": M(
        "Bekræftelsen mangler et gyldigt UUID.", "The confirmation needs a valid UUID."
    ),
    "invalid_kind": M(
        "Vælg 'still_there' (den er der stadig) eller 'fixed_now' (den er udbedret).",
        "Choose 'still_there' or 'fixed_now'.",
    ),
    "uuid_conflict.confirmation": M(
        "En anden bekræftelse med samme UUID er allerede modtaget.",
        "A different confirmation with the same UUID has already been received.",
    ),
    # -- photos (photos.py, redaction.py) -------------------------------------------------------
    "too_many_photos": M(
        "Højst {max_photos} fotos pr. rapport.", "At most {max_photos} photos per report."
    ),
    "photo_too_large": M(
        "Fotoet fylder mere end {max_mb} MB.", "The photo is larger than {max_mb} MB."
    ),
    "photo_empty": M("Fotoet er tomt.", "The photo is empty."),
    "photo_not_an_image": M(
        "Filen er ikke et billede, eller billedet er ødelagt.",
        "The file is not an image, or the image is damaged.",
    ),
    "photo_format": M(
        "Fotoet skal være JPEG, PNG, WebP eller HEIC.",
        "The photo must be JPEG, PNG, WebP or HEIC.",
    ),
    "photo_too_many_pixels": M(
        "Fotoet har for mange pixels (højst {megapixels} megapixel).",
        "The photo has too many pixels (at most {megapixels} megapixels).",
    ),
    "photos_busy": M(
        "Serveren behandler mange fotos lige nu. Prøv igen om lidt.",
        "The server is processing many photos right now. Try again in a moment.",
    ),
    "storage_full": M(
        "Fotoet kan ikke gemmes lige nu, fordi serverens disk er fuld. Prøv igen senere.",
        "The photo cannot be saved right now because the server's disk is full. Try again later.",
    ),
    "box_outside": M(
        "Skal være et tal fra 0 til under 100.", "Must be a number from 0 to below 100."
    ),
    "box_size": M("Skal være et tal fra 0,5 til 100.", "Must be a number from 0.5 to 100."),
    # -- review: decisions on reports and sites (history.py, report_review.py, site_merge.py,
    #    site_decisions.py, permissions.py) -------------------------------------------------------
    "not_allowed": M("Din rolle må ikke gøre dette.", "Your role may not do this."),
    "wrong_status": M(
        "Det kan ikke lade sig gøre, når status er '{status}'.",
        "This is not possible while the status is '{status}'.",
    ),
    "reason_required": M("Skriv en begrundelse.", "Write a reason."),
    "text_too_long": M("Højst {max_chars} tegn.", "At most {max_chars} characters."),
    "no_reports": M("Vælg mindst én rapport.", "Choose at least one report."),
    "reports_of_several_sites": M(
        "Vælg kun rapporter fra ét sted.", "Choose reports of one site only."
    ),
    "duplicate_target": M(
        "Vælg et andet sted, som rapporten er en dublet af.",
        "Choose another site that the report duplicates.",
    ),
    "duplicate_target_closed": M(
        "Det valgte sted er selv afvist eller en dublet.",
        "The chosen site is itself rejected or a duplicate.",
    ),
    "unknown_group.correction": M(
        "Vælg mindst én kendt målgruppe.", "Choose at least one known group."
    ),
    "merge_target": M(
        "Vælg et andet sted at lægge stedet sammen med.",
        "Choose another site to merge the site into.",
    ),
    "merge_target_closed": M(
        "Det valgte sted er afvist, en dublet, udbedret eller lukket.",
        "The chosen site is rejected, a duplicate, fixed or closed.",
    ),
    "merge_other_category": M(
        "Kun steder med samme kategori kan lægges sammen. Ret først rapporternes kategori.",
        "Only sites of the same category can be merged. Correct the reports' category first.",
    ),
    "invalid_year": M(
        "Skriv et årstal fra {first} til {last}.", "Enter a year from {first} to {last}."
    ),
    "invalid_cost": M(
        "Prisoverslaget skal være et helt antal kroner fra 0.",
        "The cost estimate must be a whole number of kroner from 0.",
    ),
    # -- the what-if for planners (planning/whatif_plan.py) ------------------------------------
    "invalid_group": M("Vælg en målgruppe.", "Choose a group."),
    "invalid_sites": M(
        "Skriv et antal steder fra 1 til {most}.", "Enter a number of sites from 1 to {most}."
    ),
    "invalid_dkk": M(
        "Skriv et beløb i hele kroner fra 1 (for eksempel 250.000).",
        "Enter an amount in whole kroner from 1 (for example 250,000).",
    ),
    "invalid_budget_kind": M(
        "Vælg antal steder eller et beløb i kroner.", "Choose a number of sites or kroner."
    ),
    # -- accounts and e-mail (accounts/users.py, mail/subscriptions.py) ------------------------
    "wrong_login": M("Forkert e-mail eller adgangskode.", "Wrong e-mail or password."),
    "too_many_attempts": M(
        "For mange mislykkede forsøg. Vent et kvarter, og prøv igen.",
        "Too many failed attempts. Wait a quarter of an hour and try again.",
    ),
    "password_too_short": M(
        "Adgangskoden skal være mindst {min_chars} tegn.",
        "The password must be at least {min_chars} characters.",
    ),
    "password_too_long": M(
        "Adgangskoden må højst være {max_chars} tegn.",
        "The password may be at most {max_chars} characters.",
    ),
    "password_weak": M(
        "Adgangskoden er for let at gætte. Brug flere forskellige tegn eller ord.",
        "The password is too easy to guess. Use more different characters or words.",
    ),
    "invalid_email": M("Skriv en gyldig e-mailadresse.", "Enter a valid e-mail address."),
    "unknown_role": M("Vælg en kendt rolle.", "Choose a known role."),
    "email_taken": M(
        "Der findes allerede en bruger med den e-mail.", "A user with that e-mail already exists."
    ),
    "already_member": M(
        "Personen har allerede en konto. Skift rollen i listen i stedet.",
        "The person already has an account. Change the role in the list instead.",
    ),
    "invitation_invalid": M(
        "Invitationen er udløbet eller allerede brugt.",
        "The invitation has expired or has already been used.",
    ),
    "last_admin": M(
        "Der skal være mindst én aktiv administrator.",
        "There must be at least one active administrator.",
    ),
    # -- the JSON API: the request itself (api/errors.py, api/parsing.py) ----------------------
    "bad_request": M("Forespørgslen kan ikke læses.", "The request cannot be read."),
    "unauthorized": M("Du skal logge ind.", "You must sign in."),
    "forbidden": M("Det har du ikke adgang til.", "You do not have access to that."),
    "not_found": M("Det findes ikke.", "It does not exist."),
    "method_not_allowed": M("Metoden kan ikke bruges her.", "The method is not allowed here."),
    "not_acceptable": M("Svaret kan kun gives som JSON.", "The answer is only JSON."),
    "too_large": M("Forespørgslen er for stor.", "The request is too large."),
    "unsupported_media_type": M(
        "Send JSON eller multipart/form-data.", "Send JSON or multipart/form-data."
    ),
    "too_many_requests": M("For mange forespørgsler.", "Too many requests."),
    "http_error": M("Forespørgslen mislykkedes.", "The request failed."),
    "unsupported_media_type.json": M(
        "Send indholdet som application/json.", "Send the content as application/json."
    ),
    "unsupported_media_type.report": M(
        "Send rapporten som application/json eller multipart/form-data.",
        "Send the report as application/json or multipart/form-data.",
    ),
    "invalid_json": M("Indholdet er ikke gyldig JSON.", "The content is not valid JSON."),
    "missing_report": M(
        "Forespørgslen mangler delen 'report' med rapporten som JSON.",
        "The request lacks the 'report' part with the report as JSON.",
    ),
    "invalid_device_token": M(
        "Enhedens nøgle skal være 32-128 tegn (A-Z, a-z, 0-9, - og _).",
        "The device token must be 32-128 characters (A-Z, a-z, 0-9, - and _).",
    ),
    "not_found.report": M("Rapporten findes ikke.", "The report does not exist."),
    "not_found.photo": M("Fotoet findes ikke.", "No such photo."),
    "not_found.site": M("Stedet findes ikke.", "No such site."),
    "invalid_bbox": M(
        "bbox skal være fire tal: minlon,minlat,maxlon,maxlat (WGS84).",
        "bbox must be four numbers: minlon,minlat,maxlon,maxlat (WGS84).",
    ),
    "invalid_position.route": M(
        "'{name}' skal være LÆNGDE,BREDDE (WGS84) i eller nær Herlev.",
        "'{name}' must be LON,LAT (WGS84) in or near Herlev.",
    ),
    "unknown_profile": M(
        "Vælg en kendt gruppe (WHEEL, MOB, VIS, ...).",
        "Choose a known group (WHEEL, MOB, VIS, ...).",
    ),
    "no_route": M("Der er ingen vej for denne gruppe.", "There is no route for this group."),
    # -- query parameters and path segments (params.py, api/parsing.py, ogc/) ------------------
    "missing_parameter": M("Parameteren '{name}' mangler.", "The parameter '{name}' is missing."),
    "invalid_parameter": M(
        "'{name}' skal være et heltal mellem {minimum} og {maximum}.",
        "'{name}' must be a whole number from {minimum} to {maximum}.",
    ),
    "invalid_parameter.number": M(
        "'{name}' skal være et tal mellem {minimum:g} og {maximum:g}.",
        "'{name}' must be a number from {minimum:g} to {maximum:g}.",
    ),
    "invalid_datetime": M(
        "'{name}' skal være en dato og tid med tidszone (f.eks. 2026-01-01T00:00:00Z) "
        "mellem år {min_year} og {max_year}.",
        "'{name}' must be a date and time with a time zone (e.g. 2026-01-01T00:00:00Z) "
        "from the year {min_year} to {max_year}.",
    ),
    "unknown_parameter": M(
        "Parameteren '{name}' kendes ikke her; tilladt: {allowed}.",
        "The parameter '{name}' is not known here; allowed: {allowed}.",
    ),
    # OGC API - Features (ogc/features.py, ogc/views.py)
    "invalid_limit": M(
        "limit skal være et heltal fra 1 til {maximum}.",
        "limit must be a whole number from 1 to {maximum}.",
    ),
    "invalid_offset": M(
        "offset skal være et heltal fra 0 til {maximum}.",
        "offset must be a whole number from 0 to {maximum}.",
    ),
    "invalid_bbox.ogc": M(
        "bbox skal være fire (eller seks) tal: min. længde, min. bredde, maks. længde, "
        "maks. bredde i WGS 84 (CRS84), f.eks. 12.40,55.71,12.46,55.76.",
        "bbox must be four (or six) numbers: min longitude, min latitude, max longitude, "
        "max latitude in WGS 84 (CRS84), e.g. 12.40,55.71,12.46,55.76.",
    ),
    "invalid_datetime.ogc": M(
        "datetime skal være et tidspunkt (RFC 3339, f.eks. 2026-02-12T23:20:52Z) eller et "
        "interval 'start/slut', hvor '..' eller intet betyder åben.",
        "datetime must be a date-time (RFC 3339, e.g. 2026-02-12T23:20:52Z) or an interval "
        "'start/end' where '..' or nothing means open.",
    ),
    "invalid_lang": M("lang skal være da eller en.", "lang must be da or en."),
    "invalid_format": M(
        "f skal være json, geojson eller html.", "f must be json, geojson or html."
    ),
    "not_acceptable.ogc": M(
        "Kun {media_type} eller HTML kan leveres her.",
        "Only {media_type} or HTML can be served here.",
    ),
    "unknown_collection": M(
        "Samlingen '{collection}' findes ikke.", "The collection '{collection}' does not exist."
    ),
    "unknown_feature": M(
        "Objektet '{feature}' findes ikke i '{collection}'.",
        "The feature '{feature}' does not exist in '{collection}'.",
    ),
    # -- Open311 GeoReport v2 (open311/): its errors carry the HTTP status, not these keys -----
    "open311_unknown_jurisdiction": M(
        "jurisdiction_id '{value}' findes ikke; her er kun '{jurisdiction}'.",
        "jurisdiction_id '{value}' was not found; this endpoint serves only '{jurisdiction}'.",
    ),
    "open311_missing_service_code": M("service_code mangler.", "service_code was not provided."),
    "open311_unknown_service_code": M(
        "service_code '{code}' findes ikke.", "service_code '{code}' was not found."
    ),
    "open311_unknown_service_codes": M(
        "Ukendt service_code: {codes}.", "Unknown service_code: {codes}."
    ),
    "open311_request_not_found": M(
        "service_request_id '{request_id}' findes ikke.",
        "service_request_id '{request_id}' was not found.",
    ),
    "open311_token_not_found": M("token '{token}' findes ikke.", "token '{token}' was not found."),
    "open311_api_key_in_url": M(
        "Send api_key i forespørgslens indhold (POST-data), ikke i adressen: en nøgle i "
        "adressen havner i logfiler. Bed om en ny nøgle, hvis den har stået i en adresse.",
        "Send api_key in the request body (POST data), not in the URL: a key in the URL "
        "ends up in access logs. Ask for a new key if it has been in a URL.",
    ),
    "open311_invalid_api_key": M(
        "Ugyldig eller manglende api_key: rapporten kan ikke modtages.",
        "Invalid or missing api_key received -- can't proceed with create_request.",
    ),
    "open311_method_not_supported": M(
        "Metoden {method} bruges ikke her; brug {allowed}.",
        "The method {method} is not supported here; use {allowed}.",
    ),
    "open311_unknown_resource": M(
        "Ressourcen '{resource}' findes ikke i Open311 GeoReport v2.",
        "The resource '{resource}' does not exist in Open311 GeoReport v2.",
    ),
    "open311_address_not_supported": M(
        "Send lat og long: adresser kan ikke slås op her.",
        "Send lat and long: addresses cannot be looked up here.",
    ),
    "open311_missing_position": M("lat og long mangler.", "lat and long were not provided."),
    "open311_position_not_numbers": M(
        "lat og long skal være tal.", "lat and long must be numbers."
    ),
    "open311_unknown_attribute": M(
        "attribute[{attribute}] findes ikke for service_code '{code}'.",
        "attribute[{attribute}] is not defined for service_code '{code}'.",
    ),
    "open311_one_severity": M(
        "Angiv én værdi for attribute[severity].", "Give one attribute[severity]."
    ),
    "open311_attribute_not_number": M(
        "attribute[{attribute}] skal være et tal.", "attribute[{attribute}] must be a number."
    ),
    "open311_invalid_request_ids": M(
        "service_request_id skal være heltal fra 1 til {max_id} adskilt af komma.",
        "service_request_id must be whole numbers from 1 to {max_id} separated by commas.",
    ),
    "open311_too_many_request_ids": M(
        "Højst {max_ids} service_request_id ad gangen.",
        "At most {max_ids} service_request_id at a time.",
    ),
    "open311_invalid_status": M(
        "status skal være open eller closed.", "status must be open or closed."
    ),
    "open311_invalid_date": M(
        "{name} skal være en dato og tid i W3C-format med tidszone, f.eks. 2026-01-01T00:00:00Z, "
        "mellem år {min_year} og {max_year}.",
        "{name} must be a W3C date and time with a time zone, e.g. 2026-01-01T00:00:00Z, "
        "from the year {min_year} to {max_year}.",
    ),
    "open311_dates_reversed": M(
        "end_date ligger før start_date.", "end_date is before start_date."
    ),
    "open311_dates_too_far_apart": M(
        "start_date og end_date må højst ligge 90 dage fra hinanden.",
        "start_date and end_date may not span more than 90 days.",
    ),
}


def code_of(key: str) -> str:
    """The code clients see for a catalogue key: the key up to a variant's dot."""
    return key.split(".", 1)[0]


def _text(template: str, lang: str, params: dict[str, Any]) -> str:
    values = {
        name: value.get(lang) if isinstance(value, Label) else value
        for name, value in params.items()
    }
    return template.format(**values)


def message(key: str, /, **params: Any) -> Label:
    """The message of ``key`` in both languages, filled in with ``params``.

    KeyError for a key not in the catalogue; TypeError for a missing or unknown parameter."""
    entry = CATALOGUE[key]
    wanted = entry.parameters("da") | entry.parameters("en")
    if set(params) != wanted:
        raise TypeError(f"problem {key!r} takes {sorted(wanted)}, not {sorted(params)}")
    return Label(_text(entry.da, "da", params), _text(entry.en, "en", params))


def problem(field: str, key: str, /, **params: Any) -> Problem:
    """The problem ``key`` with ``field`` (the input it is about) and its filled-in message."""
    return Problem(field, code_of(key), message(key, **params))
