"""Benchmark 3a: programme ingest alone (check and load the generated files), per size.

    python -m bench.programme_ingest INBOUND_DIR WORK_DIR   # one ingest: the measured process

Each run is a fresh process under ``bench.measure`` (so its peak RSS is its own) that calls
``ingest_programme`` on a copy of the generated set, into an empty warehouse in ``WORK_DIR``:
discover, settle, every single-file check, unique keys and references, and the one-transaction
load into ``raw.programme_*``; no Dagster, dbt or DST. Wall time is the whole process (Python
start-up and imports included); the ingest itself is printed to the run's log.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import PYTHON, RUNS_DIR, Figure, fresh_dir, log_tail, run_measured

INGEST_GOAL_S = 5.0  # goal for the largest size: checked and loaded
INGEST_GOAL_RSS_MB = 1024.0
RUNS = 2  # the figure is the faster run (a shared machine only adds time); all in the note


def ingest_once(inbound: Path, work: Path) -> float:
    """Ingest ``inbound`` into a fresh warehouse under ``work``; seconds taken."""
    from pipelines.programme.ingest import ingest_programme
    from pipelines.warehouse import WarehouseResource

    warehouse = WarehouseResource(database=str(work / "warehouse.duckdb"))
    started = time.perf_counter()
    load = ingest_programme(inbound, work / "quarantine", warehouse.get_connection,
                            settle_seconds=0.0, max_shrink_share=1.0)
    seconds = time.perf_counter() - started
    print(f"ingest {seconds:.3f} s; rows {load.rows}", flush=True)
    return seconds


def bench_programme_ingest(log: Callable[[str], None], sizes: tuple[int, ...],
                           programme_set: Callable[[int, Callable[[str], None]], Path]
                           ) -> list[Figure]:
    figures: list[Figure] = []
    largest = max(sizes)
    for n in sizes:
        files = programme_set(n, log)
        walls, rss, error = [], [], ""
        for run in range(RUNS):
            root = fresh_dir(RUNS_DIR / f"programme_ingest_{n}")
            inbound = root / "inbound"
            inbound.mkdir()
            for f in files.iterdir():
                if not f.name.startswith("."):
                    shutil.copy2(f, inbound / f.name)
            log(f"  ingest of {n:,} participants, run {run + 1} ...")
            m = run_measured(f"programme_ingest_{n}",
                             [PYTHON, "-m", "bench.programme_ingest", str(inbound), str(root)])
            if m["rc"] != 0:
                error = f"ingest exited {m['rc']}; log {m['log']}"
                print(f"  !! {error}\n{log_tail(m['log'])}")
                break
            walls.append(m["wall_s"])
            rss.append(m["peak_rss_mb"])
        bench = f"3a programme ingest, {n:,} participants"
        goal = n == largest
        note = "runs: " + " / ".join(f"{w:.2f}" for w in walls)
        figures.append(Figure(f"programme_ingest.{n}.wall_s", bench,
                              "check + load (own process)", min(walls) if walls else None, "s",
                              *(("<=", INGEST_GOAL_S) if goal else (None, None)), note=note,
                              error=error))
        figures.append(Figure(f"programme_ingest.{n}.peak_rss_mb", bench, "peak RSS",
                              max(rss) if rss else None, "MB",
                              *(("<", INGEST_GOAL_RSS_MB) if goal else (None, None)),
                              error=error))
    return figures


if __name__ == "__main__":
    ingest_once(Path(sys.argv[1]), Path(sys.argv[2]))
