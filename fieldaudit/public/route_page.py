"""Find en trinfri vej: the best route for a group between two places, chosen from a list of
known places or as points on the map (``LON,LAT``, set by ``static/js/public/route-picker.js``;
the list and the form work without it)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, url_for
from flask_babel import gettext, ngettext
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping

from fieldaudit import params, public_record
from fieldaudit.areas import area_index
from fieldaudit.crs import METRIC, WGS84, reproject, to_metric, to_wgs84
from fieldaudit.extensions import db
from fieldaudit.models import Destination
from fieldaudit.network import directions as d
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.route_map import RouteMap, route_map
from fieldaudit.network.routing import RouteAnswer, find_route, lon_lat
from fieldaudit.public.views import public
from fieldaudit.taxonomy import GROUP_LABELS, Group
from fieldaudit.web import query
from fieldaudit.web.i18n import select_language
from fieldaudit.web.query import CHOICE, TEXT, Param, query_params


@dataclass(frozen=True)
class Chosen:
    """One end of the route as chosen: a known place (its id) or a point on the map."""

    value: str  # the form's value: the place's id, or LON,LAT
    name: str
    lon: float
    lat: float
    metric: tuple[float, float]  # the same point in EPSG:25832 (a place's own, not re-projected)
    on_map: bool = False


def point_template() -> str:
    """The words for a point on the map, with ``%(lat)s`` and ``%(lon)s`` still to fill in."""
    return gettext("Punkt på kortet (%(lat)s N, %(lon)s Ø)")


def point_label(lon: float, lat: float) -> str:
    """A point on the map as the list shows it (five decimals, the reader's decimal mark)."""
    mark = "," if select_language() == "da" else "."
    numbers = {"lat": f"{lat:.5f}".replace(".", mark), "lon": f"{lon:.5f}".replace(".", mark)}
    return point_template() % numbers


def _chosen(name: str, places: dict[int, Destination]) -> Chosen | None:
    """The place or point a parameter names; None if none or not understood."""
    raw = query.arg(name)
    number = params.record_id(raw)
    if number is not None:
        place = places.get(number)
        if place is None:
            return None
        point = to_shape(place.geom)
        lon, lat = to_wgs84(point.x, point.y)
        return Chosen(str(place.id), place.name, lon, lat, (point.x, point.y))
    found = lon_lat(raw)
    if found is None:
        return None
    lon, lat = round(found[0], 6), round(found[1], 6)
    name = gettext("et punkt på kortet")
    return Chosen(f"{lon:.6f},{lat:.6f}", name, lon, lat, to_metric(lon, lat), on_map=True)


@public.get("/trinfri-vej")
@query_params(
    fra=Param(TEXT, ("1", "12.4437,55.7189")),
    til=Param(TEXT, ("2", "12.4356,55.7255")),
    gruppe=Param(CHOICE, tuple(PROFILES)),
)
def step_free_route():
    """A form of known places, points on a map and groups; with both ends, the route in words."""
    lang = select_language()
    places = {p.id: p for p in public_record.destinations(db.session)}
    start, end = _chosen("fra", places), _chosen("til", places)
    unknown = [
        label
        for key, label, found in (("fra", gettext("Fra"), start), ("til", gettext("Til"), end))
        if query.arg(key) and found is None
    ]
    code = query.arg("gruppe")
    group = code if code in PROFILES else Group.WHEEL.value
    answer = None
    asked = start is not None and end is not None
    if start is not None and end is not None:
        answer = find_route(db.session, start.metric, end.metric, PROFILES[group])
    return render_template(
        "public/route.html",
        places=list(places.values()),
        start=start,
        end=end,
        unknown=unknown,
        group=group,
        groups=[(g.value, GROUP_LABELS[g].get(lang)) for g in Group],
        asked=asked,
        answer=answer,
        route_map=_map(answer) if answer is not None else None,
        directions=[direction_text(x) for x in answer.directions] if answer else [],
        picker=_picker(places, start, end, answer),
        tile_url=current_app.config["TILE_URL"],
        point_label=point_label,
    )


def _picker(
    places: dict[int, Destination],
    start: Chosen | None,
    end: Chosen | None,
    answer: RouteAnswer | None,
) -> dict:
    """What the map's script needs: the places, the chosen ends, the route (WGS84), words."""
    line = None
    if answer is not None:
        line = mapping(reproject(answer.line, METRIC, WGS84))
        line = {**line, "coordinates": [[round(c, 6) for c in xy] for xy in line["coordinates"]]}
    return {
        "areas_url": url_for("api.areas"),
        "places": {
            str(number): [round(c, 6) for c in to_wgs84(point.x, point.y)]
            for number, place in places.items()
            for point in [to_shape(place.geom)]
        },
        "fra": [start.lon, start.lat] if start else None,
        "til": [end.lon, end.lat] if end else None,
        "route": line,
        "texts": {
            "fra": gettext("Fra"),
            "til": gettext("Til"),
            "point": point_template(),
            "fra_set": gettext("Fra er sat til et punkt på kortet. Næste klik vælger Til."),
            "til_set": gettext("Til er sat til et punkt på kortet. Tryk på »Find vejen«."),
        },
    }


def _way(direction: d.Direction) -> str:
    """The way of a stretch in words: "ad Herlev Bygade", "ad stien", "over vejen"."""
    if direction.name:
        return gettext("ad %(name)s", name=direction.name)
    words = {
        d.PATH: gettext("ad stien"),
        d.PEDESTRIAN: gettext("ad gågaden"),
        d.STEPS: gettext("ad trappen"),
        d.CROSSING: gettext("over vejen"),
        d.ROAD: gettext("ad vejen"),
    }
    return words.get(direction.kind, "")


def direction_text(direction: d.Direction) -> str:
    """One direction as a sentence: "Drej til venstre og gå 120 meter ad stien."."""
    metres = max(1, round(direction.metres))
    way = _way(direction)
    if direction.turn == d.LEFT:
        text = ngettext(
            "Drej til venstre og gå %(num)d meter %(way)s.",
            "Drej til venstre og gå %(num)d meter %(way)s.",
            metres,
            way=way,
        )
    elif direction.turn == d.RIGHT:
        text = ngettext(
            "Drej til højre og gå %(num)d meter %(way)s.",
            "Drej til højre og gå %(num)d meter %(way)s.",
            metres,
            way=way,
        )
    elif direction.turn == d.STRAIGHT:
        text = ngettext(
            "Fortsæt %(num)d meter %(way)s.", "Fortsæt %(num)d meter %(way)s.", metres, way=way
        )
    else:
        text = ngettext("Gå %(num)d meter %(way)s.", "Gå %(num)d meter %(way)s.", metres, way=way)
    return text.replace(" .", ".")


def _map(answer: RouteAnswer) -> RouteMap:
    """The route's map with the barriers on it where they were reported, in the list's order."""
    ids = [b["id"] for b in answer.barriers_on_route]
    found = public_record.site_points(db.session, ids)
    barriers = [(i, found[i].x, found[i].y) for i in ids if i in found]
    return route_map(area_index(db.session).areas, answer.line, barriers)
