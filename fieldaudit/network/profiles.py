"""The published profile per group: what blocks an edge and what adds a penalty in metres.

One table, like the priority weights: for each group (taxonomy's ``Group``) the rules for
barrier sites (by category, optionally by a measured value or the severity) and for the edge's
own facts (``highway=steps``, incline, width, kerb, surface). A penalty is metres of equivalent
detour: a route with a 150 m penalty is chosen only if no other way is less than 150 m longer.
Rules are read in order and the first that fits a site decides. Served at
``GET /api/v1/network/profiles`` and explained on the help page. Figures follow
``shared/DOMAIN.md`` (BR18, the walking network section); the council may adjust them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fieldaudit.network.edges import EdgeFacts
from fieldaudit.taxonomy import GROUP_LABELS, SEVERITIES, Group, Label, Severity, category

BLOCK = "block"
PENALTY = "penalty"
PROFILES_VERSION = 2
LOOSE_SURFACES = frozenset(
    {
        "gravel",
        "fine_gravel",
        "pebblestone",
        "grass",
        "dirt",
        "earth",
        "ground",
        "sand",
        "mud",
        "unpaved",
        "woodchips",
        "grus",
        "græs",
    }
)
ROUGH_SURFACES = frozenset({"cobblestone", "sett", "unhewn_cobblestone", "brosten"})


@dataclass(frozen=True)
class SiteRule:
    """A barrier site of ``category`` (with the measured value beyond ``above``/``below``, or
    of ``severity``, when given) blocks the edge or adds ``penalty_m``."""

    category: str
    effect: str
    penalty_m: float = 0.0
    measurement: str | None = None
    above: float | None = None
    below: float | None = None
    severity: str | None = None

    def fits(self, category: str, severity: str, measured: Mapping[str, Any] | None) -> bool:
        """Tell whether this rule decides a site with these facts."""
        if category != self.category or (self.severity and severity != self.severity):
            return False
        if self.measurement is None:
            return True
        if not measured or measured.get("key") != self.measurement:
            return False
        value = measured.get("value")
        if not isinstance(value, int | float):
            return False
        if self.above is not None and not value > self.above:
            return False
        return self.below is None or value < self.below

    def as_dict(self) -> dict[str, Any]:
        """The rule as published."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def explain(self, lang: str) -> str:
        """The rule in a plain sentence, in Danish or English."""
        found = category(self.category)
        text = found.label.get(lang) if found else self.category
        measured = found.measurement(self.measurement) if found and self.measurement else None
        if measured is not None:
            limit = self.above if self.above is not None else self.below
            word = ("over", "above") if self.above is not None else ("under", "below")
            text += (
                f", {measured.label.get(lang).lower()} "
                f"{word[lang == 'en']} {_number(limit or 0, lang)} {measured.unit}"
            )
        elif self.measurement:
            text += ", målt" if lang != "en" else ", measured"
        if self.severity:
            name = SEVERITIES[Severity(self.severity)].label.get(lang).lower()
            text += f", alvor {name}" if lang != "en" else f", severity {name}"
        return f"{text}: {_effect(self.effect, self.penalty_m, lang)}"


@dataclass(frozen=True)
class EdgeRule:
    """An edge fact that blocks the edge or adds ``penalty_per_m`` metres per metre of it."""

    fact: str  # "steps", "incline_above", "width_below", "kerb_raised", "loose", "rough"...
    effect: str
    limit: float | None = None
    penalty_per_m: float = 0.0
    label: Label = field(default_factory=lambda: Label("", ""))
    penalty_m: float = 0.0  # once per edge walked (a kerb), spread over the edge's length

    def fits(self, facts: EdgeFacts) -> bool:
        """Tell whether the edge has this fact."""
        if self.fact == "steps":
            return facts.highway == "steps"
        if self.fact == "incline_above":
            return facts.incline_pct is not None and facts.incline_pct > (self.limit or 0)
        if self.fact == "width_below":
            return facts.width_m is not None and facts.width_m < (self.limit or 0)
        if self.fact.startswith("kerb_") and self.fact in KERB_FACTS:
            return KERB_FACTS[self.fact](facts)
        if self.fact == "loose":
            return facts.surface in LOOSE_SURFACES
        if self.fact == "rough":
            return facts.surface in ROUGH_SURFACES
        return False

    def explain(self, lang: str) -> str:
        """The rule in a plain sentence, in Danish or English."""
        text = self.label.get(lang).format(limit=_number(self.limit or 0, lang))
        if self.effect == BLOCK or self.penalty_m:
            return f"{text}: {_effect(self.effect, self.penalty_m, lang)}"
        per_m = _number(self.penalty_per_m, lang)
        if lang == "en":
            return f"{text}: each metre counts {per_m} m extra"
        return f"{text}: hver meter tæller {per_m} m ekstra"

    def as_dict(self) -> dict[str, Any]:
        """The rule as published."""
        label = {
            lang: text.format(limit=f"{self.limit:g}" if self.limit is not None else "")
            for lang, text in self.label.as_dict().items()
        }
        found = {"fact": self.fact, "effect": self.effect, "label": label}
        if self.limit is not None:
            found["limit"] = self.limit
        if self.effect == PENALTY and self.penalty_m:
            found["penalty_m"] = self.penalty_m
        elif self.effect == PENALTY:
            found["penalty_per_m"] = self.penalty_per_m
        return found


