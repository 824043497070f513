"""What a refresh must rebuild: the inputs of this build against those of the last good one.

An input is a raw table's content version (DST: ``updated`` + selection + source mode; programme:
the loaded files' checksums) or the dbt code itself (the checksums dbt keeps for every model,
seed, test and macro, plus the fixed-price base year from the environment). The versions of the
last successful dbt build are kept in ``raw._dbt_builds``:

- nothing changed: dbt does not run, and so neither do the checks or ``publish``;
- only raw tables changed: dbt builds what lies downstream of those tables;
- the dbt code changed (or there is no earlier build): everything is built.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

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
    """Changes when any model, seed, test or macro changes, or the price base year does."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    parts = sorted(f"{uid}:{node.get('checksum', {}).get('checksum', '')}"
                   for section in ("nodes", "macros")
                   for uid, node in manifest.get(section, {}).items())
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


def last_build(con: duckdb.DuckDBPyConnection) -> BuildInputs | None:
    if "_dbt_builds" not in _tables(con):
        return None
    row = con.execute(f"select code_version, sources from {BUILDS_TABLE} "
                      "order by built_at desc limit 1").fetchone()
    return None if row is None else BuildInputs(row[0], json.loads(row[1]))


def record_build(con: duckdb.DuckDBPyConnection, inputs: BuildInputs, run_id: str) -> None:
    con.execute("create schema if not exists raw")
    con.execute(f"""create table if not exists {BUILDS_TABLE} (
                        run_id varchar, built_at timestamp, code_version varchar,
                        sources varchar)""")
    con.execute(f"insert into {BUILDS_TABLE} values (?, now()::timestamp, ?, ?)",
                [run_id, inputs.code, json.dumps(inputs.sources, sort_keys=True)])


def plan_build(current: BuildInputs, last: BuildInputs | None) -> BuildPlan:
    if last is None:
        return BuildPlan(True, (), "no earlier successful build")
    if current.code != last.code:
        return BuildPlan(True, (), "the dbt project or the price base year changed")
    changed = tuple(sorted(t for t, v in current.sources.items() if last.sources.get(t) != v))
    if changed:
        return BuildPlan(False, changed, f"changed inputs: {', '.join(changed)}")
    return BuildPlan(False, (), "no input changed since the last build")
