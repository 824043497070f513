"""The cluster programme's inbound files as four raw tables, loaded together or not at all.

One multi-asset, because the four entities refer to each other and are replaced in one
transaction: ``raw/programme_clusters``, ``raw/programme_projects``,
``raw/programme_participants`` and ``raw/programme_cluster_finances``. A rejected file fails
the step with file, row, column and rule in the message, and the previous tables stay.
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
from pipelines.programme.ingest import ProgrammeLoad, ingest_programme
from pipelines.programme.load import LINEAGE_COLUMNS

GROUP = "programme"
SCHEMAS = load_contract()


def programme_asset_key(schema: EntitySchema) -> AssetKey:
    """Matches the dbt source ``raw.programme_<entity>``."""
    return AssetKey(["raw", schema.raw_table])


def _column_schema(schema: EntitySchema) -> TableSchema:
    columns = [TableColumn(f.name, f.sql_type, description=f.description) for f in schema.fields]
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


def _metadata(load: ProgrammeLoad, schema: EntitySchema) -> dict[str, object]:
    files = load.files_of(schema.entity)
    return {
        "dagster/row_count": load.rows[schema.entity],
        "source_files": MetadataValue.json(
            [
                {"file": redact(f.file), "sha256": f.sha256, "rows": f.rows, "format": f.format}
                for f in files
            ]
        ),
        "sample": load.stamp.is_sample,
        "contract_version": schema.version,
        "load_id": load.stamp.load_id,
        **({"skipped_unsettled": MetadataValue.json(load.unsettled)} if load.unsettled else {}),
    }


def _failure(exc: ProgrammeInboundError) -> Failure:
    meta: dict[str, object] = {}
    if isinstance(exc, ProgrammeRejectedError):
        meta["rejected_files"] = MetadataValue.json(
            [
                {
                    "file": redact(r.file),
                    "sha256": r.sha256,
                    "quarantined_to": r.quarantined_to,
                    "problems": r.problems.total,
                    "first_problems": [p.as_dict() for p in r.problems.items[:20]],
                }
                for r in exc.rejections
            ]
        )
    return Failure(description=str(exc), metadata=meta, allow_retries=False)


@multi_asset(
    name="programme_inbound",
    specs=[_spec(s) for s in SCHEMAS.values()],
    description="Check the cluster organisations' inbound files against the contract and "
    "load them into raw.programme_* (all four tables or none).",
)
def programme_inbound(
    context: AssetExecutionContext, warehouse: WarehouseResource, settings: SettingsResource
):
    paths = settings.get()
    try:
        load = ingest_programme(
            paths.programme_inbound_dir,
            paths.quarantine_dir,
            warehouse.get_connection,
            schemas=SCHEMAS,
            log=context.log,
            settle_seconds=settings.inbound_settle_seconds,
            max_shrink_share=settings.max_shrink_share,
        )
    except ProgrammeInboundError as exc:
        context.log.error(str(exc))
        raise _failure(exc) from exc
    if load.stamp.is_sample and not load.unsettled:  # (while reports settle: kept, said above)
        context.log.warning("loaded the SYNTHETIC sample: no real programme reports yet")
    for schema in SCHEMAS.values():
        yield MaterializeResult(
            asset_key=programme_asset_key(schema),
            metadata=_metadata(load, schema),
            data_version=DataVersion(load.data_version(schema.entity)),
        )


programme_assets = [programme_inbound]
