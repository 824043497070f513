"""The dbt project as Dagster assets: staging -> intermediate -> marts, tests as asset checks.

dbt sources ``raw.<table>`` map to the Python assets that write them (key ``raw/<table>``), so
DST and programme ingestion, the dbt models and the marts form one lineage graph. Models are
keyed ``<schema>/<name>`` (``marts/smv_rd_share``) and grouped by layer.

Builds are incremental (:mod:`pipelines.incremental`): with no input changed since the last
build that passed the quality gate, dbt does not run, so the quality checks and ``publish`` are
skipped too; with changed raw tables only what lies downstream of them is rebuilt. A build whose
marts failed the gate is never the baseline, so every refresh builds and checks it again.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.constants import with_dbt_vars
from pipelines.incremental import (
    build_history,
    current_inputs,
    mark_build,
    plan_build,
    record_build_start,
)
from pipelines.quality.dbt_tests import describe_test
from pipelines.settings import DBT_PROJECT_DIR, load_settings
from pipelines.warehouse import WarehouseResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                         prepare_project_cli_args=with_dbt_vars(["parse", "--quiet"]))
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

    def get_asset_check_spec(self, asset_spec: AssetSpec, manifest: Mapping[str, Any],
                             unique_id: str, project: DbtProject | None) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return AssetCheckSpec(
            spec.name, asset=spec.asset_key, additional_deps=spec.additional_deps,
            blocking=spec.blocking, metadata=spec.metadata,
            automation_condition=spec.automation_condition,
            description=describe_test(manifest["nodes"].get(unique_id, {})))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props["schema"]


# effect_estimates is built after the estimator writes its input (pipelines/assets/evaluation.py).
# A DST table and its label lookup are two dbt sources written by one asset (raw/dst_<table>).
@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=KlyngeDbtTranslator(
                settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)),
            exclude="effect_estimates")
def klynge_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource,
                      warehouse: WarehouseResource) -> Iterator[Any]:
    """``dbt build`` of what changed: seeds, models and their tests, as Dagster events."""
    with warehouse.get_connection() as con:
        inputs = current_inputs(con, dbt_project.manifest_path)
        plan = plan_build(inputs, build_history(con))
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
    with warehouse.get_connection() as con:
        record_build_start(con, inputs, context.run.run_id)
    yield from dbt.cli(["build", *plan.dbt_args(dbt_project.manifest_path)],
                       context=context, target_path=target).stream()
    with warehouse.get_connection() as con:
        # Good only once the gate has passed: ``publish`` marks it ``passed``.
        mark_build(con, context.run.run_id, "built")
