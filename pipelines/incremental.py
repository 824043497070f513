"""What a refresh must rebuild: the inputs of this build against those of the last good one.

An input is a raw table's content version (DST: ``updated`` + selection + source mode; programme:
the loaded files' checksums) or the dbt code itself (the checksums dbt keeps for every model,
seed, test and macro, plus the fixed-price base year). Every dbt build is kept in
``raw._dbt_builds`` (:mod:`pipelines.bookkeeping`) with its inputs and how far it got:
``started`` (dbt is running or failed), ``built`` (dbt succeeded) and ``passed`` (every mart
passed the quality gate and the release was published, or refused for a reason that is not a
failure). Only a ``passed`` build
is good, so a build whose marts failed the gate is built and checked again by every refresh,
failing with the same expectation, until its input changes:

- nothing changed since the last good build, and nothing was built after it: dbt does not run,
  and so neither do the checks or ``publish``;
- only raw tables changed: dbt builds what lies downstream of those tables, and every mart,
  counting the changes against the last good build and against every build attempted after it
  (whose half-built or rejected marts are still in the warehouse);
- the dbt code changed (or there is no good build): everything is built.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.bookkeeping import (
    dbt_builds,
    latest_dst_loads,
    latest_programme_load,
    programme_data_versions,
)
from pipelines.constants import dbt_vars

MARTS_FOLDER = "marts"  # dbt_project/models/marts: the published tables


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
        """Names of the dbt nodes this build leaves alone, upstream ones first.

        Every mart is rebuilt (a table built from views: cheap) with its tests whenever any
        input changed, so that the quality gate and ``publish`` judge every mart in the run
        that built it; staging and intermediate models of unchanged inputs are left alone.
        """
        if self.rebuild_all:
            return []
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        project = manifest["metadata"].get("project_name", "klynge")
        marts = [
            uid
            for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and node["fqn"][1:2] == [MARTS_FOLDER]
        ]
        rebuilt = _descendants(
            manifest["child_map"],
            [f"source.{project}.raw.{t}" for t in self.changed_sources] + marts,
        ) | set(marts)
        return [
            manifest["nodes"][uid]["name"]
            for uid in _topological(manifest)
            if uid not in rebuilt
            and manifest["nodes"][uid]["resource_type"] in ("model", "seed", "test", "snapshot")
        ]


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
    parents = {
        uid: [p for p in manifest["parent_map"].get(uid, []) if p in manifest["nodes"]]
        for uid in manifest["nodes"]
    }
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


def code_version(manifest_path: Path, price_base_year: int | None) -> str:
    """Changes when any model, seed, test or macro changes, or a constant (a dbt var) or the
    price base year does."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    parts = sorted(
        f"{uid}:{node.get('checksum', {}).get('checksum', '')}"
        for section in ("nodes", "macros")
        for uid, node in manifest.get(section, {}).items()
    )
    parts.append(f"vars={json.dumps(dbt_vars(), sort_keys=True)}")
    parts.append(f"price_base_year={price_base_year or ''}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def source_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each raw table's content version, from the load records."""
    versions = {load.raw_table: load.data_version for load in latest_dst_loads(con).values()}
    versions.update(programme_data_versions(latest_programme_load(con)))
    return versions


def current_inputs(
    con: duckdb.DuckDBPyConnection, manifest_path: Path, price_base_year: int | None
) -> BuildInputs:
    return BuildInputs(code_version(manifest_path, price_base_year), source_versions(con))


@dataclass(frozen=True)
class BuildHistory:
    """The last good build and the builds attempted after it (oldest first)."""

    good: BuildInputs | None
    since: tuple[BuildInputs, ...] = ()


def build_history(con: duckdb.DuckDBPyConnection) -> BuildHistory:
    """Reads only, so that a read-only connection (the cheap pre-check) can ask."""
    builds = dbt_builds(con)
    good_at = max((i for i, b in enumerate(builds) if b.status == "passed"), default=None)
    if good_at is None:
        return BuildHistory(None)
    good, *since = (BuildInputs(b.code_version, b.sources) for b in builds[good_at:])
    return BuildHistory(good, tuple(since))


def plan_build(current: BuildInputs, history: BuildHistory) -> BuildPlan:
    last = history.good
    if last is None:
        return BuildPlan(True, (), "no earlier build that passed the quality gate")
    if any(b.code != current.code for b in (last, *history.since)):
        return BuildPlan(True, (), "the dbt project or the price base year changed")
    builds = (last, *history.since)
    changed = {t for b in builds for t, v in current.sources.items() if b.sources.get(t) != v}
    # What a later, not good, build changed is still in the marts: build and check it again.
    changed |= {t for b in history.since for t, v in b.sources.items() if last.sources.get(t) != v}
    failed = (
        f"; {len(history.since)} build(s) since the last good one did not pass the "
        "quality gate, so what they changed is built and checked again"
        if history.since
        else ""
    )
    tables = tuple(sorted(t for t in changed if t in current.sources))
    if tables:
        return BuildPlan(False, tables, f"changed inputs: {', '.join(tables)}{failed}")
    if changed or history.since:
        return BuildPlan(True, (), f"the warehouse differs from the last good build{failed}")
    return BuildPlan(False, (), "no input changed since the last build that passed the gate")
