"""The barrier taxonomy: categories, affected groups, severities, tags and Danish thresholds.

Facts from ``shared/DOMAIN.md``. Every label exists in Danish (first) and English. Nothing here
knows about Flask or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Label:
    """A text in Danish and English."""

    da: str
    en: str

    def as_dict(self) -> dict[str, str]:
        """Return both texts as ``{"da": ..., "en": ...}``."""
        return {"da": self.da, "en": self.en}

    def get(self, lang: str) -> str:
        """Return the text in ``lang`` ('da' or 'en'), Danish for anything else."""
        return self.en if lang == "en" else self.da


class LabelledEnum(StrEnum):
    """A word of the domain with its labels, written once: ``NAME = "value", "da", "en"``.
    The member is its value (a ``str``); ``member.label`` holds the two texts."""

    label: Label

    def __new__(cls, value: str, da: str, en: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = Label(da, en)
        return member


class Group(LabelledEnum):
    """The seven target groups of the Danish labelling scheme God Adgang."""

    WHEEL = "WHEEL", "Kørestolsbrugere", "Wheelchair users"
    MOB = "MOB", "Gangbesværede, arm- og håndhandicap", "Walking, arm or hand impairment"
    VIS = "VIS", "Synshandicappede", "Visually impaired"
    HEAR = "HEAR", "Hørehandicappede", "Hearing impaired"
    ALLERGY = "ALLERGY", "Astma og allergi", "Asthma and allergy"
    COG = "COG", "Udviklingshandicappede", "Intellectual or cognitive disability"
    READ = "READ", "Læsevanskeligheder", "Reading difficulties"


GROUP_LABELS: dict[Group, Label] = {group: group.label for group in Group}


class Severity(StrEnum):
    """Three-point severity (Project Sidewalk found five points could not be told apart)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class SeverityInfo:
    """Label, plain-language explanation and score multiplier of a severity."""

    label: Label
    explanation: Label
    weight: float
    rank: int


SEVERITIES: dict[Severity, SeverityInfo] = {
    Severity.LOW: SeverityInfo(
        Label("Lav", "Low"),
        Label(
            "Det er besværligt, men man kan komme forbi.",
            "It is awkward, but people can get past.",
        ),
        0.33,
        1,
    ),
    Severity.MEDIUM: SeverityInfo(
        Label("Middel", "Medium"),
        Label(
            "Mange skal have hjælp eller tage en omvej.",
            "Many people need help or must take a detour.",
        ),
        0.67,
        2,
    ),
    Severity.HIGH: SeverityInfo(
        Label("Høj", "High"),
        Label(
            "Nogen kan slet ikke komme forbi.",
            "Some people cannot get past at all.",
        ),
        1.0,
        3,
    ),
}


@dataclass(frozen=True)
class Threshold:
    """A Danish rule for one measurement: a barrier when the value is beyond ``limit``.

    ``kind`` 'max': a barrier when the value is above the limit (at or above if ``inclusive``);
    'min': a barrier when it is below (at or below if ``inclusive``).
    """

    kind: str
    limit: float
    source: str
    inclusive: bool = False
    provisional: bool = False

    def broken_by(self, value: float) -> bool:
        """Tell whether a measured value breaks this rule."""
        if self.kind == "max":
            return value >= self.limit if self.inclusive else value > self.limit
        return value <= self.limit if self.inclusive else value < self.limit

    def excess(self, value: float) -> float:
        """How far beyond the limit the value is, as a ratio (0 when within the rule)."""
        if not self.broken_by(value) or self.limit == 0:
            return 0.0
        if self.kind == "max":
            return max(0.0, (value - self.limit) / self.limit)
        return max(0.0, (self.limit - value) / self.limit)


@dataclass(frozen=True)
class Measurement:
    """A measurable fact of a barrier, stored as a quantity ``{value, unit}``."""

    key: str
    unit: str
    label: Label
    minimum: float
    maximum: float
    threshold: Threshold | None = None


@dataclass(frozen=True)
class Tag:
    """A refinement of a category (e.g. gravel for a surface)."""

    code: str
    label: Label


