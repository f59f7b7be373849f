"""Run FieldAudit's benchmarks and write docs/benchmarks.md (issue 7).

For each size and database: a new database (PostGIS: fieldaudit_bench_<N>, SpatiaLite: a file
under /tmp/fieldaudit_bench), N generated reports bulk loaded with their sites, then every
database-level benchmark with its raw baseline; plus the first start of a new SpatiaLite file
(scripts/bench/first_start.py). Figures go to docs/benchmarks.json (merged by database, N
and figure) and docs/benchmarks.md is redrawn from it. The databases are dropped afterwards.

Usage:
  .venv/bin/python scripts/bench/run_all.py --sizes 100000 --databases spatialite,postgis
  .venv/bin/python scripts/bench/run_all.py --sizes 1000000 --runs 20 --rebuild-max 0
  .venv/bin/python scripts/bench/run_all.py --only submission,photo,payload --first-start-runs 0
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench import suites  # noqa: E402
from scripts.bench.environment import database_versions, machine  # noqa: E402
from scripts.bench.figures import Figure  # noqa: E402
from scripts.bench.report import merge, render, table  # noqa: E402

INTRO_FILE = Path(__file__).with_name("benchmarks_intro.md")
OUTRO_FILE = Path(__file__).with_name("benchmarks_outro.md")
NETWORK_FILE = Path(__file__).with_name("benchmarks_network.md")


def load_first_start() -> object:
    """scripts/bench/first_start.py as a module (it lives beside this script)."""
    spec = importlib.util.spec_from_file_location(
        "first_start", Path(__file__).with_name("first_start.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_first_start(runs: int) -> list[Figure]:
    """8. First start of a new SpatiaLite database vs InitSpatialMetaData alone."""
    first_start = load_first_start()
    totals: list[float] = []
    raws: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            _init, _schema, total = first_start.one_run(Path(tmp))  # type: ignore[attr-defined]
            totals.append(total)
            raws.append(first_start.raw_baseline(Path(tmp)))  # type: ignore[attr-defined]
    return [
        Figure(
            "8 first start (new SpatiaLite file)",
            "spatialite init + all migrations",
            "spatialite",
            0,
            totals,
            "raw InitSpatialMetaData(1, 'EMPTY')",
            raws,
            "< 1 s",
        )
    ]


def compare_keep(kind: str, n: int, seed: int, loaded: suites.Loaded) -> list[Figure]:
    """7b. The same bulk load with every index, constraint and trigger live."""
    print(f"{kind} N={n:,}: bulk load with every index live ...", flush=True)
    other = suites.prepare(
        kind, n, seed, strategy="keep", dataset=loaded.dataset, name=f"fieldaudit_bench_{n}_keep"
    )
    suites.dispose(other)
    timings = other.load_timings
    return [
        Figure(
            "7 bulk load with indexes",
            "strategy keep (indexes live)",
            kind,
            n,
            [timings["total"]],
            "strategy rebuild",
            [loaded.load_timings["total"]],
            "< 60 s at 1M",
            ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total"),
        )
    ]


def sites_at(commit: str) -> dict[str, object]:
    """fieldaudit/sites.py as it was at ``commit``, as a module of its own (read with git)."""
    source = subprocess.run(
        ["git", "show", f"{commit}:fieldaudit/sites.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    short = subprocess.run(
        ["git", "rev-parse", "--short", commit],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    module = types.ModuleType(f"fieldaudit_sites_{short}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"sites.py@{short}", "exec"), module.__dict__)
    return {f"sites.py at {short} (before)": module}


SERVICE_BENCHMARKS = ("submission", "photo", "payload")


def bench_service(args: argparse.Namespace, only: set[str] | None) -> tuple[list[Figure], dict]:
    """4. submission (per database), 5. photo ingest and 8b. the PWA payload (no N needed)."""
    from scripts.bench.payload import bench_payload
    from scripts.bench.photo_ingest import bench_photo_ingest
    from scripts.bench.submission import bench_submission, profile_submission

    figures: list[Figure] = []
    profiles: dict[str, str] = {}
    wanted = [b for b in SERVICE_BENCHMARKS if only is None or b in only]
    if "payload" in wanted:
        print("PWA payload ...", flush=True)
        figures += bench_payload()
    if "photo" in wanted:
        print("photo ingest ...", flush=True)
        figures += bench_photo_ingest(args.photo_runs)
    if "submission" in wanted:
        for kind in args.databases.split(","):
            print(f"{kind}: report submission throughput ...", flush=True)
            figures += bench_submission(
                kind,
                runs=args.submission_runs,
                seconds=args.submission_seconds,
                workers=args.submission_workers,
                threads=args.submission_threads,
                connections=args.submission_connections,
            )
            if args.profile:
                profiles[kind] = profile_submission(kind)
    return figures, profiles


def write_document(data: dict, doc: Path) -> None:
    """docs/benchmarks.md from the stored figures, the intro, the outro and the profiles."""
    outro = OUTRO_FILE.read_text(encoding="utf-8")
    if data.get("profiles"):
        outro += "\n\n## Where sites.join_site spends its time (measured)\n\n" + "\n\n".join(
            data["profiles"].values()
        )
    if data.get("submission_profiles"):
        outro += "\n\n## Where a report submission spends its time (measured)\n\n" + "\n\n".join(
            data["submission_profiles"].values()
        )
    # The step-free network's figures come from scripts/bench/route.py, network_impact.py and
    # whatif.py (no database, no N): written by hand from their output, kept in their own file.
    outro += "\n\n" + NETWORK_FILE.read_text(encoding="utf-8")
    doc.write_text(render(data, INTRO_FILE.read_text(encoding="utf-8"), outro), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated N")
    parser.add_argument("--databases", default="spatialite,postgis")
    parser.add_argument("--runs", type=int, default=30, help="repetitions per figure")
    parser.add_argument(
        "--rebuild-max",
        type=int,
        default=1_000_000,
        help="run the full sites rebuild only up to this N (default 1,000,000)",
    )
    parser.add_argument("--first-start-runs", type=int, default=10)
    parser.add_argument(
        "--only",
        help="comma-separated benchmarks: bulk load, viewport, zoomed out, duplicate check, "
        "site join, rebuild, submission, photo, payload (default: all)",
    )
    parser.add_argument("--submission-runs", type=int, default=5)
    parser.add_argument("--submission-seconds", type=float, default=10.0)
    parser.add_argument("--submission-workers", type=int, default=4)
    parser.add_argument("--submission-threads", type=int, default=2)
    parser.add_argument("--submission-connections", type=int, default=16)
    parser.add_argument("--photo-runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="profile sites.join_site")
    parser.add_argument(
        "--compare-strategies",
        action="store_true",
        help="also bulk load with every index live ('keep') for comparison",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--compare-sites-from",
        metavar="COMMIT",
        help="also time join_site and rebuild_sites of fieldaudit/sites.py at this commit",
    )
    parser.add_argument(
        "--merge-from",
        type=Path,
        help="also keep the figures of another run's JSON store (e.g. an earlier code version)",
    )
    parser.add_argument("--merge-label", default="", help="appended to the merged figures' names")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--comment", default="")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--store", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="only write the document again from the store (after editing the intro or outro)",
    )
    args = parser.parse_args()
    if args.render_only:
        write_document(json.loads(args.store.read_text(encoding="utf-8")), args.doc)
        print(f"wrote {args.doc}")
        return

    variants = sites_at(args.compare_sites_from) if args.compare_sites_from else None
    run = machine()
    started = time.perf_counter()
    figures: list[Figure] = []
    versions: list[str] = []
    profiles: list[str] = []
    if args.first_start_runs:
        print("first start ...")
        figures += bench_first_start(args.first_start_runs)
    only = set(args.only.split(",")) if args.only else None
    service_figures, service_profiles = bench_service(args, only)
    figures += service_figures
    sizes = args.sizes if only is None or only - set(SERVICE_BENCHMARKS) else ""
    for n in (int(v) for v in sizes.split(",") if v):
        dataset = None
        for kind in args.databases.split(","):
            print(f"{kind} N={n:,}: generate, cluster and load ...", flush=True)
            loaded = suites.prepare(kind, n, args.seed, dataset=dataset)
            dataset = loaded.dataset
            print(
                "  prepared: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in loaded.prepare_timings.items())
                + "; load: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in loaded.load_timings.items()),
                flush=True,
            )
            versions.append(database_versions(loaded.app))
            if args.compare_strategies:
                figures += compare_keep(kind, n, args.seed, loaded)
            try:
                figures += suites.run_suite(
                    loaded,
                    args.runs,
                    rebuild=n <= args.rebuild_max,
                    progress=lambda s: print(s, flush=True),
                    variants=variants,
                    only=set(args.only.split(",")) if args.only else None,
                )
                if args.profile:
                    profiles.append(suites.profile_join(loaded))
            finally:
                suites.dispose(loaded, drop=not args.keep)
        if dataset is not None:
            print(
                f"  data set: {len(dataset.reports):,} reports, {dataset.barrier_count:,} "
                f"barriers, {dataset.device_count:,} devices",
                flush=True,
            )
        del dataset
    print()
    print(table(figures))
    run.update(
        {
            "databases": "; ".join(sorted(set(versions)))
            or (args.databases if service_figures else "SpatiaLite only"),
            "sizes": sizes or "none (benchmarks independent of N)",
            "comment": args.comment,
            "seconds": round(time.perf_counter() - started),
        }
    )
    if args.merge_from:
        other = json.loads(args.merge_from.read_text(encoding="utf-8"))
        label = f" ({args.merge_label})" if args.merge_label else ""
        earlier = []
        for record in other["figures"]:
            record = {**record, "name": record["name"] + label}
            record.pop("run", None)
            earlier.append(Figure(**record))
        earlier_run = other["runs"][-1]
        comment = "; ".join(filter(None, [earlier_run.get("comment"), args.merge_label]))
        merge(args.store, earlier, {**earlier_run, "comment": comment})
    data = merge(args.store, figures, run)
    if service_profiles:
        data.setdefault("submission_profiles", {}).update(service_profiles)
        args.store.write_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if profiles:
        data.setdefault("profiles", {})
        for text in profiles:
            data["profiles"][text.split(";")[0]] = text
        args.store.write_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    write_document(data, args.doc)
    print(f"\nwrote {args.doc}")


if __name__ == "__main__":
    main()
