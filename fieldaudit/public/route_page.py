"""Find en trinfri vej: the best route between two known places for a group, without a map."""

from __future__ import annotations

from flask import render_template
from geoalchemy2.shape import to_shape
from shapely.geometry import Point

from fieldaudit import params, public_record
from fieldaudit.areas import area_index
from fieldaudit.extensions import db
from fieldaudit.models import Destination
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.route_map import RouteMap, route_map
from fieldaudit.network.routing import RouteAnswer, find_route
from fieldaudit.public.views import public
from fieldaudit.taxonomy import GROUP_LABELS, Group
from fieldaudit.web import query
from fieldaudit.web.i18n import select_language
from fieldaudit.web.query import CHOICE, ID, Param, query_params


def _destination(name: str, places: dict[int, Destination]) -> Destination | None:
    number = params.record_id(query.arg(name))
    return places.get(number) if number is not None else None


@public.get("/trinfri-vej")
@query_params(
    fra=Param(ID, ("1",)),
    til=Param(ID, ("2",)),
    gruppe=Param(CHOICE, tuple(PROFILES)),
)
def step_free_route():
    """A form of known places and groups; with both places chosen, the route in words."""
    lang = select_language()
    places = {d.id: d for d in public_record.destinations(db.session)}
    start, end = _destination("fra", places), _destination("til", places)
    code = query.arg("gruppe")
    group = code if code in PROFILES else Group.WHEEL.value
    answer = None
    asked = start is not None and end is not None
    if asked:
        a, b = to_shape(start.geom), to_shape(end.geom)
        assert isinstance(a, Point) and isinstance(b, Point)
        answer = find_route(db.session, (a.x, a.y), (b.x, b.y), PROFILES[group])
    return render_template(
        "public/route.html",
        places=list(places.values()),
        start=start,
        end=end,
        group=group,
        groups=[(g.value, GROUP_LABELS[g].get(lang)) for g in Group],
        asked=asked,
        answer=answer,
        route_map=_map(answer) if answer is not None else None,
    )


def _map(answer: RouteAnswer) -> RouteMap:
    """The route's map with the barriers on it where they were reported, in the list's order."""
    ids = [b["id"] for b in answer.barriers_on_route]
    found = public_record.site_points(db.session, ids)
    barriers = [(i, found[i].x, found[i].y) for i in ids if i in found]
    return route_map(area_index(db.session).areas, answer.line, barriers)