@dataclass(frozen=True)
class Category:
    """A barrier category with its affected groups, measurements and tags."""

    code: str
    number: int
    label: Label
    hint: Label
    groups: tuple[Group, ...]
    measurements: tuple[Measurement, ...] = ()
    tags: tuple[Tag, ...] = ()
    cluster_radius_m: float = 10.0
    icon: str = "other"

    def measurement(self, key: str) -> Measurement | None:
        """Return the measurement definition with ``key``, or None."""
        return next((m for m in self.measurements if m.key == key), None)


def _m(key, unit, da, en, lo, hi, rule=None):
    return Measurement(key, unit, Label(da, en), lo, hi, rule)


BR18_51 = "BR18 §51"
BR18_49 = "BR18 §49"
KERB_RAMP_RADIUS_M = 7.5
OTHER_RADIUS_M = 10.0

COMMON_TAGS: tuple[Tag, ...] = (
    Tag("no_alternative_route", Label("Ingen anden vej", "No alternative route")),
    Tag("temporary", Label("Midlertidig", "Temporary")),
    Tag("seasonal", Label("Kun i en årstid", "Seasonal")),
)
NO_ALTERNATIVE_ROUTE = "no_alternative_route"

_W, _M, _V, _H, _A, _C, _R = (
    Group.WHEEL,
    Group.MOB,
    Group.VIS,
    Group.HEAR,
    Group.ALLERGY,
    Group.COG,
    Group.READ,
)

