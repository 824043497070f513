"""Benchmarks 1-3: full refresh, no-op refresh (snapshot and live) and programme scale.

Each refresh is ``python -m pipelines.cli refresh`` in a fresh process (under
``bench.measure``) with its own ``KLYNGE_DATA_DIR`` and ``DAGSTER_HOME``. Stage times come from
the Dagster run's event log: STEP_START to STEP_SUCCESS/STEP_FAILURE of each step, grouped into
stages; "start-up + overhead" is the wall time not spent inside any step (interpreter and
imports, loading the definitions, run bookkeeping between steps).
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import (
    DATA_DIR,
    PYTHON,
    REPO_ROOT,
    RUNS_DIR,
    Figure,
    bench_env,
    fresh_dir,
    log_tail,
    run_measured,
)
from pipelines.constants import programme

if TYPE_CHECKING:
    from dagster import DagsterInstance

SNAPSHOT_DIR = REPO_ROOT / "data" / "snapshots" / "dst"
CURRENT = programme().id  # the scaled set reports on it; the other generation loads its sample
STAGES = (
    "dst_ingest",
    "programme_ingest",
    "dbt_build",
    "evaluation",
    "quality_gate",
    "publish",
    "other",
)
STAGE_NAMES = {
    "startup": "start-up + overhead",
    "dst_ingest": "DST ingest",
    "programme_ingest": "programme ingest",
    "dbt_build": "dbt build",
    "evaluation": "effect estimator",
    "quality_gate": "quality gate",
    "publish": "publish",
    "other": "other steps",
}
FULL_REFRESH_GOAL_S = 20.0
NOOP_RATIO_GOAL_PCT = 10.0
PROGRAMME_SIZES = (10_000, 100_000, 1_000_000)
PROGRAMME_GOAL_S = 60.0
PROGRAMME_GOAL_RSS_MB = 2048.0
GROWTH_GOAL_X = 10.0  # per 10x rows: no worse than linear


def stage_of(step_key: str) -> str:
    if step_key.startswith("raw__dst_"):
        return "dst_ingest"
    if step_key.startswith(("programme", "raw__programme")):
        return "programme_ingest"
    if step_key.startswith("klynge_dbt") or step_key == "effect_estimates_mart":
        return "dbt_build"
    if step_key == "raw__effect_estimates":
        return "evaluation"
    if step_key.endswith(("_gx_suite", "_built_from_real_data")):
        return "quality_gate"
    if step_key.startswith("published__"):
        return "publish"
    return "other"


@dataclass
class RefreshRun:
    name: str
    ok: bool
    wall_s: float
    peak_rss_mb: float
    cpu_s: float  # user + system time of every process of the refresh (dbt included)
    stages: dict[str, float] = field(default_factory=dict)  # seconds, incl. "startup"
    steps: dict[str, float] = field(default_factory=dict)
    skipped_steps: list[str] = field(default_factory=list)
    run_status: str = ""
    log: str = ""
    error: str = ""


@contextmanager
def opened_instance(dagster_home: Path) -> Iterator[DagsterInstance]:
    """The instance in ``dagster_home``, with DAGSTER_HOME pointing at it meanwhile: the
    project's event log storage finds its files through that variable."""
    from dagster import DagsterInstance

    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            instance = DagsterInstance.from_config(str(dagster_home))
        with instance:
            yield instance
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = before


def latest_run_id(dagster_home: Path) -> str | None:
    if not (dagster_home / "dagster.yaml").exists() and not any(dagster_home.iterdir()):
        return None
    with opened_instance(dagster_home) as instance:
        runs = instance.get_runs(limit=1)
    return runs[0].run_id if runs else None


