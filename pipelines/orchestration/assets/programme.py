"""The cluster programme's inbound files as four raw tables, every generation's rows in them.

One multi-asset, because the four entities refer to each other and a generation's rows are
replaced in one transaction: ``raw/programme_clusters``, ``raw/programme_projects``,
``raw/programme_participants`` and ``raw/programme_cluster_finances``, each with the column
``programme`` (the generation). A rejected file fails the step with generation, file, row,
column and rule in the message, and that generation's previous rows stay.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    multi_asset,
)

from pipelines.orchestration.resources import SettingsResource
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.programme.checks.errors import ProgrammeInboundError, ProgrammeRejectedError
from pipelines.programme.checks.identifiers import redact
from pipelines.programme.contract import EntitySchema, load_contract
from pipelines.programme.generations import (
    GenerationLoad,
    ProgrammeGenerationsError,
    ingest_generations,
)
from pipelines.programme.load import LINEAGE_COLUMNS

GROUP = "programme"
SCHEMAS = load_contract()  # the current generation's: every contract field is a raw column


def programme_asset_key(schema: EntitySchema) -> AssetKey:
    """Matches the dbt source ``raw.programme_<entity>``."""
    return AssetKey(["raw", schema.raw_table])


def _column_schema(schema: EntitySchema) -> TableSchema:
    columns = [
        TableColumn(f.name, f.sql_type, description=f.description) for f in schema.contract_fields
    ]
    columns.append(TableColumn("programme", "VARCHAR", description="The programme generation."))
    columns += [TableColumn(name, sql_type) for name, sql_type in LINEAGE_COLUMNS]
    return TableSchema(columns=columns)


def _spec(schema: EntitySchema) -> AssetSpec:
    return AssetSpec(
        programme_asset_key(schema),
        group_name=GROUP,
        description=f"Programme inbound data, {schema.entity}: {schema.description} "
        "Contract: docs/programme_contract.md.",
        kinds={"duckdb", "python"},
        owners=["team:klynge-data"],
        metadata={
            "contract_version": schema.version,
            "file_prefix": schema.file_prefix,
            "dagster/column_schema": _column_schema(schema),
        },
    )


def _metadata(loads: list[GenerationLoad], entity: str) -> dict[str, object]:
    return {
        "dagster/row_count": sum(g.load.rows[entity] for g in loads),
        "rows_by_generation": MetadataValue.json(
            {g.generation.id: g.load.rows[entity] for g in loads}
        ),
        "source_files": MetadataValue.json(
            [
                {
                    "generation": g.generation.id,
                    "file": redact(f.file),
                    "sha256": f.sha256,
                    "rows": f.rows,
                    "format": f.format,
                }
                for g in loads
                for f in g.load.files_of(entity)
            ]
        ),
        "sample": MetadataValue.json({g.generation.id: g.load.stamp.is_sample for g in loads}),
        "contract_version": MetadataValue.json(
            {g.generation.id: g.schemas[entity].version for g in loads}
        ),
        "load_id": MetadataValue.json({g.generation.id: g.load.stamp.load_id for g in loads}),
        **(
            {
                "skipped_unsettled": MetadataValue.json(
                    {g.generation.id: g.load.unsettled for g in loads if g.load.unsettled}
                )
            }
            if any(g.load.unsettled for g in loads)
            else {}
        ),
    }


def _data_version(loads: list[GenerationLoad], entity: str) -> DataVersion:
    return DataVersion("+".join(f"{g.generation.id}:{g.load.data_version(entity)}" for g in loads))


def _rejections(exc: ProgrammeInboundError) -> list:
    if isinstance(exc, ProgrammeRejectedError):
        return list(exc.rejections)
    if isinstance(exc, ProgrammeGenerationsError):
        return [r for failure in exc.failures.values() for r in _rejections(failure)]
    return []


def _failure(exc: ProgrammeInboundError) -> Failure:
    meta: dict[str, object] = {}
    if rejections := _rejections(exc):
        meta["rejected_files"] = MetadataValue.json(
            [
                {
                    "file": redact(r.file),
                    "sha256": r.sha256,
                    "quarantined_to": r.quarantined_to,
                    "problems": r.problems.total,
                    "first_problems": [p.as_dict() for p in r.problems.items[:20]],
                }
                for r in rejections
            ]
        )
    return Failure(description=str(exc), metadata=meta, allow_retries=False)


@multi_asset(
    name="programme_inbound",
    specs=[_spec(s) for s in SCHEMAS.values()],
    description="Check the cluster organisations' inbound files, generation by generation, "
    "against the contract and load them into raw.programme_* (a generation's four tables or "
    "none).",
)
def programme_inbound(
    context: AssetExecutionContext, warehouse: WarehouseResource, settings: SettingsResource
):
    paths = settings.get()
    try:
        loads = ingest_generations(
            paths.programme_inbound_dir,
            paths.quarantine_dir,
            warehouse.get_connection,
            log=context.log,
            settle_seconds=settings.inbound_settle_seconds,
            max_shrink_share=settings.max_shrink_share,
        )
    except ProgrammeInboundError as exc:
        context.log.error(str(exc))
        raise _failure(exc) from exc
    for g in loads:
        if g.load.stamp.is_sample and not g.load.unsettled:  # (while reports settle: said above)
            context.log.warning(
                f"generation {g.generation.id}: loaded the SYNTHETIC sample, no real programme "
                "reports yet"
            )
    for schema in SCHEMAS.values():
        yield MaterializeResult(
            asset_key=programme_asset_key(schema),
            metadata=_metadata(loads, schema.entity),
            data_version=_data_version(loads, schema.entity),
        )


programme_assets = [programme_inbound]
