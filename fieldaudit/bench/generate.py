"""A deterministic synthetic data set: N barrier reports placed realistically in Herlev.

Barriers are placed where their category occurs (kerbs and crossing signals along streets,
steps and toilets by public buildings and the station, surfaces and benches in parks, on
paths and in nature areas); each barrier is reported one or more times by different devices
spread over weeks, a few metres apart (GPS error), so duplicates form clusters. A few
volunteers tap twice within minutes (never merged). Every one of the 20 categories occurs,
with measurements around their Danish thresholds, tags, severities and affected groups.

The same seed gives the same reports on every machine (numpy's PCG64). No Flask, no database.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from fieldaudit.areas import AreaIndex as AreaLocator
from fieldaudit.areas import AreaShape
from fieldaudit.status import Status
from fieldaudit.taxonomy import CATEGORIES, COMMON_TAGS, MUNICIPALITY, Category, Group

START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 1000
GPS_SIGMA_M = 2.0

# How often each category is reported (relative weights; surfaces and obstacles dominate,
# as in Project Sidewalk's and FixMyStreet's data).
CATEGORY_WEIGHTS: dict[str, float] = {
    "step": 9,
    "missing_ramp": 5,
    "steep_ramp": 3,
    "missing_handrail": 4,
    "kerb": 12,
    "narrow_passage": 6,
    "surface": 16,
    "obstacle": 14,
    "heavy_door": 3,
    "toilet": 2,
    "parking": 4,
    "benches": 5,
    "tactile": 5,
    "contrast": 3,
    "lighting": 4,
    "crossing_signal": 2,
    "induction_loop": 1,
    "signage": 3,
    "easy_read": 1,
    "other": 2,
}

# Where a category's barriers are: weights over street (anywhere in the municipality),
# buildings (public buildings, station, squares) and green (parks, paths, nature, playgrounds).
STREET, BUILDINGS, GREEN = "street", "buildings", "green"
PLACE_KINDS: dict[str, tuple[str, ...]] = {
    BUILDINGS: ("public_building_surroundings", "station_surroundings", "square"),
    GREEN: ("park", "path", "nature_area", "playground"),
}
PLACES: dict[str, dict[str, float]] = {
    "step": {BUILDINGS: 0.7, STREET: 0.3},
    "missing_ramp": {BUILDINGS: 0.6, GREEN: 0.2, STREET: 0.2},
    "steep_ramp": {BUILDINGS: 0.5, GREEN: 0.3, STREET: 0.2},
    "missing_handrail": {BUILDINGS: 0.5, GREEN: 0.4, STREET: 0.1},
    "kerb": {STREET: 0.85, BUILDINGS: 0.15},
    "narrow_passage": {STREET: 0.4, GREEN: 0.4, BUILDINGS: 0.2},
    "surface": {GREEN: 0.7, STREET: 0.2, BUILDINGS: 0.1},
    "obstacle": {STREET: 0.5, GREEN: 0.3, BUILDINGS: 0.2},
    "heavy_door": {BUILDINGS: 1.0},
    "toilet": {BUILDINGS: 0.7, GREEN: 0.3},
    "parking": {BUILDINGS: 0.6, STREET: 0.4},
    "benches": {GREEN: 0.8, STREET: 0.2},
    "tactile": {STREET: 0.5, BUILDINGS: 0.5},
    "contrast": {BUILDINGS: 0.7, GREEN: 0.3},
    "lighting": {GREEN: 0.6, STREET: 0.4},
    "crossing_signal": {STREET: 1.0},
    "induction_loop": {BUILDINGS: 1.0},
    "signage": {BUILDINGS: 0.5, GREEN: 0.5},
    "easy_read": {BUILDINGS: 1.0},
    "other": {STREET: 0.4, GREEN: 0.4, BUILDINGS: 0.2},
}
SEVERITY_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "kerb": (0.2, 0.4, 0.4),
    "step": (0.2, 0.4, 0.4),
    "missing_ramp": (0.1, 0.3, 0.6),
    "toilet": (0.1, 0.3, 0.6),
    "surface": (0.4, 0.4, 0.2),
    "obstacle": (0.4, 0.4, 0.2),
    "benches": (0.5, 0.4, 0.1),
}
DEFAULT_SEVERITY_WEIGHTS = (0.35, 0.45, 0.2)
SEVERITY_CODES = ("low", "medium", "high")

WHERE_DA = {STREET: "ved vejen", BUILDINGS: "ved indgangen", GREEN: "på stien"}


@dataclass(slots=True)
class SyntheticReport:
    """One generated report, with its EPSG:25832 position and UTC times."""

    id: int
    uuid: str
    content_hash: str
    x: float
    y: float
    accuracy_m: float
    category: str
    severity: str
    groups: list[str]
    tags: list[str]
    measurements: dict[str, dict[str, Any]]
    description: str
    created_at: datetime
    received_at: datetime
    device_token_hash: str
    status: str
    barrier: int
    area_id: int | None = None
    site_id: int | None = None


@dataclass
class Dataset:
    """Generated reports (in arrival order, ids 1..N) and what they were made from."""

    seed: int
    reports: list[SyntheticReport]
    barrier_count: int
    device_count: int
    same_device_pairs: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


def _sample_in(geometry: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` uniform random points inside a polygon (rejection sampling), shape (count, 2)."""
    minx, miny, maxx, maxy = geometry.bounds
    shapely.prepare(geometry)
    chosen: list[np.ndarray] = []
    have = 0
    ratio = max(geometry.area / ((maxx - minx) * (maxy - miny)), 0.05)
    while have < count:
        batch = int((count - have) / ratio * 1.2) + 16
        xs = rng.uniform(minx, maxx, batch)
        ys = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(geometry, xs, ys)
        chosen.append(np.column_stack([xs[keep], ys[keep]]))
        have += int(keep.sum())
    return np.concatenate(chosen)[:count]