CATEGORIES: tuple[Category, ...] = (
    Category(
        "step",
        1,
        Label("Trin eller dørtrin", "Step or threshold"),
        Label("Et trin eller en kant ved en indgang.", "A step or raised edge at an entrance."),
        (_W, _M),
        (
            _m(
                "threshold_height",
                "cm",
                "Højde på trin",
                "Step height",
                0,
                200,
                Threshold("max", 2.5, BR18_51),
            ),
        ),
        icon="step",
    ),
    Category(
        "missing_ramp",
        2,
        Label("Mangler rampe", "Missing ramp"),
        Label("Et niveauspring uden rampe eller lift.", "A level difference with no ramp or lift."),
        (_W, _M, _V),
        (
            _m(
                "level_difference",
                "cm",
                "Niveauforskel",
                "Level difference",
                0,
                500,
                Threshold("max", 0.0, "BR18 §49 stk. 2 nr. 3"),
            ),
            _m(
                "step_rise",
                "cm",
                "Trinhøjde",
                "Step rise",
                0,
                100,
                Threshold("max", 15.0, "BR18 §49 stk. 2 nr. 3"),
            ),
            _m(
                "tread_depth",
                "cm",
                "Trindybde",
                "Tread depth",
                0,
                200,
                Threshold("min", 30.0, "BR18 §49 stk. 2 nr. 3"),
            ),
        ),
        cluster_radius_m=KERB_RAMP_RADIUS_M,
        icon="ramp",
    ),
    Category(
        "steep_ramp",
        3,
        Label("For stejl rampe", "Ramp too steep"),
        Label("En rampe der hælder for meget.", "A ramp that slopes too much."),
        (_W, _M),
        (
            _m(
                "gradient",
                "%",
                "Hældning",
                "Gradient",
                0,
                100,
                Threshold("max", 5.0, "BR18 §49 nr. 3-4"),
            ),
            _m(
                "run_length",
                "m",
                "Længde uden repos",
                "Run without landing",
                0,
                500,
                Threshold("max", 12.0, "BR18 §49 nr. 3-4"),
            ),
            _m(
                "landing_size",
                "m",
                "Repos, mindste side",
                "Landing, shortest side",
                0,
                20,
                Threshold("min", 1.3, "BR18 §49 nr. 3-4"),
            ),
        ),
        cluster_radius_m=KERB_RAMP_RADIUS_M,
        icon="ramp",
    ),
    Category(
        "missing_handrail",
        4,
        Label("Mangler håndliste", "Missing handrail"),
        Label("Ingen håndliste ved trappe eller rampe.", "No handrail on stairs or a ramp."),
        (_M, _V),
        (
            _m(
                "handrail_height",
                "m",
                "Højde på håndliste",
                "Handrail height",
                0,
                3,
                Threshold("min", 0.7, BR18_49, provisional=True),
            ),
        ),
        icon="handrail",
    ),
    Category(
        "kerb",
        5,
        Label("Kantsten ikke sænket", "Kerb not lowered"),
        Label("Kantstenen ved en overgang er for høj.", "The kerb at a crossing is too high."),
        (_W, _M),
        (
            _m(
                "kerb_upstand",
                "cm",
                "Kantstenens højde",
                "Kerb upstand",
                0,
                50,
                Threshold("max", 2.5, "TIBS 6.1.5 (analogi)", provisional=True),
            ),
        ),
        cluster_radius_m=KERB_RAMP_RADIUS_M,
        icon="kerb",
    ),
    Category(
        "narrow_passage",
        6,
        Label("Smal passage eller dør", "Narrow passage or door"),
        Label("For smalt til kørestol eller rollator.", "Too narrow for a wheelchair or walker."),
        (_W, _M),
        (
            _m(
                "clear_width",
                "cm",
                "Fri bredde",
                "Clear width",
                0,
                1000,
                Threshold("min", 130.0, "BR18 §49; SBi"),
            ),
            _m(
                "door_width",
                "cm",
                "Dørens frie bredde",
                "Door clear width",
                0,
                500,
                Threshold("min", 77.0, "BR18 §52"),
            ),
        ),
        icon="narrow",
    ),
    Category(
        "surface",
        7,
        Label("Ujævn eller løs belægning", "Uneven or loose surface"),
        Label("Grus, brosten, revner eller rødder.", "Gravel, cobbles, cracks or roots."),
        (_W, _M, _V),
        (
            _m(
                "joint_width",
                "mm",
                "Fugebredde",
                "Joint width",
                0,
                500,
                Threshold("max", 5.0, "BR18 §49; SBi"),
            ),
            _m(
                "grate_gap",
                "mm",
                "Spalte i rist",
                "Grate gap",
                0,
                500,
                Threshold("max", 20.0, "BR18 §49; SBi", inclusive=True),
            ),
            _m(
                "cross_fall",
                "%",
                "Tværhældning",
                "Cross-fall",
                0,
                100,
                Threshold("max", 2.5, "BR18 §49; SBi"),
            ),
        ),
        (
            Tag("gravel", Label("Grus", "Gravel")),
            Tag("cobbles", Label("Brosten", "Cobbles")),
            Tag("roots", Label("Rødder", "Roots")),
            Tag("cracks", Label("Revner", "Cracks")),
            Tag("potholes", Label("Huller", "Potholes")),
        ),
        icon="surface",
    ),
    Category(
        "obstacle",
        8,
        Label("Forhindring i gangzonen", "Obstacle in the walking line"),
        Label(
            "Pullert, skilt, cykler, affald eller grene.", "Bollard, sign, bikes, bins or branches."
        ),
        (_V, _W, _M),
        (
            _m(
                "free_height",
                "cm",
                "Fri højde",
                "Free height",
                0,
                1000,
                Threshold("min", 220.0, "TIBS 6.1.14; SBi"),
            ),
            _m(
                "remaining_width",
                "cm",
                "Resterende bredde",
                "Remaining width",
                0,
                1000,
                Threshold("min", 130.0, "BR18 §49; SBi"),
            ),
            _m(
                "distance_to_guide_line",
                "cm",
                "Afstand til ledelinje",
                "Distance to guide line",
                0,
                1000,
                Threshold("min", 50.0, "SBi"),
            ),
        ),
        (
            Tag("bicycle", Label("Cykel", "Bicycle")),
            Tag("sign", Label("Skilt", "Sign")),
            Tag("bollard", Label("Pullert", "Bollard")),
            Tag("vegetation", Label("Beplantning", "Vegetation")),
            Tag("construction", Label("Byggeri", "Construction")),
            Tag("bins", Label("Affaldsspande", "Bins")),
        ),
        icon="obstacle",
    ),
    Category(
        "heavy_door",
        9,
        Label("Tung dør", "Heavy door"),
        Label("Døren er svær at åbne.", "The door is hard to open."),
        (_M, _W),
        (_m("opening_force", "kg", "Kraft for at åbne", "Opening force", 0, 100),),
        icon="door",
    ),
    Category(
        "toilet",
        10,
        Label("Intet tilgængeligt toilet", "No accessible toilet"),
        Label(
            "Toilettet kan ikke bruges i kørestol.", "The toilet cannot be used in a wheelchair."
        ),
        (_W, _M),
        (
            _m(
                "door_width",
                "cm",
                "Dørens frie bredde",
                "Door clear width",
                0,
                500,
                Threshold("min", 77.0, "BR18 §214"),
            ),
            _m(
                "side_space",
                "cm",
                "Fri plads ved siden af",
                "Side transfer space",
                0,
                500,
                Threshold("min", 90.0, "BR18 §214"),
            ),
            _m(
                "turning_circle",
                "cm",
                "Vendecirkel",
                "Turning circle",
                0,
                1000,
                Threshold("min", 150.0, "BR18 §214"),
            ),
        ),
        icon="toilet",
    ),
    Category(
        "parking",
        11,
        Label("Mangler handicapparkering", "Missing disabled parking"),
        Label("Ingen eller for smal handicapplads.", "No disabled bay, or too narrow."),
        (_W, _M),
        (
            _m(
                "bay_width",
                "m",
                "Pladsens bredde",
                "Bay width",
                0,
                20,
                Threshold("min", 3.5, "BEK 1633/2017 §193"),
            ),
            _m(
                "distance_to_entrance",
                "m",
                "Afstand til indgang",
                "Distance to entrance",
                0,
                5000,
                Threshold("max", 30.0, "SBi"),
            ),
        ),
        icon="parking",
    ),
    Category(
        "benches",
        12,
        Label("Ingen steder at hvile", "No places to rest"),
        Label("For langt mellem bænkene.", "Too far between benches."),
        (_M,),
        (
            _m(
                "bench_spacing",
                "m",
                "Afstand mellem bænke",
                "Distance between benches",
                0,
                10000,
                Threshold("max", 100.0, "SBi"),
            ),
        ),
        icon="bench",
    ),
    Category(
        "tactile",
        13,
        Label("Mangler ledelinje eller varselsfelt", "Missing tactile paving"),
        Label(
            "Ingen ledelinjer eller varsling før trapper.",
            "No guide lines or warning before stairs.",
        ),
        (_V,),
        (
            _m(
                "attention_field",
                "cm",
                "Varselsfeltets side",
                "Attention field side",
                0,
                1000,
                Threshold("min", 90.0, "BR18 §49 nr. 6-7; SBi"),
            ),
        ),
        icon="tactile",
    ),
    Category(
        "contrast",
        14,
        Label("Dårlig kontrast", "Poor contrast"),
        Label(
            "Trinkanter eller forhindringer er ikke markeret.",
            "Step edges or obstacles are not marked.",
        ),
        (_V, _C),
        icon="contrast",
    ),
    Category(
        "lighting",
        15,
        Label("Dårlig belysning", "Poor lighting"),
        Label(
            "Stien, trappen eller rampen er ikke oplyst.", "The path, stairs or ramp are not lit."
        ),
        (_V, _W, _M, _H, _A, _C, _R),
        icon="lighting",
    ),
    Category(
        "crossing_signal",
        16,
        Label("Ingen lyd ved fodgængerfelt", "No sound at a crossing"),
        Label("Lyskrydset har ingen lyd eller vibration.", "The signal has no sound or vibration."),
        (_V,),
        icon="crossing",
    ),
    Category(
        "induction_loop",
        17,
        Label("Ingen teleslynge", "No induction loop"),
        Label(
            "Mødelokale eller skranke uden teleslynge.", "A room or counter with no hearing loop."
        ),
        (_H,),
        icon="loop",
    ),
    Category(
        "signage",
        18,
        Label("Dårlig skiltning", "Poor signage"),
        Label(
            "Svært at finde vej; kun tekst eller kun lyd.", "Hard to find the way; one sense only."
        ),
        (_C, _R, _V),
        icon="signage",
    ),
    Category(
        "easy_read",
        19,
        Label("Information ikke let at læse", "Information not easy to read"),
        Label(
            "Ingen let læst eller tilgængelig information.",
            "No easy-read or accessible information.",
        ),
        (_R, _C),
        icon="easy_read",
    ),
    Category(
        "other",
        20,
        Label("Andet", "Other"),
        Label("En anden barriere. Beskriv den med ord.", "Another barrier. Describe it in words."),
        (),
        icon="other",
    ),
)
CATEGORIES_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


