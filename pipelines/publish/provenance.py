"""What a release was built from: the warehouse's load records and the code's commit.

Read once per release and written into the manifest, the README, the XLSX READ_ME and the
DuckDB file's ``release_info``.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.bookkeeping import ProgrammeFileLoad, latest_dst_loads, latest_programme_load
from pipelines.settings import REPO_ROOT


@dataclass(frozen=True)
class Provenance:
    """What the release was built from (read from the warehouse's load records)."""

    run_id: str
    dst_tables: dict[str, dict[str, Any]]
    programme_inputs: list[dict[str, Any]]
    checks: dict[str, dict[str, Any]]

    @property
    def synthetic(self) -> bool:
        return any(t.get("synthetic") for t in self.dst_tables.values())

    @property
    def sample(self) -> bool:
        return any(f.get("sample") for f in self.programme_inputs)

    @property
    def source_mode(self) -> str:
        modes = {t.get("source_mode") for t in self.dst_tables.values()}
        return modes.pop() if len(modes) == 1 else "mixed"


def git_commit() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        )
        return {"git_commit": commit, "git_dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": "unknown", "git_dirty": None}


def read_provenance(
    warehouse: Path,
    run_id: str,
    checks: dict[str, dict[str, Any]],
) -> Provenance:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        dst = {
            load.table_id: {
                "updated": load.dst_updated,
                "source_mode": load.source_mode,
                "synthetic": load.synthetic,
                "rows": load.row_count,
                "loaded_at": str(load.loaded_at),
            }
            for load in latest_dst_loads(con).values()
        }
        programme = [_programme_entry(f) for f in latest_programme_load(con)]
    return Provenance(run_id, dst, programme, checks)


def _programme_entry(load: ProgrammeFileLoad) -> dict[str, Any]:
    """A loaded file as the manifest lists it (times as text)."""
    entry = {
        k: (v if isinstance(v, (bool, int, float)) or v is None else str(v))
        for k, v in asdict(load).items()
    }
    return {**entry, "sample": load.is_sample}
