"""Build a release folder and switch ``data/published/`` to it atomically.

Layout::

    data/published/
      releases/<name>/          complete releases (a folder being built is releases/.<name>.partial)
      current -> releases/<name>   one symlink, replaced with rename(2): the switch
      klynge.duckdb -> current/klynge.duckdb   (and parquet/, csv/, klynge.xlsx, figures/, ...)

A reader always sees either the old or the new release, complete: the new one is written in a
folder nobody reads, made durable, then made current by one atomic rename. A reader holding the
old ``klynge.duckdb`` open keeps its file; old releases are pruned only beyond the last N.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.catalog import Mart
from pipelines.checksums import sha256_file
from pipelines.publish import exports, figures, xlsx
from pipelines.publish.dictionary import data_dictionary
from pipelines.publish.facts import ReleaseFacts, price_base_year
from pipelines.publish.quality_page import GX_DOCS_DIR, write_quality
from pipelines.publish.readme import release_readme
from pipelines.report import build_report
from pipelines.settings import REPO_ROOT

CURRENT = "current"
RELEASES = "releases"
# What data/published/ shows at its top level, each a link into the current release.
ENTRIES = ("klynge.duckdb", "klynge.xlsx", "parquet", "csv", "figures", "data_dictionary.md",
           "gx_data_docs", "quality", "report", "evaluation", "manifest.json",
           "README.md")
SYNTHETIC_NOTICE = ("SYNTHETIC DEMO DATA: built from the bundled synthetic DST snapshot, not "
                    "from Statistics Denmark. Illustrative only; do not cite.")
SAMPLE_NOTICE = ("SAMPLE PROGRAMME DATA: cluster figures come from the generated sample, not "
                 "from the cluster organisations' reports. Illustrative only; do not cite.")


class PublishError(RuntimeError):
    """The release could not be published; the current release is unchanged."""


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


@dataclass(frozen=True)
class PublishOutcome:
    release: Path
    switched: bool
    reason: str
    manifest: dict[str, Any]


def _git_commit() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    cwd=REPO_ROOT, capture_output=True, text=True,
                                    timeout=10).stdout.strip())
        return {"git_commit": commit, "git_dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": "unknown", "git_dirty": None}


def read_provenance(warehouse: Path, run_id: str, checks: dict[str, dict[str, Any]],
                    ) -> Provenance:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()}
        dst: dict[str, dict[str, Any]] = {}
        if "_dst_loads" in tables:
            for table_id, updated, mode, synthetic, rows, loaded_at in con.execute(
                """select table_id, dst_updated, source_mode, synthetic, row_count, loaded_at
                   from raw._dst_loads qualify row_number() over (
                       partition by table_id order by loaded_at desc) = 1
                   order by table_id""").fetchall():
                dst[table_id] = {"updated": updated, "source_mode": mode, "synthetic": synthetic,
                                 "rows": rows, "loaded_at": str(loaded_at)}
        programme: list[dict[str, Any]] = []
        if "_programme_loads" in tables:
            cur = con.execute("""select * from raw._programme_loads
                                 qualify dense_rank() over (order by loaded_at desc) = 1""")
            names = [d[0] for d in cur.description]
            programme = [{k: (v if isinstance(v, (bool, int, float)) or v is None else str(v))
                          for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]
            for entry in programme:
                entry.setdefault("sample", entry.get("is_sample", False))
    return Provenance(run_id, dst, programme, checks)


def _current_manifest(published: Path) -> dict[str, Any] | None:
    path = published / CURRENT / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _guard(published: Path, provenance: Provenance) -> str | None:
    """Why this release must not replace the current one, or None."""
    current = _current_manifest(published)
    if current is None:
        return None
    current_has_live_dst = bool(current.get("dst", {}).get("tables")) and (
        current.get("synthetic") is False)
    current_has_reported = bool(current.get("programme", {}).get("inputs")) and (
        current.get("sample") is False)
    if provenance.synthetic and current_has_live_dst:
        return ("the current release is built from live DST data; a release from the synthetic "
                "snapshot never replaces it")
    if provenance.sample and current_has_reported:
        return ("the current release is built from the cluster organisations' reported data; "
                "a release from the programme sample never replaces it")
    return None


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(Path(root) / name, "rb") as fh:
                os.fsync(fh.fileno())
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _files(release: Path, rows: dict[str, int]) -> list[dict[str, Any]]:
    files = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        entry: dict[str, Any] = {"path": rel, "sha256": sha256_file(path),
                                 "bytes": path.stat().st_size, "rows": None}
        table = path.stem
        if path.parent.name in ("parquet", "csv") and table in rows:
            entry["rows"] = rows[table]
        files.append(entry)
    return files


def _manifest(facts: ReleaseFacts, provenance: Provenance, commit: dict[str, Any],
              marts: tuple[Mart, ...], rows: dict[str, int]) -> dict[str, Any]:
    """Everything but ``files``, which is listed once every file of the release is written."""
    return {
        "release": facts.release,
        "run_id": provenance.run_id,
        "created_at": facts.created_at,
        **commit,
        "synthetic": provenance.synthetic,
        "sample": provenance.sample,
        "notice": facts.notice,
        "price_base_year": facts.price_base_year,
        "dst": {"source_mode": provenance.source_mode,
                "fallback_reason": facts.fallback_reason, "tables": provenance.dst_tables},
        "programme": {"inputs": provenance.programme_inputs},
        "checks": provenance.checks,
        "tables": {m.name: {"rows": rows[m.name], "columns": [c.name for c in m.columns]}
                   for m in marts},
    }


def _ensure_entry_links(published: Path) -> None:
    for entry in ENTRIES:
        link = published / entry
        if not link.is_symlink():
            if link.exists():
                raise PublishError(f"{link} exists and is not a link into the current release; "
                                   "move it away")
            link.symlink_to(Path(CURRENT) / entry)


def _switch(published: Path, release: Path) -> None:
    tmp = published / f".{CURRENT}.{os.getpid()}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(Path(RELEASES) / release.name)
    os.replace(tmp, published / CURRENT)  # the atomic switch
    fd = os.open(published, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(published: Path, keep: int) -> list[str]:
    releases = published / RELEASES
    current = (published / CURRENT).resolve().name if (published / CURRENT).exists() else None
    complete = sorted(p for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))
    removed = []
    for old in complete[:-keep] if keep > 0 else []:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


def clear_partial_releases(published: Path) -> list[str]:
    """Remove folders of releases whose build was interrupted (never current, never read)."""
    releases = published / RELEASES
    if not releases.exists():
        return []
    partial = [p for p in releases.iterdir() if p.name.startswith(".")]
    for path in partial:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
    return [p.name for p in partial]


def _build_report(release: Path, manifest: dict[str, Any]) -> None:
    """The evaluation report (``report/``); a release is never published without it."""
    try:
        build_report(release, manifest)
    except Exception as exc:
        raise PublishError(f"the evaluation report could not be built in {release / 'report'}: "
                           f"{type(exc).__name__}: {exc}") from exc


def publish_release(*, published: Path, warehouse: Path, marts: tuple[Mart, ...],
                    provenance: Provenance, quality_dir: Path, keep: int = 10,
                    now: datetime | None = None) -> PublishOutcome:
    now = now or datetime.now(UTC)
    name = now.strftime("%Y%m%dT%H%M%S%fZ")
    releases = published / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    clear_partial_releases(published)
    refusal = _guard(published, provenance)
    if refusal:
        return PublishOutcome(releases / name, False, refusal, {})

    notices = ([SYNTHETIC_NOTICE] if provenance.synthetic else []) + (
        [SAMPLE_NOTICE] if provenance.sample else [])
    notice = " ".join(notices) or None
    building = releases / f".{name}.partial"
    building.mkdir()
    db_file = building / "klynge.duckdb"
    rows = exports.write_duckdb(db_file, warehouse, marts, notice)
    tables = exports.read_tables(db_file, marts)
    commit = _git_commit()
    facts = ReleaseFacts(
        release=name, run_id=provenance.run_id, created_at=now.isoformat(timespec="seconds"),
        git_commit=commit["git_commit"], price_base_year=price_base_year(tables),
        dst_source_mode=provenance.source_mode, dst_tables=provenance.dst_tables,
        programme_inputs=provenance.programme_inputs, synthetic=provenance.synthetic,
        sample=provenance.sample, notices=notices)
    exports.write_release_info(db_file, facts.release_info())
    exports.write_parquet(db_file, building / "parquet", marts, facts.release_info())
    exports.write_csv(tables, marts, building / "csv")
    xlsx.write_xlsx(tables, marts, building / "klynge.xlsx", facts)
    figures.write_figures(tables, building / "figures",
                          dst_notice=SYNTHETIC_NOTICE if provenance.synthetic else None,
                          programme_notice=SAMPLE_NOTICE if provenance.sample else None)
    # DST submission package and event-study figures (listed in the manifest like every file)
    from pipelines.evaluation.release_files import write_evaluation_files

    write_evaluation_files(tables, building / "evaluation")
    (building / "data_dictionary.md").write_text(data_dictionary(marts, rows, notice),
                                                 encoding="utf-8")
    docs = quality_dir / "gx" / "uncommitted" / "data_docs" / "local_site"
    if docs.exists():
        shutil.copytree(docs, building / GX_DOCS_DIR)
    write_quality(quality_dir, building / "quality", marts, facts, tables.get("quality_findings"))
    (building / "README.md").write_text(release_readme(facts, marts, rows), encoding="utf-8")
    manifest = _manifest(facts, provenance, commit, marts, rows)
    _build_report(building, manifest)
    manifest["files"] = _files(building, rows)  # the report's files too
    (building / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n",
                                            encoding="utf-8")
    _fsync_tree(building)
    release = releases / name
    os.rename(building, release)
    _ensure_entry_links(published)
    _switch(published, release)
    _prune(published, keep)
    return PublishOutcome(release, True, "published", manifest)
