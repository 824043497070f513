"""What a refresh must rebuild: the inputs of this build against those of the last good one.

An input is a raw table's content version (DST: ``updated`` + selection + source mode; programme:
the loaded files' checksums) or the dbt code itself (the checksums dbt keeps for every model,
seed, test and macro, plus the fixed-price base year from the environment). Every dbt build is
kept in ``raw._dbt_builds`` with its inputs and how far it got: ``started`` (dbt is running or
failed), ``built`` (dbt succeeded) and ``passed`` (every mart passed the quality gate and the
release was published, or refused for a reason that is not a failure). Only a ``passed`` build
is good, so a build whose marts failed the gate is built and checked again by every refresh,
failing with the same expectation, until its input changes:

- nothing changed since the last good build, and nothing was built after it: dbt does not run,
  and so neither do the checks or ``publish``;
- only raw tables changed: dbt builds what lies downstream of those tables, counting the changes
  against the last good build and against every build attempted after it (whose half-built or
  rejected marts are still in the warehouse);
- the dbt code changed (or there is no good build): everything is built.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.constants import dbt_vars

BUILDS_TABLE = "raw._dbt_builds"


@dataclass(frozen=True)
class BuildInputs:
    code: str
    sources: dict[str, str]  # raw table name -> content version


@dataclass(frozen=True)
class BuildPlan:
    rebuild_all: bool
    changed_sources: tuple[str, ...]
    reason: str

    @property
    def nothing_to_do(self) -> bool:
        return not self.rebuild_all and not self.changed_sources

    def dbt_args(self, manifest_path: Path) -> list[str]:
        """Extra ``dbt build`` arguments; empty means the whole project.

        An ``--exclude`` of everything not downstream of a changed source, because Dagster adds
        its own ``--select`` for the run's assets and dbt would union two selections.
        """
        if self.rebuild_all or self.nothing_to_do:
            return []
        kept = self.unchanged_nodes(manifest_path)
        return ["--exclude", " ".join(kept)] if kept else []

    def unchanged_nodes(self, manifest_path: Path) -> list[str]:
        """Names of the dbt nodes this build leaves alone, upstream ones first."""
        if self.rebuild_all:
            return []
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        project = manifest["metadata"].get("project_name", "klynge")
        downstream = _descendants(manifest["child_map"],
                                  [f"source.{project}.raw.{t}" for t in self.changed_sources])
        return [manifest["nodes"][uid]["name"] for uid in _topological(manifest)
                if uid not in downstream
                and manifest["nodes"][uid]["resource_type"] in ("model", "seed", "test",
                                                                "snapshot")]


def _descendants(children: dict[str, list[str]], roots: list[str]) -> set[str]:
    found: set[str] = set()
    todo = list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _topological(manifest: dict) -> list[str]:
    """Node ids with every node after its parents (Kahn's algorithm over dbt's parent map)."""
    parents = {uid: [p for p in manifest["parent_map"].get(uid, []) if p in manifest["nodes"]]
               for uid in manifest["nodes"]}
    waiting = {uid: len(ps) for uid, ps in parents.items()}
    ready = sorted(uid for uid, n in waiting.items() if n == 0)
    order: list[str] = []
    while ready:
        uid = ready.pop(0)
        order.append(uid)
        for child in sorted(manifest["child_map"].get(uid, [])):
            if child in waiting:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
    return order


def code_version(manifest_path: Path) -> str:
    """Changes when any model, seed, test or macro changes, or a dbt var or the base year does."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    parts = sorted(f"{uid}:{node.get('checksum', {}).get('checksum', '')}"
                   for section in ("nodes", "macros")
                   for uid, node in manifest.get(section, {}).items())
    parts.append(f"vars={json.dumps(dbt_vars(), sort_keys=True)}")
    parts.append(f"KLYNGE_PRICE_BASE_YEAR={os.environ.get('KLYNGE_PRICE_BASE_YEAR', '')}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()}


def source_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    tables = _tables(con)
    versions: dict[str, str] = {}
    if "_dst_loads" in tables:
        for raw_table, version in con.execute(
            """select raw_table, dst_updated || '|' || selection_hash || '|' || source_mode
               from raw._dst_loads
               qualify row_number() over (partition by raw_table order by loaded_at desc) = 1"""
        ).fetchall():
            versions[raw_table] = version
    if "_programme_loads" in tables:
        for entity, version in con.execute(
            """select entity, string_agg(file || ':' || sha256, '|' order by file)
               from raw._programme_loads
               where load_id = (select load_id from raw._programme_loads
                                order by loaded_at desc limit 1)
               group by entity"""
        ).fetchall():
            versions[f"programme_{entity}"] = version
    return versions


def current_inputs(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> BuildInputs:
    return BuildInputs(code_version(manifest_path), source_versions(con))


@dataclass(frozen=True)
class BuildHistory:
    """The last good build and the builds attempted after it (oldest first)."""

    good: BuildInputs | None
    since: tuple[BuildInputs, ...] = ()


def _ensure_builds_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(f"""create table if not exists {BUILDS_TABLE} (
                        run_id varchar, built_at timestamp, code_version varchar,
                        sources varchar, status varchar default 'started')""")
    # Warehouses from before the gate state: their builds count as good, as they did then.
    con.execute(f"alter table {BUILDS_TABLE} add column if not exists status varchar "
                "default 'passed'")


def build_history(con: duckdb.DuckDBPyConnection) -> BuildHistory:
    """Reads only, so that a read-only connection (the cheap pre-check) can ask."""
    if "_dbt_builds" not in _tables(con):
        return BuildHistory(None)
    has_status = con.execute("select count(*) from information_schema.columns where "
                             "table_schema = 'raw' and table_name = '_dbt_builds' and "
                             "column_name = 'status'").fetchone()[0]
    status = "status" if has_status else "'passed'"
    rows = con.execute(f"select code_version, sources, {status} from {BUILDS_TABLE} "
                       "order by built_at, rowid").fetchall()
    good_at = max((i for i, r in enumerate(rows) if r[2] == "passed"), default=None)
    if good_at is None:
        return BuildHistory(None)
    good = BuildInputs(rows[good_at][0], json.loads(rows[good_at][1]))
    since = tuple(BuildInputs(r[0], json.loads(r[1])) for r in rows[good_at + 1:])
    return BuildHistory(good, since)


def record_build_start(con: duckdb.DuckDBPyConnection, inputs: BuildInputs,
                       run_id: str) -> None:
    """Before dbt runs: from here on the warehouse's marts may differ from the last good."""
    _ensure_builds_table(con)
    con.execute(f"insert into {BUILDS_TABLE} (run_id, built_at, code_version, sources, status) "
                "values (?, now()::timestamp, ?, ?, 'started')",
                [run_id, inputs.code, json.dumps(inputs.sources, sort_keys=True)])


def mark_build(con: duckdb.DuckDBPyConnection, run_id: str, status: str) -> int:
    """Move this run's build to ``built`` or ``passed``; returns the rows changed."""
    if status not in ("built", "passed"):
        raise ValueError(f"unknown build status {status!r}")
    _ensure_builds_table(con)
    return len(con.execute(f"update {BUILDS_TABLE} set status = ? where run_id = ? "
                           "returning run_id", [status, run_id]).fetchall())


def plan_build(current: BuildInputs, history: BuildHistory) -> BuildPlan:
    last = history.good
    if last is None:
        return BuildPlan(True, (), "no earlier build that passed the quality gate")
    if any(b.code != current.code for b in (last, *history.since)):
        return BuildPlan(True, (), "the dbt project or the price base year changed")
    builds = (last, *history.since)
    changed = {t for b in builds for t, v in current.sources.items() if b.sources.get(t) != v}
    # What a later, not good, build changed is still in the marts: build and check it again.
    changed |= {t for b in history.since for t, v in b.sources.items()
                if last.sources.get(t) != v}
    failed = (f"; {len(history.since)} build(s) since the last good one did not pass the "
              "quality gate, so what they changed is built and checked again"
              if history.since else "")
    tables = tuple(sorted(t for t in changed if t in current.sources))
    if tables:
        return BuildPlan(False, tables, f"changed inputs: {', '.join(tables)}{failed}")
    if changed or history.since:
        return BuildPlan(True, (), f"the warehouse differs from the last good build{failed}")
    return BuildPlan(False, (), "no input changed since the last build that passed the gate")
