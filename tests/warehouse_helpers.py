"""Build a warehouse for tests: raw DST tables from the bundled snapshot, then dbt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.constants import with_dbt_vars
from pipelines.dst.client import DstClient
from pipelines.dst.config import load_table_specs
from pipelines.dst.ingest import ingest_table
from pipelines.dst.snapshot import SnapshotStore
from pipelines.dst.source import DstSource
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.settings import BUNDLED_SNAPSHOT_DIR, DBT_PROJECT_DIR, REPO_ROOT, SourceMode

DBT = str(Path(sys.executable).parent / "dbt")


def load_snapshot(warehouse: Path, snapshot_dir: Path = BUNDLED_SNAPSHOT_DIR) -> None:
    source = DstSource(
        SourceMode.SNAPSHOT, DstClient("http://unused.invalid"), SnapshotStore(snapshot_dir)
    )
    for spec in load_table_specs():
        ingest_table(spec, source, WarehouseResource(database=str(warehouse)).get_connection)


def _as_the_refresh_builds(args: tuple[str, ...]) -> list[str]:
    """A whole-project ``dbt build`` leaves out ``effect_estimates``, as the refresh's dbt asset
    does: its input is written by the estimator (pipelines/orchestration/assets/evaluation.py)
    first."""
    args = list(args)
    if not args or args[0] != "build" or "--select" in args:
        return args
    if "--exclude" in args:
        i = args.index("--exclude") + 1
        args[i] = f"{args[i]} effect_estimates"
        return args
    return [*args, "--exclude", "effect_estimates"]


def run_dbt(
    data_dir: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    args = tuple(with_dbt_vars(_as_the_refresh_builds(args)))
    full_env = dict(os.environ)
    full_env.update({"KLYNGE_DATA_DIR": str(data_dir), **(env or {})})
    result = subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(data_dir / "dbt_target"),
            "--log-path",
            str(data_dir / "dbt_logs"),
        ],
        env=full_env,
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def copy_samples(data_dir: Path) -> Path:
    """Every generation's bundled inbound folder (its sample) copied into ``data_dir``."""
    inbound = data_dir / "inbound" / "programme"
    shutil.copytree(REPO_ROOT / "data" / "inbound" / "programme", inbound)
    return inbound


def build_from_programme_files(data_dir: Path) -> Path:
    """The warehouse of ``data_dir``: the DST snapshot, every generation's programme files in
    ``data_dir/inbound/programme/`` loaded as a refresh loads them, then dbt build."""
    from pipelines.programme.generations import ingest_generations

    path = data_dir / "warehouse.duckdb"
    load_snapshot(path)
    ingest_generations(
        data_dir / "inbound" / "programme",
        data_dir / "inbound" / "quarantine",
        WarehouseResource(database=str(path)).get_connection,
        settle_seconds=0,
        max_shrink_share=1.0,
    )
    run_dbt(data_dir, "build")
    return path


def query(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


@contextmanager
def duckdb_held_open(database: str | Path) -> Iterator[subprocess.Popen]:
    """Another process holding ``database`` open for writing (DuckDB's own lock), as an analyst's
    client left open does; yields the process (its PID is what lock messages name)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('open', flush=True); time.sleep(60)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder
    finally:
        holder.kill()
        holder.wait()