def category(code: str) -> Category | None:
    """Return the category with ``code``, or None."""
    return CATEGORIES_BY_CODE.get(code)


def tags_for(cat: Category) -> tuple[Tag, ...]:
    """Return every tag a report of ``cat`` may carry: the common ones, then the category's."""
    return COMMON_TAGS + cat.tags


@dataclass(frozen=True)
class AreaKind:
    """A kind of public space."""

    code: str
    label: Label


AREA_KINDS: tuple[AreaKind, ...] = (
    AreaKind("park", Label("Park", "Park")),
    AreaKind("square", Label("Plads eller torv", "Square")),
    AreaKind("playground", Label("Legeplads", "Playground")),
    AreaKind("path", Label("Sti", "Path")),
    AreaKind("nature_area", Label("Naturområde", "Nature area")),
    AreaKind("station_surroundings", Label("Ved station", "Station surroundings")),
    AreaKind(
        "public_building_surroundings",
        Label("Ved offentlig bygning", "Public building surroundings"),
    ),
    AreaKind("municipality", Label("Kommunegrænse", "Municipal boundary")),
)
AREA_KIND_CODES = frozenset(k.code for k in AREA_KINDS)
MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class MeasurementVerdict:
    """What a measured value means against its Danish rule."""

    key: str
    value: float
    unit: str
    broken: bool | None
    limit: float | None = None
    kind: str | None = None
    excess: float = 0.0
    source: str | None = None
    provisional: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def judge(cat: Category, key: str, value: float) -> MeasurementVerdict:
    """Judge one measured value of a category against its threshold (None: no rule known)."""
    definition = cat.measurement(key)
    if definition is None:
        raise KeyError(key)
    rule = definition.threshold
    if rule is None:
        return MeasurementVerdict(key, value, definition.unit, None)
    return MeasurementVerdict(
        key,
        value,
        definition.unit,
        rule.broken_by(value),
        rule.limit,
        rule.kind,
        rule.excess(value),
        rule.source,
        rule.provisional,
    )