def _report_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    """How many reports each barrier gets: mostly one or two, a few popular ones many."""
    counts: list[np.ndarray] = []
    total = 0
    while total < n:
        batch = rng.geometric(0.45, size=max(16, n // 2))
        popular = rng.random(len(batch)) < 0.01
        batch[popular] += rng.integers(5, 30, size=int(popular.sum()))
        counts.append(batch)
        total += int(batch.sum())
    flat = np.concatenate(counts)
    cumulative = np.cumsum(flat)
    last = int(np.searchsorted(cumulative, n))
    flat = flat[: last + 1].copy()
    flat[-1] -= int(cumulative[last]) - n
    return flat[flat > 0]


def _measure(cat: Category, rng: np.random.Generator) -> dict[str, tuple[float, str]]:
    """A barrier's true measurements (mostly breaking the rule), by key."""
    values: dict[str, tuple[float, str]] = {}
    for m in cat.measurements:
        rule = m.threshold
        if rule is None:
            value = rng.uniform(m.minimum + 1, m.minimum + (m.maximum - m.minimum) * 0.3)
        elif rule.limit == 0:
            value = rng.uniform(2, 60)
        else:
            broken = rng.random() < 0.75
            if rule.kind == "max":
                value = rule.limit * (rng.uniform(1.1, 4.0) if broken else rng.uniform(0.3, 0.95))
            else:
                value = rule.limit * (rng.uniform(0.4, 0.95) if broken else rng.uniform(1.05, 1.6))
        values[m.key] = (float(min(max(value, m.minimum), m.maximum)), m.unit)
    return values


def generate(
    n: int,
    areas: Sequence[AreaShape],
    seed: int = 7,
    start: datetime = START,
    days: int = DAYS,
) -> Dataset:
    """Generate ``n`` reports in Herlev's ``areas`` (the municipal boundary among them)."""
    rng = np.random.default_rng(seed)
    boundary = next((a.geometry for a in areas if a.kind == MUNICIPALITY), None)
    if boundary is None:
        boundary = shapely.unary_union([a.geometry for a in areas]).envelope
    places: dict[str, list[AreaShape]] = {
        kind: [a for a in areas if a.kind in kinds] for kind, kinds in PLACE_KINDS.items()
    }
    counts = _report_counts(n, rng)
    barrier_count = len(counts)
    codes = [c.code for c in CATEGORIES]
    by_code = {c.code: c for c in CATEGORIES}
    weights = np.array([CATEGORY_WEIGHTS[c] for c in codes], dtype=float)
    barrier_cat = rng.choice(len(codes), size=barrier_count, p=weights / weights.sum())

    # Where each barrier is: a place class per its category, then an area (by importance
    # and size) or, for streets, anywhere inside the municipality.
    place_of = np.empty(barrier_count, dtype=object)
    for index, code in enumerate(codes):
        mine = np.flatnonzero(barrier_cat == index)
        classes = [k for k in PLACES[code] if k == STREET or places.get(k)]
        if not classes:
            classes = [STREET]
        p = np.array([PLACES[code].get(k, 0.0) for k in classes])
        p = p / p.sum() if p.sum() > 0 else np.full(len(classes), 1 / len(classes))
        place_of[mine] = np.array(classes, dtype=object)[rng.choice(len(classes), len(mine), p=p)]
    bx = np.empty(barrier_count)
    by = np.empty(barrier_count)
    where = np.empty(barrier_count, dtype=object)
    for klass in (STREET, BUILDINGS, GREEN):
        mine = np.flatnonzero(place_of == klass)
        if not len(mine):
            continue
        if klass == STREET:
            xy = _sample_in(boundary, len(mine), rng)
            bx[mine], by[mine] = xy[:, 0], xy[:, 1]
            where[mine] = ""
            continue
        candidates = places[klass]
        w = np.array([a.importance * math.sqrt(a.geometry.area) for a in candidates])
        chosen = rng.choice(len(candidates), len(mine), p=w / w.sum())
        for area_index, area in enumerate(candidates):
            sub = mine[chosen == area_index]
            if len(sub):
                xy = _sample_in(area.geometry, len(sub), rng)
                bx[sub], by[sub] = xy[:, 0], xy[:, 1]
                where[sub] = area.name

    severity_base = np.empty(barrier_count, dtype=np.int64)
    for index, code in enumerate(codes):
        mine = np.flatnonzero(barrier_cat == index)
        p = SEVERITY_WEIGHTS.get(code, DEFAULT_SEVERITY_WEIGHTS)
        severity_base[mine] = rng.choice(3, len(mine), p=p)
    first_seen = rng.uniform(0, days * 86400, barrier_count)

    device_count = max(50, n // 25)
    devices = [
        hashlib.sha256(f"bench-device-{i}".encode()).hexdigest() for i in range(device_count)
    ]
    all_groups = [g.value for g in Group]
    common_tag_p = {"no_alternative_route": 0.12, "temporary": 0.04, "seasonal": 0.03}
    assert {t.code for t in COMMON_TAGS} == set(common_tag_p)

    total = int(counts.sum())
    barrier_of = np.repeat(np.arange(barrier_count), counts)
    order_in_barrier = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    noise = rng.normal(0, GPS_SIGMA_M, size=(total, 2))
    accuracy = np.clip(np.round(rng.lognormal(math.log(6), 0.5, total), 1), 2, 60)
    later = rng.exponential(25 * 86400, total)
    device_pick = (device_count * rng.random(total) ** 2).astype(np.int64)
    double_tap = rng.random(total) < 0.03
    tap_delay = rng.uniform(60, 540, total)
    offline = rng.random(total) < 0.2
    delay = np.where(offline, rng.exponential(7200, total), rng.uniform(0.2, 3, total))
    severity_jitter = rng.choice([-1, 0, 0, 0, 0, 0, 1], total)
    status_draw = rng.random(total)
    uniform = rng.random((total, 16))
    raw_uuids = rng.integers(0, 256, size=(total, 16), dtype=np.uint8)
    raw_uuids[:, 6] = (raw_uuids[:, 6] & 0x0F) | 0x40  # version 4
    raw_uuids[:, 8] = (raw_uuids[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    measure_cache: dict[int, dict[str, tuple[float, str]]] = {}

    # Plain Python values: numpy scalars are slow one at a time.
    barrier_of_l = barrier_of.tolist()
    order_l = order_in_barrier.tolist()
    cat_of_barrier = [codes[c] for c in barrier_cat.tolist()]
    place_l = place_of.tolist()
    where_l = where.tolist()
    bx_l, by_l = bx.tolist(), by.tolist()
    first_l = first_seen.tolist()
    sev_l = severity_base.tolist()
    noise_l = noise.tolist()
    accuracy_l = accuracy.tolist()
    later_l = later.tolist()
    device_l = device_pick.tolist()
    tap_l = double_tap.tolist()
    tap_delay_l = tap_delay.tolist()
    delay_l = delay.tolist()
    jitter_l = severity_jitter.tolist()
    status_l = status_draw.tolist()
    uniform_l = uniform.tolist()
    cat_groups = {c.code: [g.value for g in c.groups] for c in CATEGORIES}
    cat_tags = {c.code: [t.code for t in c.tags] for c in CATEGORIES}
    limits = {c.code: {m.key: (m.minimum, m.maximum) for m in c.measurements} for c in CATEGORIES}
    common = list(common_tag_p.items())
    rejected, verified, new = Status.REJECTED.value, Status.VERIFIED.value, Status.NEW.value
    start_ts = start.timestamp()

    rows: list[SyntheticReport] = []
    same_device_pairs = 0
    for i in range(total):
        b = barrier_of_l[i]
        j = order_l[i]
        code = cat_of_barrier[b]
        if j == 0:
            seconds = first_l[b]
            device = device_l[i]
        elif j == 1 and tap_l[i]:
            seconds = first_l[b] + tap_delay_l[i]
            device = device_l[i - 1]
            same_device_pairs += 1
        else:
            seconds = first_l[b] + later_l[i]
            device = device_l[i]
        created = start + timedelta(seconds=seconds)
        received = created + timedelta(seconds=delay_l[i])
        severity = SEVERITY_CODES[min(2, max(0, sev_l[b] + jitter_l[i]))]
        u = uniform_l[i]
        groups = cat_groups[code]
        if u[0] < 0.2 or not groups:
            extra = all_groups[int(u[0] * 5 * len(all_groups)) % len(all_groups)]
            groups = sorted({*groups, extra})
        else:
            groups = sorted(groups)
        tags = [t for k, t in enumerate(cat_tags[code]) if u[2 + k] < 0.3][:2]
        for k, (tag, p) in enumerate(common):
            if u[8 + k] < p:
                tags.append(tag)
        tags.sort()
        if b not in measure_cache:
            measure_cache[b] = _measure(by_code[code], rng)
        measurements = {}
        for k, (key, (value, unit)) in enumerate(measure_cache[b].items()):
            if u[11 + k] < 0.6:
                low, high = limits[code][key]
                measured = min(max(value * (1 + 0.1 * (u[14 + k % 2] - 0.5)), low), high)
                measurements[key] = {"value": round(measured, 1), "unit": unit}
        klass = place_l[b]
        place = where_l[b] or WHERE_DA[STREET]
        if code == "other":
            description = f"Anden barriere {WHERE_DA[klass]} ({place})."
        elif u[1] < 0.3:
            description = ""
        else:
            description = f"{by_code[code].label.da} {WHERE_DA[klass]} ({place})."
        draw = status_l[i]
        # A steady state: most reports reviewed (the public map shows verified sites only).
        status = rejected if draw < 0.02 else new if draw < 0.12 else verified
        h = raw_uuids[i].tobytes().hex()
        report_uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        x = bx_l[b] + noise_l[i][0]
        y = by_l[b] + noise_l[i][1]
        digest = hashlib.sha256(
            f"{report_uuid}|{x:.3f}|{y:.3f}|{code}|{severity}|{start_ts + seconds:.6f}".encode()
        ).hexdigest()
        rows.append(
            SyntheticReport(
                0,
                report_uuid,
                digest,
                x,
                y,
                accuracy_l[i],
                code,
                severity,
                groups,
                tags,
                measurements,
                description,
                created,
                received,
                devices[device],
                status,
                b,
            )
        )
    rows.sort(key=lambda r: r.received_at)
    for number, row in enumerate(rows, 1):
        row.id = number
    return Dataset(seed, rows, barrier_count, device_count, same_device_pairs)


def locate_areas(reports: Sequence[SyntheticReport], locator: AreaLocator) -> None:
    """Fill each report's ``area_id`` as ``store_report`` would."""
    xs = np.fromiter((r.x for r in reports), dtype=float, count=len(reports))
    ys = np.fromiter((r.y for r in reports), dtype=float, count=len(reports))
    for report, area_id in zip(reports, locator.locate_many(xs, ys), strict=True):
        report.area_id = area_id
