"""``publish``: the last asset of the refresh, run only when every mart passed its gate."""

import json
from dataclasses import replace
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines.bookkeeping import mark_build
from pipelines.catalog import Mart
from pipelines.dst.config import load_table_specs
from pipelines.orchestration.resources import SettingsResource
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.publish.provenance import Provenance, read_provenance
from pipelines.publish.release import PublishError, publish_release
from pipelines.quality.gx_runner import run_dir, start_data_docs


def passed_checks(marts: tuple[Mart, ...], quality_dir: Path) -> dict[str, dict]:
    """Each mart's gate result from this run; a mart without a passing one stops publishing.

    A run that builds anything rebuilds every mart (:mod:`pipelines.incremental`), so every
    mart is checked in the run that publishes it.
    """
    checks, missing = {}, []
    for mart in marts:
        path = quality_dir / f"{mart.name}.json"
        result = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        if not result or not result["success"]:
            missing.append(mart.name)
            continue
        checks[mart.name] = {"success": True, "evaluated": len(result["expectations"]), "failed": 0}
    if missing:
        raise PublishError(
            f"no passing quality check in this run for: {', '.join(missing)}; "
            "run the refresh job (its checks gate publishing)"
        )
    return checks


def _with_fallback_reasons(context: AssetExecutionContext, provenance: Provenance) -> Provenance:
    """Add why each DST table came from the snapshot, as its last load recorded it."""
    tables = {}
    for spec in load_table_specs():
        entry = provenance.dst_tables.get(spec.id)
        if entry is None:
            continue
        event = context.instance.get_latest_materialization_event(AssetKey(["raw", spec.raw_table]))
        meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
        reason = meta.get("fallback_reason")
        same_load = meta.get("dst_updated") is not None and meta["dst_updated"].value == entry.get(
            "updated"
        )
        tables[spec.id] = {
            **entry,
            "fallback_reason": reason.value
            if reason and same_load and entry.get("source_mode") == "snapshot"
            else None,
        }
    return replace(provenance, dst_tables={**provenance.dst_tables, **tables})


def build_publish(marts: tuple[Mart, ...]) -> AssetsDefinition:
    """The release of ``marts``, after every one of them passed its gate."""

    @asset(
        key=AssetKey(["published", "release"]),
        deps=[AssetKey(["marts", m.name]) for m in marts],
        group_name="publish",
        kinds={"duckdb", "parquet", "csv", "xlsx"},
        owners=["team:klynge-data"],
        description="Writes a release (DuckDB copy, Parquet, CSV, XLSX, figures, data dictionary, "
        "quality results, manifest) to `data/published/releases/<time>/` and switches "
        "`data/published/` to it atomically. Runs only after every mart's blocking "
        "quality check passed.",
    )
    def publish(
        context: AssetExecutionContext, warehouse: WarehouseResource, settings: SettingsResource
    ) -> MaterializeResult:
        config = settings.get()
        quality_dir = run_dir(config.data_dir, context.run.run_id)
        checks = passed_checks(marts, quality_dir)
        data_docs = start_data_docs(quality_dir)  # built by the GX process meanwhile
        provenance = _with_fallback_reasons(
            context, read_provenance(config.warehouse_path, context.run.run_id, checks)
        )
        outcome = publish_release(
            published=config.published_dir,
            warehouse=config.warehouse_path,
            marts=marts,
            provenance=provenance,
            quality_dir=quality_dir,
            data_docs=data_docs,
            keep=config.keep_releases,
        )
        if outcome.switched:
            context.log.info(f"published {outcome.release}")
        else:
            context.log.warning(f"release not published: {outcome.reason}")
        with warehouse.get_connection() as con:
            # The gate passed and publishing ended as it should: this build is the new baseline.
            mark_build(con, context.run.run_id, "passed")
        return MaterializeResult(
            metadata={
                "switched": outcome.switched,
                "reason": outcome.reason,
                "release": MetadataValue.path(str(outcome.release)),
                "published_dir": MetadataValue.path(str(config.published_dir)),
                "synthetic": provenance.synthetic,
                "sample": provenance.sample,
                "dst_source_mode": provenance.source_mode,
                "price_base_year": outcome.manifest.get("price_base_year"),
                "files": len(outcome.manifest.get("files", [])),
            }
        )

    return publish
