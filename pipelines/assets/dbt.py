"""The dbt project as Dagster assets: staging -> intermediate -> marts, tests as asset checks.

dbt sources ``raw.<table>`` map to the Python assets that write them (key ``raw/<table>``), so
DST and programme ingestion, the dbt models and the marts form one lineage graph. Models are
keyed ``<schema>/<name>`` (``marts/smv_rd_share``) and grouped by layer.

Builds are incremental (:mod:`pipelines.incremental`): with no changed input dbt does not run,
so the quality checks and ``publish`` are skipped too; with changed raw tables only what lies
downstream of them is rebuilt.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.incremental import current_inputs, last_build, plan_build, record_build
from pipelines.settings import DBT_PROJECT_DIR, load_settings
from pipelines.warehouse import WarehouseResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    # A fresh clone without `make`: parse once so definitions load (make keeps it current).
    dbt_project.preparer.prepare(dbt_project)


class KlyngeDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:klynge-data"]

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props["schema"]


# A DST table and its label lookup are two dbt sources written by one asset (raw/dst_<table>).
@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=KlyngeDbtTranslator(
                settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)))
def klynge_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource,
                      warehouse: WarehouseResource) -> Iterator[Any]:
    """``dbt build`` of what changed: seeds, models and their tests, as Dagster events."""
    with warehouse.get_connection() as con:
        inputs = current_inputs(con, dbt_project.manifest_path)
        plan = plan_build(inputs, last_build(con))
    if plan.nothing_to_do:
        context.log.info(f"dbt not run: {plan.reason}; checks and publish are skipped too")
        return
    context.log.info(f"dbt build: {plan.reason}")
    # Unchanged inputs: those tables in the warehouse are still current. They are reported
    # (not rebuilt), upstream first, so that checks and publish see every mart of the refresh.
    order = {name: i for i, name in enumerate(plan.unchanged_nodes(dbt_project.manifest_path))}
    for key in sorted((k for k in context.selected_asset_keys if k.path[-1] in order),
                      key=lambda k: order[k.path[-1]]):
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                     metadata={"rebuilt": False, "reason": plan.reason})
    # One artifacts folder, overwritten by each build (runs are serialised), instead of a new
    # folder per invocation piling up in the repo.
    target = load_settings().data_dir / "dbt_target"
    yield from dbt.cli(["build", *plan.dbt_args(dbt_project.manifest_path)],
                       context=context, target_path=target).stream()
    with warehouse.get_connection() as con:
        record_build(con, inputs, context.run.run_id)