@dataclass(frozen=True)
class Profile:
    """A group's rules for sites and for edges."""

    group: Group
    site_rules: tuple[SiteRule, ...]
    edge_rules: tuple[EdgeRule, ...]
    description: Label

    def site_effect(
        self, category: str, severity: str, measured: Mapping[str, Any] | None
    ) -> SiteRule | None:
        """The rule that decides a site for this group, or None if it does not matter."""
        return next((r for r in self.site_rules if r.fits(category, severity, measured)), None)

    def edge_effect(self, facts: EdgeFacts, length_m: float = 1.0) -> tuple[bool, float]:
        """Whether the edge is blocked, and its penalty in metres per metre of length (the
        highest per-metre rule, plus the fixed penalties spread over the edge's length)."""
        blocked, per_m, fixed = False, 0.0, 0.0
        for rule in self.edge_rules:
            if rule.fits(facts):
                if rule.effect == BLOCK:
                    blocked = True
                elif rule.penalty_m:
                    fixed += rule.penalty_m
                else:
                    per_m = max(per_m, rule.penalty_per_m)
        return blocked, per_m + fixed / max(length_m, 1.0)


def _number(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text if lang == "en" else text.replace(".", ",")


def _effect(effect: str, penalty_m: float, lang: str) -> str:
    if effect == BLOCK:
        return "blocks the way" if lang == "en" else "spærrer vejen"
    metres = _number(penalty_m, lang)
    return f"{metres} m detour penalty" if lang == "en" else f"straf på {metres} m omvej"


def _b(code: str, **when: Any) -> SiteRule:
    return SiteRule(code, BLOCK, **when)


def _p(code: str, metres: float, **when: Any) -> SiteRule:
    return SiteRule(code, PENALTY, metres, **when)


STEPS = Label("trappe (highway=steps)", "steps (highway=steps)")
STEEP = Label("hældning over {limit} %", "incline above {limit} %")
NARROW = Label("bredde under {limit} m", "width below {limit} m")
RAISED = Label("hævet kantsten (kerb=raised)", "raised kerb (kerb=raised)")
ROLLED = Label("afrundet kantsten (kerb=rolled)", "rolled kerb (kerb=rolled)")
KERB_UNKNOWN = Label(
    "kantsten af ukendt højde (barrier=kerb)", "kerb of unknown height (barrier=kerb)"
)
LOW_NO_TACTILE = Label(
    "sænket kantsten uden varselsfelt (tactile_paving=no)",
    "lowered kerb without tactile paving (tactile_paving=no)",
)
KERB_FACTS = {
    "kerb_raised": lambda facts: facts.kerb == "raised",
    "kerb_rolled": lambda facts: facts.kerb == "rolled",
    "kerb_unknown": lambda facts: facts.kerb == "yes",
    "kerb_low_no_tactile": lambda facts: (
        facts.kerb in ("lowered", "flush", "rolled") and facts.tactile_paving == "no"
    ),
}
LOOSE = Label("løs belægning (grus, græs, jord)", "loose surface (gravel, grass, earth)")
ROUGH = Label("brosten", "cobblestones")

PROFILES: dict[str, Profile] = {
    p.group.value: p
    for p in (
        Profile(
            Group.WHEEL,
            (
                _b("step", measurement="threshold_height", above=2.5),
                _b("step"),
                _b("kerb", measurement="kerb_upstand", above=2.5),
                _b("kerb"),
                _b("missing_ramp"),
                _b("narrow_passage", measurement="clear_width", below=90.0),
                _b("narrow_passage", measurement="door_width", below=77.0),
                _p("narrow_passage", 100.0),
                _b("steep_ramp", measurement="gradient", above=8.0),
                _p("steep_ramp", 150.0),
                _b("obstacle", measurement="remaining_width", below=90.0),
                _p("obstacle", 50.0),
                _p("surface", 300.0, severity="high"),
                _p("surface", 150.0),
                _p("heavy_door", 100.0),
            ),
            (
                EdgeRule("steps", BLOCK, label=STEPS),
                EdgeRule("kerb_raised", BLOCK, label=RAISED),
                EdgeRule("kerb_unknown", PENALTY, label=KERB_UNKNOWN, penalty_m=100.0),
                EdgeRule("kerb_rolled", PENALTY, label=ROLLED, penalty_m=50.0),
                EdgeRule("width_below", BLOCK, 0.9, label=NARROW),
                EdgeRule("incline_above", BLOCK, 8.0, label=STEEP),
                EdgeRule("incline_above", PENALTY, 5.0, 2.0, label=STEEP),
                EdgeRule("loose", PENALTY, penalty_per_m=2.0, label=LOOSE),
                EdgeRule("rough", PENALTY, penalty_per_m=1.0, label=ROUGH),
            ),
            Label(
                "Et trin eller en kantsten over 2,5 cm, en passage under 90 cm, en dør under "
                "77 cm, en trappe og en hældning over 8 % spærrer vejen. Løs belægning og "
                "hældning over 5 % giver en omvej-straf.",
                "A step or kerb above 2.5 cm, a passage below 90 cm, a door below 77 cm, steps "
                "and an incline above 8 % block the way. Loose surface and an incline above 5 % "
                "add a detour penalty.",
            ),
        ),
        Profile(
            Group.MOB,
            (
                _p("step", 60.0),
                _p("kerb", 50.0),
                _p("missing_ramp", 100.0),
                _p("steep_ramp", 100.0),
                _p("missing_handrail", 150.0),
                _p("benches", 150.0),
                _p("surface", 100.0),
                _p("obstacle", 30.0),
                _p("narrow_passage", 30.0),
                _p("heavy_door", 60.0),
            ),
            (
                EdgeRule("steps", PENALTY, penalty_per_m=10.0, label=STEPS),
                EdgeRule("kerb_raised", PENALTY, label=RAISED, penalty_m=50.0),
                EdgeRule("incline_above", PENALTY, 8.0, 2.0, label=STEEP),
                EdgeRule("loose", PENALTY, penalty_per_m=1.0, label=LOOSE),
            ),
            Label(
                "Intet spærrer helt, men trin, trapper uden gelænder, lange stræk uden bænk "
                "og løs belægning giver en omvej-straf.",
                "Nothing blocks completely, but steps, stairs without handrails, long "
                "stretches without a bench and loose surface add a detour penalty.",
            ),
        ),
        Profile(
            Group.VIS,
            (
                _p("crossing_signal", 200.0),
                _p("obstacle", 150.0),
                _p("tactile", 100.0),
                _p("missing_ramp", 100.0),
                _p("lighting", 100.0),
                _p("missing_handrail", 50.0),
                _p("contrast", 50.0),
                _p("surface", 30.0),
                _p("signage", 30.0),
            ),
            (EdgeRule("kerb_low_no_tactile", PENALTY, label=LOW_NO_TACTILE, penalty_m=100.0),),
            Label(
                "Et trin spærrer ikke. Manglende lydsignal, forhindringer i ganglinjen, "
                "manglende varselsfelter og dårlig belysning giver en omvej-straf.",
                "A step does not block. Silent signals, obstacles in the walking line, "
                "missing tactile warnings and poor lighting add a detour penalty.",
            ),
        ),
        Profile(
            Group.HEAR,
            (_p("lighting", 50.0),),
            (),
            Label(
                "Få barrierer på vejen rammer hørehandicappede; dårlig belysning giver en "
                "lille straf.",
                "Few barriers on the way affect hearing-impaired people; poor lighting adds "
                "a small penalty.",
            ),
        ),
        Profile(
            Group.ALLERGY,
            (),
            (),
            Label(
                "Ingen regler endnu: kendte barrierer på vejen ændrer ikke ruten.",
                "No rules yet: known barriers on the way do not change the route.",
            ),
        ),
        Profile(
            Group.COG,
            (_p("signage", 100.0), _p("contrast", 30.0), _p("lighting", 50.0)),
            (),
            Label(
                "Manglende eller uklar skiltning giver en omvej-straf.",
                "Missing or unclear signs add a detour penalty.",
            ),
        ),
        Profile(
            Group.READ,
            (_p("signage", 100.0), _p("easy_read", 50.0)),
            (),
            Label(
                "Skilte der kræver læsning giver en omvej-straf.",
                "Signs that need reading add a detour penalty.",
            ),
        ),
    )
}


def profile(code: str) -> Profile | None:
    """The profile of a group code (``WHEEL``, ``MOB``...), or None."""
    return PROFILES.get(code)


def published_profiles() -> dict[str, Any]:
    """The whole table as published at /api/v1/network/profiles."""
    return {
        "version": PROFILES_VERSION,
        "penalty_unit": "m",
        "rule": (
            "An edge is left out for a group when one of its rules blocks it; otherwise it "
            "costs its length plus its penalties in metres. The first site rule that fits a "
            "site decides."
        ),
        "profiles": [
            {
                "group": p.group.value,
                "label": GROUP_LABELS[p.group].as_dict(),
                "description": p.description.as_dict(),
                "site_rules": [r.as_dict() for r in p.site_rules],
                "edge_rules": [r.as_dict() for r in p.edge_rules],
            }
            for p in PROFILES.values()
        ],
    }
