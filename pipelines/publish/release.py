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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.catalog import Mart
from pipelines.checksums import sha256_file
from pipelines.publish import changes, exports, figures, pins, switch, xlsx
from pipelines.publish.dictionary import data_dictionary
from pipelines.publish.facts import ReleaseFacts, price_base_year
from pipelines.publish.package import (
    citation_cff,
    datapackage,
    datapackage_json,
    release_version,
)
from pipelines.publish.provenance import Provenance, git_commit
from pipelines.publish.quality_page import write_quality
from pipelines.publish.readme import release_readme
from pipelines.publish.switch import CURRENT, RELEASES, read_manifest
from pipelines.report import build_report

SYNTHETIC_NOTICE = (
    "SYNTHETIC DEMO DATA: built from the bundled synthetic DST snapshot, not "
    "from Statistics Denmark. Illustrative only; do not cite."
)
SAMPLE_NOTICE = (
    "SAMPLE PROGRAMME DATA: cluster figures come from the generated sample, not "
    "from the cluster organisations' reports. Illustrative only; do not cite."
)


class PublishError(RuntimeError):
    """The release could not be published; the current release is unchanged."""


@dataclass(frozen=True)
class PublishOutcome:
    release: Path
    switched: bool
    reason: str
    manifest: dict[str, Any]


def _guard(published: Path, provenance: Provenance) -> str | None:
    """Why this release must not replace the current one, or None."""
    current = read_manifest(published / CURRENT)
    if current is None:
        return None
    current_has_live_dst = bool(current.get("dst", {}).get("tables")) and (
        current.get("synthetic") is False
    )
    current_has_reported = bool(current.get("programme", {}).get("inputs")) and (
        current.get("sample") is False
    )
    if provenance.synthetic and current_has_live_dst:
        return (
            "the current release is built from live DST data; a release from the synthetic "
            "snapshot never replaces it"
        )
    if provenance.sample and current_has_reported:
        return (
            "the current release is built from the cluster organisations' reported data; "
            "a release from the programme sample never replaces it"
        )
    return None


def _files(release: Path, rows: dict[str, int]) -> list[dict[str, Any]]:
    files = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        entry: dict[str, Any] = {
            "path": rel,
            "sha256": sha256_file(path),
            "bytes": path.stat().st_size,
            "rows": None,
        }
        table = path.stem
        if path.parent.name in ("parquet", "csv") and table in rows:
            entry["rows"] = rows[table]
        files.append(entry)
    return files


def _manifest(
    facts: ReleaseFacts,
    provenance: Provenance,
    commit: dict[str, Any],
    marts: tuple[Mart, ...],
    rows: dict[str, int],
) -> dict[str, Any]:
    """Everything but ``files``, which is listed once every file of the release is written."""
    return {
        "release": facts.release,
        "version": facts.version,
        "run_id": provenance.run_id,
        "created_at": facts.created_at,
        **commit,
        "synthetic": provenance.synthetic,
        "sample": provenance.sample,
        "notice": facts.notice,
        "price_base_year": facts.price_base_year,
        "dst": {
            "source_mode": provenance.source_mode,
            "fallback_reason": facts.fallback_reason,
            "tables": provenance.dst_tables,
        },
        "programme": {"inputs": provenance.programme_inputs},
        "checks": provenance.checks,
        "tables": {
            m.name: {"rows": rows[m.name], "columns": [c.name for c in m.columns]} for m in marts
        },
    }


def _previous_release(published: Path) -> Path | None:
    """The complete release that is current before this one is switched to (None at first)."""
    current = published / CURRENT
    if not current.is_symlink() or not (current / "manifest.json").is_file():
        return None
    return current.resolve()


