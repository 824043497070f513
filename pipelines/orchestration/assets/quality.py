"""The quality gate: a blocking Great Expectations check on every published mart.

A failed check stops the run before ``publish``; its metadata lists every expectation with the
column, what was observed and examples of the rows that broke it. Findings that must be seen
but must not stop publication (data from the synthetic snapshot or the programme sample) are
WARN checks.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from pipelines.catalog import MART_SCHEMA, Mart
from pipelines.orchestration.resources import SettingsResource
from pipelines.orchestration.warehouse import WarehouseResource, connect
from pipelines.quality.gx_runner import SuiteResult, run_dir, validate_mart


def mart_key(mart: Mart) -> AssetKey:
    return AssetKey([MART_SCHEMA, mart.name])


def _read(warehouse: WarehouseResource, sql: str):
    con = connect(warehouse.database, read_only=True, wait_seconds=warehouse.lock_wait_seconds)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _markdown(result: SuiteResult) -> str:
    lines = [
        "| ok | expectation | column | rule | observed / unexpected |",
        "|---|---|---|---|---|",
    ]
    for o in sorted(result.outcomes, key=lambda o: o.success):
        found = (
            f"{o.unexpected_count} unexpected, e.g. {o.unexpected_examples[:3]}"
            if o.unexpected_count
            else str(o.observed)[:60]
        )
        lines.append(
            f"| {'✅' if o.success else '❌'} | {o.expectation} | {o.column or ''} | "
            f"{o.rule} | {found.replace('|', '/')} |"
        )
    return "\n".join(lines)


def build_gx_check(mart: Mart) -> AssetChecksDefinition:
    @asset_check(
        asset=mart_key(mart),
        name="gx_suite",
        blocking=True,
        description=f"Great Expectations suite for {mart.name}: contract columns and "
        "types, row count, shares, sums, programme constants.",
    )
    def _gx_check(
        context: AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        settings: SettingsResource,
    ) -> AssetCheckResult:
        df = _read(warehouse, f"select * from {mart.relation}")
        out_dir = run_dir(settings.get().data_dir, context.run.run_id)
        result = validate_mart(mart, df, out_dir)
        if not result.success:
            context.log.error(result.summary())
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            description=result.summary()[:2000],
            metadata={
                "expectations": MetadataValue.md(_markdown(result)),
                "failed": len(result.failures),
                "evaluated": len(result.outcomes),
                "rows": len(df),
                "results_json": MetadataValue.path(str(out_dir / f"{mart.name}.json")),
                **({"data_docs": MetadataValue.path(result.data_docs)} if result.data_docs else {}),
            },
        )

    return _gx_check


def build_provenance_check(mart: Mart) -> AssetChecksDefinition:
    flag = "is_synthetic" if mart.source == "dst" else "is_sample"
    what = (
        "the synthetic DST demo snapshot"
        if mart.source == "dst"
        else ("the synthetic programme sample")
    )

    @asset_check(
        asset=mart_key(mart),
        name="built_from_real_data",
        blocking=False,
        description=f"Warns when {mart.name} was built from {what}.",
    )
    def _provenance(warehouse: WarehouseResource) -> AssetCheckResult:
        flagged = _read(
            warehouse,
            f"select count(*) filter (where {flag}) as n, count(*) as total from {mart.relation}",
        ).iloc[0]
        return AssetCheckResult(
            passed=int(flagged["n"]) == 0,
            severity=AssetCheckSeverity.WARN,
            description=(
                f"{int(flagged['n'])} of {int(flagged['total'])} rows come from {what}: "
                "publishable, but marked as not real data"
                if flagged["n"]
                else "built from real data"
            ),
            metadata={"flagged_rows": int(flagged["n"])},
        )

    return _provenance


def build_quality_checks(marts: tuple[Mart, ...]) -> list[AssetChecksDefinition]:
    return [
        check for mart in marts for check in (build_gx_check(mart), build_provenance_check(mart))
    ]
