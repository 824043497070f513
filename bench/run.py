"""Run the benchmarks, print a table against goals and baseline, write bench/results.json.

    python -m bench.run                       # everything (make bench), about 8 minutes
    python -m bench.run --only refresh dst    # some of: refresh live ingest programme dst queries
    python -m bench.run --only evaluation     # the effect estimator on the 50,000-firm panel
    python -m bench.run --sizes 10000 100000  # smaller programme sets (quick check)
    python -m bench.run --update-baseline     # ... and write the figures to bench/baseline.json

A figure more than 25 % worse than bench/baseline.json (and worse by more than a small noise
floor) is reported with a REGRESSION line. The exit code is 0 unless the runner itself breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime

from bench.common import (
    BASELINE_PATH,
    NOISE_FLOOR,
    REGRESSION_FACTOR,
    RESULTS_PATH,
    RUNS_DIR,
    Figure,
    fmt,
    machine,
    regression,
)

GROUPS = ("refresh", "queries", "live", "ingest", "programme", "dst", "evaluation")
BUSY_LOAD = 0.7  # 1-minute load average above which timings are flagged as unreliable


def log(message: str) -> None:
    print(message, flush=True)


def run_groups(groups: list[str], sizes: tuple[int, ...] | None) -> list[Figure]:
    from bench import dst_stream, evaluation, programme_ingest, queries, refresh

    figures: list[Figure] = []
    published = None
    for group in GROUPS:
        if group not in groups:
            continue
        started = time.perf_counter()
        if group == "refresh":
            log("[1+2] full and no-op refresh, snapshot mode")
            found, data_dir = refresh.bench_refresh("snapshot", log)
            figures += found
            if data_dir is not None:
                published = data_dir / "published" / "klynge.duckdb"
        elif group == "queries":
            log("[5] analyst queries on the published DuckDB file")
            if published is None:  # --only queries: the last full refresh's release, if kept
                published = RUNS_DIR / "refresh_snapshot" / "data" / "published" / "klynge.duckdb"
            figures += queries.bench_queries(published)
        elif group == "live":
            log("[1+2] full and no-op refresh, live mode against a local fake DST API")
            figures += refresh.bench_refresh("live", log)[0]
        elif group == "ingest":
            log("[3a] programme ingest alone")
            figures += programme_ingest.bench_programme_ingest(
                log, sizes or programme_ingest.INGEST_SIZES, refresh.programme_set
            )
        elif group == "programme":
            log("[3] programme scale")
            figures += refresh.bench_programme(log, sizes or refresh.PROGRAMME_SIZES)
        elif group == "dst":
            log("[4] DST streaming, 5,000,000 cells")
            figures += dst_stream.bench_dst_stream(log)
        elif group == "evaluation":
            log("[6] effect estimator on the 50,000-firm synthetic panel")
            figures += evaluation.bench_evaluation(log)
        log(f"    ({time.perf_counter() - started:.0f} s)")
    return figures


def load_baseline() -> dict:
    try:
        return json.loads(BASELINE_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def print_table(figures: list[Figure], base: dict[str, dict]) -> list[str]:
    """The table; returns the REGRESSION lines."""
    header = ("figure", "value", "goal", "result", "vs baseline", "note")
    rows: list[tuple[str, ...]] = []
    regressions: list[str] = []
    current = None
    for f in figures:
        if f.benchmark != current:
            rows.append((f"== {f.benchmark}",))
            current = f.benchmark
        change, regressed = regression(f, base.get(f.key))
        if change is None:
            versus = "" if f.key not in base else "n/a"
        else:
            versus = "inf" if change == float("inf") else f"{change * 100:+.0f} %"
        if regressed:
            regressions.append(
                f"REGRESSION: {f.benchmark} / {f.name.strip()} [{f.key}]: baseline "
                f"{fmt(Figure('', '', '', base[f.key]['value'], f.unit))} -> now {fmt(f)} "
                f"({versus})"
            )
            versus += " REGRESSION"
        result = {True: "pass", False: "FAIL", None: ""}[f.passed]
        if f.error:
            result = "FAIL (run failed)"
        rows.append((f.name, fmt(f), f.goal_text, result, versus, f.note))
    data = [r for r in rows if len(r) > 1]
    widths = [max(len(r[i]) for r in [header, *data]) for i in range(len(header) - 1)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)) + "  note"
    print("\n" + line)
    print("-" * len(line))
    for row in rows:
        if len(row) == 1:
            print(row[0])
        else:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[5])
    return regressions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=GROUPS,
        metavar="GROUP",
        help=f"run only these groups ({', '.join(GROUPS)})",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        metavar="N",
        help="programme participant counts (default 10000 100000 1000000; ingest: 1000000)",
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="write this run's figures to bench/baseline.json",
    )
    args = parser.parse_args(argv)
    groups = list(args.only or GROUPS)

    started_at = datetime.now(UTC)
    started = time.perf_counter()
    host = machine()
    load_before = os.getloadavg()[0]
    log(
        f"machine: {host['cpu_count']} cores, {host['mem_total_mb']:,} MB RAM, "
        f"{host['platform']}, Python {host['python']}, DuckDB {host['duckdb']}, "
        f"commit {host['git_commit']}{' (dirty)' if host['git_dirty'] else ''}"
    )
    if load_before > BUSY_LOAD:
        log(
            f"WARNING: load average {load_before:.2f} before the run: other processes are "
            "using the CPU, timings will be slower and noisier than on an idle machine"
        )
    figures = run_groups(groups, tuple(args.sizes) if args.sizes else None)
    load_after = os.getloadavg()[0]
    duration = time.perf_counter() - started

    baseline = load_baseline()
    base = baseline.get("figures", {})
    log(
        f"\nmachine: {host['cpu_count']} cores, {host['mem_total_mb']:,} MB RAM; "
        f"baseline: {BASELINE_PATH.name} "
        + (
            f"from {baseline.get('generated_at', '?')} on {baseline['machine']['cpu_count']} "
            f"cores, {baseline['machine']['mem_total_mb']:,} MB"
            if baseline
            else "(none)"
        )
    )
    if baseline and (
        baseline["machine"].get("cpu_count"),
        baseline["machine"].get("mem_total_mb"),
    ) != (host["cpu_count"], host["mem_total_mb"]):
        log("NOTE: the baseline was measured on a different machine; compare with care")
    regressions = print_table(figures, base)
    missed = [f for f in figures if f.passed is False]

    print(
        f"\n{sum(f.passed is True for f in figures)} goals met, {len(missed)} missed; "
        f"{len(regressions)} regressions (> {(REGRESSION_FACTOR - 1) * 100:.0f} % worse than "
        f"the baseline); {duration:.0f} s in all; load average {load_before:.2f} before, "
        f"{load_after:.2f} after"
    )
    for f in missed:
        print(
            f"  missed: {f.benchmark} / {f.name.strip()}: {fmt(f)} (goal {f.goal_text})"
            + (f" - {f.error}" if f.error else "")
        )
    if regressions:
        print("\n" + "!" * 100)
        for line in regressions:
            print(line)
        if load_before > BUSY_LOAD:
            print(
                f"(the load average was {load_before:.2f} before this run: other processes "
                "were using the CPU; re-run on an idle machine before trusting these)"
            )
        print("!" * 100)

    results = {
        "generated_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(duration, 1),
        "groups": groups,
        "machine": host,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        "regression_rule": {"factor": REGRESSION_FACTOR, "noise_floor": NOISE_FLOOR},
        "figures": [],
        "goals_missed": [f.key for f in missed],
        "regressions": regressions,
    }
    for f in figures:
        data = f.to_json()
        previous = base.get(f.key)
        change, regressed = regression(f, previous)
        data["baseline"] = previous.get("value") if previous else None
        data["change_vs_baseline"] = None if change in (None, float("inf")) else round(change, 4)
        data["regression"] = regressed
        results["figures"].append(data)
    RESULTS_PATH.write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"\nwrote {RESULTS_PATH.relative_to(RESULTS_PATH.parent.parent)}")

    if args.update_baseline:
        merged = dict(base)
        for f in figures:
            if f.value is not None and not f.error:
                merged[f.key] = {
                    "value": round(f.value, 4),
                    "unit": f.unit,
                    "benchmark": f.benchmark,
                    "name": f.name.strip(),
                }
        BASELINE_PATH.write_text(
            json.dumps(
                {
                    "generated_at": started_at.isoformat(timespec="seconds"),
                    "machine": host,
                    "load_average_before": round(load_before, 2),
                    "figures": dict(sorted(merged.items())),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
        print(
            f"updated {BASELINE_PATH.relative_to(BASELINE_PATH.parent.parent)} "
            f"({len(figures)} figures from this run, {len(merged)} in all)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