def _write_changes(
    building: Path, previous: Path | None, marts: tuple[Mart, ...], facts: ReleaseFacts
) -> dict[str, Any]:
    """``release_changes`` in ``klynge.duckdb`` and ``changes.md``: what changed since the
    release that was current before; returns the manifest's summary of it."""
    comparison = changes.compare(
        previous, building, marts, facts.dst_tables, facts.programme_inputs
    )
    changes.write_release_changes(building / "klynge.duckdb", comparison)
    (building / "changes.md").write_text(
        changes.changes_markdown(comparison, facts.version, facts.notice), encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for change in comparison.changes:
        counts[change.change_kind] = counts.get(change.change_kind, 0) + 1
    return {"previous": comparison.previous, "counts": counts}


def _build_report(release: Path, manifest: dict[str, Any]) -> None:
    """The evaluation report (``report/``); a release is never published without it."""
    try:
        build_report(release, manifest)
    except Exception as exc:
        raise PublishError(
            f"the evaluation report could not be built in {release / 'report'}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _notices(provenance: Provenance) -> list[str]:
    return ([SYNTHETIC_NOTICE] if provenance.synthetic else []) + (
        [SAMPLE_NOTICE] if provenance.sample else []
    )


def _write_data(
    building: Path,
    warehouse: Path,
    marts: tuple[Mart, ...],
    facts: ReleaseFacts,
    provenance: Provenance,
) -> tuple[dict[str, int], dict[str, Any], ReleaseFacts]:
    """The marts in every format, the figures and the evaluation files. Returns rows per mart,
    the tables as read back from the release's own DuckDB file, and the facts completed with
    the price base year found in them."""
    db_file = building / "klynge.duckdb"
    rows = exports.write_duckdb(db_file, warehouse, marts, facts.notice)
    tables = exports.read_tables(db_file, marts)
    facts = replace(facts, price_base_year=price_base_year(tables))
    exports.write_release_info(db_file, facts.release_info())
    exports.write_parquet(db_file, building / "parquet", marts, facts.release_info())
    exports.write_csv(tables, marts, building / "csv")
    xlsx.write_xlsx(tables, marts, building / "klynge.xlsx", facts)
    figures.write_figures(
        tables,
        building / "figures",
        dst_notice=SYNTHETIC_NOTICE if provenance.synthetic else None,
        programme_notice=SAMPLE_NOTICE if provenance.sample else None,
    )
    # DST submission package and event-study figures (listed in the manifest like every file)
    from pipelines.evaluation.release_files import write_evaluation_files

    write_evaluation_files(tables, building / "evaluation")
    return rows, tables, facts


def _write_docs(
    building: Path,
    marts: tuple[Mart, ...],
    facts: ReleaseFacts,
    rows: dict[str, int],
    quality_dir: Path,
) -> None:
    """Data dictionary, gate results (with GX's raw validation results), README."""
    (building / "data_dictionary.md").write_text(
        data_dictionary(marts, rows, facts.notice), encoding="utf-8"
    )
    write_quality(quality_dir, building / "quality", marts)
    (building / "README.md").write_text(release_readme(facts, marts, rows), encoding="utf-8")
    _write_package(building, marts, facts, rows)


def _write_package(
    building: Path, marts: tuple[Mart, ...], facts: ReleaseFacts, rows: dict[str, int]
) -> None:
    """``datapackage.json`` (Frictionless) and ``CITATION.cff``: the release as a citable,
    machine-readable data package."""
    package = datapackage(
        release=facts.release,
        version=facts.version,
        created_at=facts.created_at,
        notice=facts.notice,
        synthetic=facts.synthetic,
        sample=facts.sample,
        marts=marts,
        rows=rows,
        dst_tables=facts.dst_tables,
        programme_inputs=facts.programme_inputs,
    )
    (building / "datapackage.json").write_text(datapackage_json(package), encoding="utf-8")
    (building / "CITATION.cff").write_text(
        citation_cff(
            version=facts.version,
            created_at=facts.created_at,
            notice=facts.notice,
            dst_tables=facts.dst_tables,
            programme_inputs=facts.programme_inputs,
        ),
        encoding="utf-8",
    )


def publish_release(
    *,
    published: Path,
    warehouse: Path,
    marts: tuple[Mart, ...],
    provenance: Provenance,
    quality_dir: Path,
    data_docs: Callable[[], object] | None = None,
    keep: int = 10,
    now: datetime | None = None,
) -> PublishOutcome:
    """Write a complete release, then switch ``current`` to it; on any failure the current
    release stays as it was. ``data_docs`` waits for the run's GX Data Docs (being built in
    ``quality_dir`` meanwhile, for operators; the release has the report's quality page and
    GX's raw results instead)."""
    now = now or datetime.now(UTC)
    name = now.strftime("%Y%m%dT%H%M%S%fZ")
    releases = published / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    switch.clear_partial_releases(published)
    refusal = _guard(published, provenance)
    if refusal:
        return PublishOutcome(releases / name, False, refusal, {})
    building = releases / f".{name}.partial"
    building.mkdir()
    commit = git_commit()
    created_at = now.isoformat(timespec="seconds")
    facts = ReleaseFacts(
        release=name,
        version=release_version(created_at, provenance.dst_tables, provenance.programme_inputs),
        run_id=provenance.run_id,
        created_at=created_at,
        git_commit=commit["git_commit"],
        price_base_year=None,
        dst_source_mode=provenance.source_mode,
        dst_tables=provenance.dst_tables,
        programme_inputs=provenance.programme_inputs,
        synthetic=provenance.synthetic,
        sample=provenance.sample,
        notices=_notices(provenance),
    )
    rows, tables, facts = _write_data(building, warehouse, marts, facts, provenance)
    changed = _write_changes(building, _previous_release(published), marts, facts)
    if data_docs is not None:
        data_docs()
    _write_docs(building, marts, facts, rows, quality_dir)
    manifest = {
        **_manifest(facts, provenance, commit, marts, rows),
        "changes": changed,
        "pinned": pins.pinned(published),  # as they are now (data/published/pinned.json)
    }
    _build_report(building, manifest)
    manifest["files"] = _files(building, rows)  # the report's files too
    (building / "manifest.json").write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    switch.fsync_tree(building)
    release = releases / name
    os.rename(building, release)
    try:
        switch.ensure_entry_links(published)
    except switch.EntryInTheWayError as exc:
        raise PublishError(str(exc)) from exc
    switch.switch(published, release)
    switch.prune(published, keep)
    return PublishOutcome(release, True, "published", manifest)
