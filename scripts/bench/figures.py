"""What every benchmark shares: a ``Figure`` and its percentiles, the ``Loaded`` database a
suite runs on, timing and sampling helpers."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask import Flask

from fieldaudit.bench.generate import Dataset
from fieldaudit.extensions import db
from scripts.bench.environment import BenchDatabase

VIEWPORT_M = 500.0
DUPLICATE_RADIUS_M = 30.0


@dataclass
class Figure:
    """One measured figure: samples (seconds) and, when there is one, its raw baseline."""

    benchmark: str
    name: str
    database: str
    n: int
    samples: list[float]
    baseline_name: str = ""
    baseline: list[float] = field(default_factory=list)
    goal: str = ""
    note: str = ""

    @property
    def median_ms(self) -> float:
        """Median in milliseconds."""
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        """95th percentile in milliseconds."""
        return percentile(self.samples, 95) * 1000

    @property
    def baseline_ms(self) -> float | None:
        """Median of the baseline in milliseconds."""
        return statistics.median(self.baseline) * 1000 if self.baseline else None

    @property
    def ratio(self) -> float | None:
        """App median over baseline median."""
        base = self.baseline_ms
        return self.median_ms / base if base else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (samples kept, so the report can be redrawn)."""
        return {
            "benchmark": self.benchmark,
            "name": self.name,
            "database": self.database,
            "n": self.n,
            "samples": self.samples,
            "baseline_name": self.baseline_name,
            "baseline": self.baseline,
            "goal": self.goal,
            "note": self.note,
        }


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


@dataclass
class Loaded:
    """A benchmark database holding a generated data set."""

    kind: str
    n: int
    app: Flask
    database: BenchDatabase
    dataset: Dataset
    site_count: int
    load_timings: dict[str, float]
    prepare_timings: dict[str, float]


def raw_connection(app: Flask) -> Any:
    """The driver connection of the app's database (a pooled DB-API connection)."""
    return db.engine.raw_connection()


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """How long ``function`` took (seconds), and what it returned."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def sample_points(loaded: Loaded, runs: int, seed: int) -> list[Any]:
    """``runs`` reports of the data set, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    reports = loaded.dataset.reports
    return [reports[int(i)] for i in rng.integers(0, len(reports), runs)]
