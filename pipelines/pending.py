"""Is there anything for a refresh to do? Decided cheaply, before Dagster, dbt or
Great Expectations are even imported.

Most nights nothing has changed: DST has not republished a table and no cluster organisation
has sent a file. Starting the whole machinery to find that out costs far more than the answer,
so ``make run`` and the nightly schedule ask here first and skip the run with the reason. Work
is pending when any of these holds (anything else that cannot be decided cheaply counts as
pending too, so a doubt always runs the refresh):

- a DST table's ``updated`` timestamp, selection or source mode differs from its last load;
- the programme's inbound files (names, checksums, contract versions) differ from the last load;
- a firm panel file in ``data/inbound/firm_panel/`` is newer than the last effect estimates;
- the dbt project or the price base year changed since the last build that passed the gate;
- a build since the last good one did not pass the gate (it must fail again, by name);
- there is no warehouse, no good build or no release yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.bookkeeping import PROGRAMME_LOADS, dst_data_version, has_table
from pipelines.settings import DBT_PROJECT_DIR, Settings

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


@dataclass(frozen=True)
class Pending:
    """What a refresh would find to do; no ``reasons`` means nothing."""

    reasons: list[str] = field(default_factory=list)
    release: str | None = None  # the current release's name

    @property
    def nothing(self) -> bool:
        return not self.reasons

    def describe(self) -> str:
        if self.nothing:
            return f"nothing changed since release {self.release}"
        return "; ".join(self.reasons)


def current_release(published: Path) -> str | None:
    link = published / "current"
    return link.resolve().name if link.is_symlink() and link.exists() else None


def pending_work(settings: Settings) -> Pending:
    release = current_release(settings.published_dir)
    if release is None:
        return Pending(["no release has been published yet"])
    if not settings.warehouse_path.exists() or not MANIFEST.exists():
        return Pending(["no working warehouse or dbt manifest yet"], release)
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error as exc:  # e.g. a run holds it: let the refresh queue behind it
        return Pending([f"the warehouse could not be read now ({exc})"], release)
    try:
        reasons = [
            *_build_reasons(con, settings),
            *_dst_reasons(con, settings),
            *_programme_reasons(con, settings),
            *_panel_reasons(settings),
        ]
    finally:
        con.close()
    return Pending(reasons, release)


def _build_reasons(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    from pipelines.incremental import build_history, current_inputs, plan_build

    plan = plan_build(current_inputs(con, MANIFEST, settings.price_base_year), build_history(con))
    return [] if plan.nothing_to_do else [f"dbt: {plan.reason}"]


def _dst_reasons(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    from pipelines.dst.client import DstClient
    from pipelines.dst.config import load_table_specs
    from pipelines.dst.errors import DstError
    from pipelines.dst.load import last_load
    from pipelines.dst.snapshot import SnapshotStore
    from pipelines.dst.source import DstSource

    logging.getLogger("pipelines.dst").setLevel(logging.ERROR)  # a fallback is a reason below
    source = DstSource(
        settings.dst_source,
        DstClient(settings.dst_api_base_url),
        SnapshotStore(settings.dst_snapshot_dir),
    )
    reasons = []
    for spec in load_table_specs():
        try:
            info = source.tableinfo(spec)
        except DstError as exc:
            reasons.append(f"DST {spec.id}: tableinfo failed ({exc}); the refresh reports it")
            continue
        last = last_load(con, spec.id)
        if last is None:
            reasons.append(f"DST {spec.id}: never loaded")
        elif not info.updated:
            reasons.append(f"DST {spec.id}: tableinfo gives no 'updated' version to compare")
        elif last.data_version != dst_data_version(
            info.updated, spec.selection_hash, info.mode.value
        ):
            reasons.append(
                f"DST {spec.id}: updated {info.updated} from {info.mode.value} "
                f"(loaded: {last.dst_updated} from {last.source_mode})"
            )
    return reasons


def _programme_reasons(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    from pipelines.programme.discover import discover, report_paths
    from pipelines.programme.generations import contracts, inbound_dir_of, undeclared_folders
    from pipelines.programme.ingest import files_unchanged, last_load_of

    if not has_table(con, PROGRAMME_LOADS):
        return ["programme: never loaded"]
    root = settings.programme_inbound_dir
    if report_paths(root) or undeclared_folders(root):
        return [f"programme: files outside the generations' folders in {root} (the run says where)"]
    reasons = []
    for generation, schemas in contracts().items():
        batch = discover(
            inbound_dir_of(root, generation),
            {e: s.file_prefix for e, s in schemas.items()},
            schemas,
        )
        try:
            unchanged = files_unchanged(batch, last_load_of(con, schemas), schemas)
        except OSError as exc:  # e.g. no permission: the refresh runs and reports it
            from pipelines.programme.checks.identifiers import redact

            name = redact(Path(exc.filename).name) if exc.filename else "an inbound file"
            return [f"programme {generation}: {name} cannot be read ({exc.strerror})"]
        if not unchanged:
            reasons.append(f"programme {generation}: the inbound files differ from the last load")
    return reasons


def _panel_reasons(settings: Settings) -> list[str]:
    """Panel files (the ones the estimator reads) newer than the estimates of any programme
    generation (``estimates/<generation>/``)."""
    folder = settings.data_dir / "inbound" / "firm_panel"
    if not folder.is_dir():
        return []
    from pipelines.evaluation.contract import panel_files  # pandas: only when a panel is there

    estimated = (settings.data_dir / "evaluation" / "estimates").glob("*/diagnostics.json")
    since = min((p.stat().st_mtime for p in estimated), default=0.0)
    newer = sorted(p.name for p in panel_files(folder) if p.stat().st_mtime > since)
    return [f"firm panel: {', '.join(newer)} newer than the last estimates"] if newer else []
