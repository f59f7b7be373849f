"""Printing benchmark figures as a table and writing ``docs/benchmarks.md``.

Every run's figures are kept in a JSON file beside the document (``docs/benchmarks.json``),
keyed by database, N, benchmark and figure, so a run at one size or on one database replaces
only its own rows and the document is always drawn from measured samples.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scripts.bench.figures import Figure, percentile


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def table(figures: Sequence[Figure]) -> str:
    """A plain-text table for the terminal."""
    lines = [
        f"{'db':<10} {'N':>9}  {'benchmark':<32} {'figure':<36} {'median ms':>10} "
        f"{'p95 ms':>9} {'raw ms':>9} {'ratio':>7}"
    ]
    for f in figures:
        ratio = f"{f.ratio:.1f}x" if f.ratio else "–"
        lines.append(
            f"{f.database:<10} {f.n:>9,}  {f.benchmark[:32]:<32} {f.name[:36]:<36} "
            f"{_ms(f.median_ms):>10} {_ms(f.p95_ms):>9} {_ms(f.baseline_ms):>9} {ratio:>7}"
        )
    return "\n".join(lines)


def _key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["database"], record["n"], record["benchmark"], record["name"])


def merge(store: Path, figures: Sequence[Figure], run: dict[str, Any]) -> dict[str, Any]:
    """Add this run's figures to the JSON store (replacing the same keys); return the store."""
    data: dict[str, Any] = {"runs": [], "figures": []}
    if store.exists():
        data = json.loads(store.read_text(encoding="utf-8"))
    fresh = {_key(f.as_dict()): {**f.as_dict(), "run": len(data["runs"])} for f in figures}
    data["figures"] = [r for r in data["figures"] if _key(r) not in fresh] + list(fresh.values())
    data["runs"].append(run)
    store.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def _row(record: dict[str, Any]) -> str:
    samples = record["samples"]
    median = statistics.median(samples) * 1000
    p95 = percentile(samples, 95) * 1000
    base = statistics.median(record["baseline"]) * 1000 if record["baseline"] else None
    ratio = f"{median / base:.1f}x" if base else "–"
    return (
        f"| {record['database']} | {record['n']:,} | {record['benchmark']} | {record['name']} "
        f"| {_ms(median)} | {_ms(p95)} | {len(samples)} | {record['baseline_name'] or '–'} "
        f"| {_ms(base)} | {ratio} | {record['goal'] or '–'} | {record['note'] or ''} |"
    )


def render(data: dict[str, Any], intro: str, outro: str) -> str:
    """The Markdown document: intro, one table per N, the runs' machines, then ``outro``."""
    parts = [intro.rstrip(), ""]
    sizes = sorted({r["n"] for r in data["figures"]})
    for n in sizes:
        parts += [
            f"### N = {n:,} reports" if n else "### Independent of N",
            "",
            "| database | N | benchmark | figure | median ms | p95 ms | runs | raw baseline "
            "| raw median ms | ratio | goal | note |",
            "| --- | ---: | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |",
        ]
        rows = [r for r in data["figures"] if r["n"] == n]
        rows.sort(key=lambda r: (r["benchmark"], r["database"], r["name"]))
        parts += [_row(r) for r in rows]
        parts.append("")
    parts += ["### The runs behind these figures", ""]
    for number, run in enumerate(data["runs"]):
        if not any(r.get("run") == number for r in data["figures"]):
            continue
        parts.append(
            f"- run {number}: {run['date']}; {run['cores']} cores, {run['ram_gb']} GB RAM, "
            f"{run['cpu']}; Python {run['python']}; {run['databases']}; N = {run['sizes']}; "
            f"load average at start {run['load']}"
            f"{'; ' + run['comment'] if run.get('comment') else ''}"
        )
    parts += ["", outro.strip(), ""]
    return "\n".join(parts)
