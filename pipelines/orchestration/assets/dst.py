"""One Dagster asset per configured DST table, writing ``raw.dst_<table>``."""

from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DataVersion,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryRequested,
    asset,
)

from pipelines.dst.config import TableSpec, load_table_specs
from pipelines.dst.errors import DstApiError, DstUnavailableError
from pipelines.dst.ingest import IngestResult, ingest_table
from pipelines.orchestration.resources import DstSourceResource
from pipelines.orchestration.warehouse import WarehouseResource

GROUP = "dst"
# Each DST table is loaded (or found unchanged) by the nightly 02:00 refresh: after 26 hours
# without a load the UI warns, after 50 hours (two missed nights) it marks the table stale.
# Yesterday's data is still the last good data, so this never stops a run.
FRESHNESS = FreshnessPolicy.time_window(
    fail_window=timedelta(hours=50), warn_window=timedelta(hours=26)
)


def dst_asset_key(spec: TableSpec) -> AssetKey:
    """Matches the dbt source ``raw.<table>``, so dbt models hang under these assets."""
    return AssetKey(["raw", spec.raw_table])


def _metadata(result: IngestResult) -> dict[str, object]:
    meta: dict[str, object] = {
        "dagster/row_count": result.rows,
        "dst_table": result.table_id,
        "source_mode": result.source_mode,
        "dst_updated": result.dst_updated,
        "synthetic": result.synthetic,
        "downloaded": result.downloaded,
        "suppressed_cells": result.suppressed,
        "preview": MetadataValue.md(_markdown_table(result.preview)),
    }
    if result.fallback_reason:
        meta["fallback_reason"] = result.fallback_reason
    return meta


def _markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += [
        "| " + " | ".join("" if r[c] is None else str(r[c]) for c in cols) + " |" for r in rows
    ]
    return "\n".join(lines)


def build_dst_asset(spec: TableSpec) -> AssetsDefinition:
    @asset(
        name=spec.raw_table,
        key_prefix=["raw"],
        group_name=GROUP,
        description=f"DST StatBank table {spec.id}: {spec.description} Unit: {spec.unit}.",
        kinds={"duckdb", "python"},
        owners=["team:klynge-data"],
        freshness_policy=FRESHNESS,
        metadata={
            "dst_table": spec.id,
            "unit": spec.unit,
            "owner": spec.owner,
            "selection": MetadataValue.json(
                {k: v if isinstance(v, str) else list(v) for k, v in spec.variables.items()}
            ),
        },
    )
    def _dst_table(
        context: AssetExecutionContext, dst: DstSourceResource, warehouse: WarehouseResource
    ) -> MaterializeResult:
        try:
            result = ingest_table(spec, dst.source(), warehouse.get_connection)
        except (DstUnavailableError, DstApiError) as exc:
            # Errors that cannot heal by waiting (4xx, bad bodies) fail at once.
            if isinstance(exc, DstApiError) and exc.status < 500 and exc.status != 429:
                raise
            if dst.step_retries:
                context.log.warning(f"{exc}; the step will be retried")
            raise RetryRequested(
                max_retries=dst.step_retries, seconds_to_wait=dst.step_retry_wait_seconds
            ) from exc
        if result.fallback_reason:
            context.log.warning(f"{spec.id}: DST could not be reached; the stored snapshot is used")
            context.log.debug(f"{spec.id}: why DST could not be reached: {result.fallback_reason}")
        if not result.dst_updated:
            context.log.warning(
                f"{spec.id}: tableinfo gave no 'updated' version; the table is downloaded on "
                "every refresh until it does"
            )
        if not result.downloaded:
            verb = "unchanged since last load, not downloaded"
        elif result.source_mode == "snapshot":
            verb = "read from the snapshot"
        else:
            verb = "downloaded"
        context.log.info(
            f"{spec.id} ({result.source_mode}, updated {result.dst_updated}): "
            f"{verb}; {result.rows} rows, {result.suppressed} suppressed"
        )
        return MaterializeResult(
            metadata=_metadata(result), data_version=DataVersion(result.data_version)
        )

    return _dst_table


dst_assets = [build_dst_asset(spec) for spec in load_table_specs()]