def read_steps(
    dagster_home: Path, after: str | None = None
) -> tuple[str, dict[str, float], list[str]]:
    """Status, per-step durations and skipped steps of the latest run in ``dagster_home``
    (``NO RUN`` when it is still ``after``: the pre-check found nothing to do)."""
    from dagster import DagsterEventType

    with opened_instance(dagster_home) as instance:
        runs = instance.get_runs(limit=1)
        if not runs or runs[0].run_id == after:
            return "NO RUN", {}, []
        run = runs[0]
        types = {
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.STEP_FAILURE,
            DagsterEventType.STEP_SKIPPED,
        }
        records = instance.get_records_for_run(run.run_id, of_type=types, limit=100_000).records
    start: dict[str, float] = {}
    end: dict[str, float] = {}
    skipped: list[str] = []
    for record in records:
        entry = record.event_log_entry
        kind = entry.dagster_event.event_type_value
        key = entry.step_key
        if kind == "STEP_START":
            start.setdefault(key, entry.timestamp)
        elif kind == "STEP_SKIPPED":
            skipped.append(key)
        else:
            end[key] = entry.timestamp
    steps = {k: end[k] - start[k] for k in start if k in end}
    return run.status.value, steps, skipped


def refresh(
    name: str, data_dir: Path, dagster_home: Path, source: str, api_base_url: str | None = None
) -> RefreshRun:
    env = bench_env(data_dir, dagster_home, source, api_base_url)
    before = latest_run_id(dagster_home)
    m = run_measured(name, [PYTHON, "-m", "pipelines.cli", "refresh"], env)
    status, steps, skipped = read_steps(dagster_home, after=before)
    stages = dict.fromkeys(STAGES, 0.0)
    for key, seconds in steps.items():
        stages[stage_of(key)] += seconds
    stages["startup"] = m["wall_s"] - sum(steps.values())
    if status == "NO RUN" and m["rc"] == 0:
        status = "SKIPPED BY THE PRE-CHECK"  # nothing changed: Dagster was never started
    run = RefreshRun(
        name,
        m["rc"] == 0,
        m["wall_s"],
        m["peak_rss_mb"],
        m["user_s"] + m["sys_s"],
        stages,
        steps,
        skipped,
        status,
        m["log"],
    )
    if not run.ok:
        run.error = f"refresh exited {m['rc']} (run {status}); log {m['log']}"
        print(f"  !! {name}: {run.error}\n{log_tail(m['log'])}")
    return run


def _stage_figures(
    prefix: str, bench: str, run: RefreshRun, stages: tuple[str, ...] = ("startup", *STAGES)
) -> list[Figure]:
    other = ", ".join(sorted(k for k in run.steps if stage_of(k) == "other"))
    return [
        Figure(
            f"{prefix}.stage.{s}_s",
            bench,
            f"  {STAGE_NAMES[s]}",
            run.stages.get(s),
            "s",
            note=other if s == "other" else "",
            error=run.error,
        )
        for s in stages
        if s != "other" or run.stages.get("other")
    ]


# --- 1 + 2: full and no-op refresh -----------------------------------------------------------


