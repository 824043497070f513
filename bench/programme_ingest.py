"""Benchmark 3a: programme ingest alone (check and load the generated files), per size.

    python -m bench.programme_ingest INBOUND_DIR WORK_DIR   # one ingest: the measured process

Each run is a fresh process under ``bench.measure`` (so its peak RSS is its own) that calls
``ingest_programme`` on a copy of the generated set, into an empty warehouse in ``WORK_DIR``:
discover, settle, every single-file check, unique keys and references, and the one-transaction
load into ``raw.programme_*``; no Dagster, dbt or DST. "check + load" is the time inside
``ingest_programme`` (what a refresh's programme step spends beyond its imports); the process
wall time adds interpreter start-up and imports.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import PYTHON, RUNS_DIR, Figure, fresh_dir, log_tail, run_measured

INGEST_SIZES = (1_000_000,)
INGEST_GOAL_S = 5.0  # goals for the largest size: checked and loaded ...
INGEST_GOAL_RSS_MB = 1024.0  # ... in less than 1 GB
RUNS = 2  # the figure is the faster run (a shared machine only adds time); all in the note
_RESULT = "RESULT "


def ingest_once(inbound: Path, work: Path) -> None:
    """Ingest ``inbound`` into a fresh warehouse under ``work``; prints the result line."""
    import duckdb

    from pipelines.programme.ingest import ingest_programme

    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        with duckdb.connect(str(work / "warehouse.duckdb")) as con:
            yield con

    started, cpu = time.perf_counter(), time.process_time()
    load = ingest_programme(
        inbound, work / "quarantine", connect, settle_seconds=0.0, max_shrink_share=1.0
    )
    result = {
        "ingest_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "rows": load.rows,
    }
    print(_RESULT + json.dumps(result), flush=True)


def _result(log: str) -> dict:
    lines = Path(log).read_text(encoding="utf-8").splitlines()
    return json.loads(next(x for x in reversed(lines) if x.startswith(_RESULT))[len(_RESULT) :])


def _run(n: int, files: Path, run: int) -> dict:
    root = fresh_dir(RUNS_DIR / f"programme_ingest_{n}")
    inbound = root / "inbound"
    inbound.mkdir()
    for f in files.iterdir():
        if not f.name.startswith("."):
            shutil.copy2(f, inbound / f.name)
    m = run_measured(
        f"programme_ingest_{n}_{run}",
        [PYTHON, "-m", "bench.programme_ingest", str(inbound), str(root)],
    )
    if m["rc"] != 0:
        print(f"  !! ingest exited {m['rc']}; log {m['log']}\n{log_tail(m['log'])}")
        return {"error": f"ingest exited {m['rc']}; log {m['log']}"}
    return {**m, **_result(m["log"])}


def bench_programme_ingest(
    log: Callable[[str], None],
    sizes: tuple[int, ...],
    programme_set: Callable[[int, Callable[[str], None]], Path],
) -> list[Figure]:
    figures: list[Figure] = []
    for n in sizes:
        files = programme_set(n, log)
        runs = []
        for run in range(RUNS):
            log(f"  ingest of {n:,} participants, run {run + 1} of {RUNS} ...")
            runs.append(_run(n, files, run))
        error = next((r["error"] for r in runs if "error" in r), "")
        good = [r for r in runs if "error" not in r]
        best = min(good, key=lambda r: r["ingest_s"]) if good else {}
        bench = f"3a programme ingest, {n:,} participants"
        goal = n == max(sizes)
        note = "runs: " + " / ".join(
            f"{r['ingest_s']:.2f} s (CPU {r['cpu_s']:.1f} s)" for r in good
        )
        figures += [
            Figure(
                f"programme_ingest.{n}.ingest_s",
                bench,
                "check + load",
                best.get("ingest_s"),
                "s",
                *(("<=", INGEST_GOAL_S) if goal else (None, None)),
                note=note,
                error=error,
            ),
            Figure(
                f"programme_ingest.{n}.wall_s",
                bench,
                "process wall (+ start-up, imports)",
                best.get("wall_s"),
                "s",
                error=error,
            ),
            Figure(
                f"programme_ingest.{n}.peak_rss_mb",
                bench,
                "peak RSS",
                max((r["peak_rss_mb"] for r in good), default=None),
                "MB",
                *(("<", INGEST_GOAL_RSS_MB) if goal else (None, None)),
                error=error,
            ),
        ]
    return figures


if __name__ == "__main__":
    ingest_once(Path(sys.argv[1]), Path(sys.argv[2]))