def taxonomy_json() -> dict:
    """The taxonomy as plain data: the API's /categories and the field app's page carry it."""
    return {
        "categories": [
            {
                "code": c.code,
                "number": c.number,
                "label": c.label.as_dict(),
                "hint": c.hint.as_dict(),
                "groups": [g.value for g in c.groups],
                "cluster_radius_m": c.cluster_radius_m,
                "icon": c.icon,
                "tags": [{"code": t.code, "label": t.label.as_dict()} for t in tags_for(c)],
                "measurements": [
                    {
                        "key": m.key,
                        "unit": m.unit,
                        "label": m.label.as_dict(),
                        "minimum": m.minimum,
                        "maximum": m.maximum,
                        "threshold": None
                        if m.threshold is None
                        else {
                            "kind": m.threshold.kind,
                            "limit": m.threshold.limit,
                            "inclusive": m.threshold.inclusive,
                            "source": m.threshold.source,
                            "provisional": m.threshold.provisional,
                        },
                    }
                    for m in c.measurements
                ],
            }
            for c in CATEGORIES
        ],
        "groups": [
            {"code": g.value, "label": label.as_dict()} for g, label in GROUP_LABELS.items()
        ],
        "severities": [
            {
                "code": s.value,
                "label": i.label.as_dict(),
                "explanation": i.explanation.as_dict(),
                "weight": i.weight,
            }
            for s, i in SEVERITIES.items()
        ],
        "area_kinds": [{"code": k.code, "label": k.label.as_dict()} for k in AREA_KINDS],
    }