def bench_refresh(source: str, log: Callable[[str], None]) -> tuple[list[Figure], Path | None]:
    """Cold full refresh, then the same refresh again on the same data (no-op).

    ``source`` is ``snapshot`` (the bundled snapshot, no HTTP) or ``live`` (a local fake DST
    API serving the same snapshot, so that DST data requests can be counted).
    Returns the figures and the data dir of the cold run (its published release).
    """
    root = fresh_dir(RUNS_DIR / f"refresh_{source}")
    data_dir, home = root / "data", root / "dagster_home"
    data_dir.mkdir()
    home.mkdir()
    figures: list[Figure] = []
    b1 = f"1 full refresh ({source})"
    b2 = f"2 no-op refresh ({source})"
    calls_cold = calls_noop = None
    if source == "live":
        from tests.fake_dst import FakeDst, table_from_snapshot

        with FakeDst() as server:
            for table in sorted(
                p.name for p in SNAPSHOT_DIR.iterdir() if (p / "tableinfo.json").is_file()
            ):
                server.tables[table] = table_from_snapshot(SNAPSHOT_DIR, table)
            log(f"  fake DST API at {server.base_url}: cold refresh ...")
            cold = refresh(f"refresh_{source}_cold", data_dir, home, source, server.base_url)
            calls_cold = server.calls("data")
            log("  no-op refresh ...")
            noop = refresh(f"refresh_{source}_noop", data_dir, home, source, server.base_url)
            calls_noop = server.calls("data") - calls_cold
    else:
        log("  cold refresh ...")
        cold = refresh(f"refresh_{source}_cold", data_dir, home, source)
        log("  no-op refresh ...")
        noop = refresh(f"refresh_{source}_noop", data_dir, home, source)

    prefix = f"refresh.{source}"
    figures.append(
        Figure(
            f"{prefix}.cold.wall_s",
            b1,
            "wall time",
            cold.wall_s,
            "s",
            "<",
            FULL_REFRESH_GOAL_S,
            error=cold.error,
        )
    )
    figures.append(
        Figure(
            f"{prefix}.cold.cpu_s",
            b1,
            "CPU time (user+sys)",
            cold.cpu_s,
            "s",
            note="less sensitive than wall time to other load on the machine",
            error=cold.error,
        )
    )
    figures.append(
        Figure(
            f"{prefix}.cold.peak_rss_mb", b1, "peak RSS", cold.peak_rss_mb, "MB", error=cold.error
        )
    )
    stages = _stage_figures(f"{prefix}.cold", b1, cold)
    if source == "snapshot":
        stages.insert(1, import_figure(b1, data_dir, home))  # right under start-up
    figures += stages
    if source == "snapshot" and cold.ok:
        log("  reference: plain dbt build ...")
        figures += dbt_reference_figures(b1, data_dir, cold)
    if calls_cold is not None:
        figures.append(
            Figure(
                f"{prefix}.cold.data_calls",
                b1,
                "DST data downloads",
                calls_cold,
                "calls",
                note="one per configured table expected",
            )
        )
    ran = sorted({stage_of(k) for k in noop.steps} - {"dst_ingest", "programme_ingest"})
    steps_note = f"steps run: {len(noop.steps)}, skipped: {len(noop.skipped_steps)}" + (
        f"; ran also: {', '.join(ran)}" if ran else ""
    )
    figures.append(
        Figure(
            f"{prefix}.noop.wall_s",
            b2,
            "wall time",
            noop.wall_s,
            "s",
            note=steps_note if noop.ok else "",
            error=noop.error,
        )
    )
    ratio = 100 * noop.wall_s / cold.wall_s if cold.wall_s else None
    figures.append(
        Figure(
            f"{prefix}.noop.ratio_pct",
            b2,
            "wall vs full refresh",
            ratio,
            "%",
            "<",
            NOOP_RATIO_GOAL_PCT,
            error=noop.error or cold.error,
        )
    )
    figures.append(
        Figure(
            f"{prefix}.noop.peak_rss_mb", b2, "peak RSS", noop.peak_rss_mb, "MB", error=noop.error
        )
    )
    figures += _stage_figures(f"{prefix}.noop", b2, noop)
    if calls_noop is not None:
        figures.append(
            Figure(
                f"{prefix}.noop.data_calls",
                b2,
                "DST data downloads",
                calls_noop,
                "calls",
                "==",
                0,
                error=noop.error,
            )
        )
    return figures, (data_dir if cold.ok else None)


def import_figure(bench: str, data_dir: Path, home: Path) -> Figure:
    """How much of the start-up is loading the code location (a process of its own): the
    imports and building the definitions from the dbt manifest."""
    env = bench_env(data_dir, home, "snapshot")
    m = run_measured(
        "import_definitions",
        [PYTHON, "-c", "from pipelines.orchestration.definitions import defs; defs()"],
        env,
    )
    return Figure(
        "refresh.import_definitions_s",
        bench,
        "    of which: loading pipelines.orchestration.definitions",
        m["wall_s"],
        "s",
        error="" if m["rc"] == 0 else f"import failed; log {m['log']}",
    )


def dbt_reference_figures(bench: str, data_dir: Path, cold: RefreshRun) -> list[Figure]:
    """A yardstick measured in the same run: the dbt command line building the same project
    on a copy of the cold refresh's warehouse (its own process, dbt's start-up and a full parse
    included, as when run by hand), and the cold refresh as a multiple of it."""
    import json

    from pipelines.orchestration.resources import DBT_EXECUTABLE, dbt_vars
    from pipelines.settings import load_settings

    work = fresh_dir(RUNS_DIR / "dbt_reference")
    settings = load_settings({"KLYNGE_DATA_DIR": str(work)})
    shutil.copyfile(data_dir / "warehouse.duckdb", settings.warehouse_path)
    project = REPO_ROOT / "dbt_project"
    m = run_measured(
        "dbt_reference",
        [
            DBT_EXECUTABLE,
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps(dbt_vars(settings)),
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
    )
    error = "" if m["rc"] == 0 else f"dbt build failed; log {m['log']}"
    return [
        Figure(
            "refresh.reference.dbt_build_s",
            bench,
            "reference: `dbt build` by hand, same project and data",
            m["wall_s"],
            "s",
            note="dbt's start-up and full parse included; the models, seeds and tests of a refresh",
            error=error,
        ),
        Figure(
            "refresh.snapshot.cold_vs_dbt_x",
            bench,
            "full refresh / `dbt build` by hand",
            cold.wall_s / m["wall_s"] if m["wall_s"] else None,
            "x",
            note="the refresh also ingests, estimates, validates with GX and publishes",
            error=error or cold.error,
        ),
    ]


# --- 3: programme scale ----------------------------------------------------------------------


def programme_set(n: int, log: Callable[[str], None]) -> Path:
    """The generated programme files for ``n`` participants (cached under bench/data/)."""
    out = DATA_DIR / "programme" / f"participants_{n}"
    stamp = out / ".complete"
    if not stamp.exists():
        log(f"  generating {n:,} participants ...")
        fresh_dir(out)
        import subprocess

        subprocess.run(
            [
                PYTHON,
                "-m",
                "pipelines.synthetic.programme_sample",
                "--generation",
                CURRENT,
                "--out",
                str(out),
                "--participants",
                str(n),
            ],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        stamp.write_text(str(n))
    return out


def bench_programme(
    log: Callable[[str], None], sizes: tuple[int, ...] = PROGRAMME_SIZES
) -> list[Figure]:
    figures: list[Figure] = []
    pipeline_s: dict[int, float] = {}
    for n in sizes:
        files = programme_set(n, log)
        root = fresh_dir(RUNS_DIR / f"programme_{n}")
        data_dir, home = root / "data", root / "dagster_home"
        inbound = data_dir / "inbound" / "programme" / CURRENT  # the other: its sample
        inbound.mkdir(parents=True)
        home.mkdir()
        delivered = time.time() - 3600  # an hour ago: settled, not still being written
        for f in files.iterdir():
            if not f.name.startswith("."):
                shutil.copy2(f, inbound / f.name)
                os.utime(inbound / f.name, (delivered, delivered))
        log(f"  refresh with {n:,} participants ...")
        run = refresh(f"programme_{n}", data_dir, home, "snapshot")
        bench = f"3 programme scale, {n:,} participants"
        big = n == max(PROGRAMME_SIZES)
        total = sum(run.stages[s] for s in ("programme_ingest", "dbt_build", "quality_gate"))
        pipeline_s[n] = total
        key = f"programme.{n}"
        figures.append(
            Figure(
                f"{key}.pipeline_s",
                bench,
                "ingest + dbt + checks",
                total,
                "s",
                *(("<", PROGRAMME_GOAL_S) if big else (None, None)),
                error=run.error,
            )
        )
        figures += _stage_figures(
            key, bench, run, ("programme_ingest", "dbt_build", "quality_gate", "publish", "startup")
        )
        figures.append(
            Figure(
                f"{key}.wall_s",
                bench,
                "wall time (whole refresh)",
                run.wall_s,
                "s",
                error=run.error,
            )
        )
        figures.append(
            Figure(
                f"{key}.peak_rss_mb",
                bench,
                "peak RSS",
                run.peak_rss_mb,
                "MB",
                *(("<", PROGRAMME_GOAL_RSS_MB) if big else (None, None)),
                error=run.error,
            )
        )
    ordered = sorted(pipeline_s)
    for small, large in zip(ordered, ordered[1:], strict=False):
        if large != small * 10:
            continue
        factor = pipeline_s[large] / pipeline_s[small] if pipeline_s[small] else None
        figures.append(
            Figure(
                f"programme.growth_{small}_{large}_x",
                "3 programme scale",
                f"time growth {small:,} -> {large:,} (10x rows)",
                factor,
                "x",
                "<=",
                GROWTH_GOAL_X,
            )
        )
    return figures
