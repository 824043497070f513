"""The dbt project as Dagster assets: staging -> intermediate -> marts, tests as asset checks.

dbt sources ``raw.<table>`` map to the Python assets that write them (key ``raw/<table>``), so
DST and programme ingestion, the dbt models and the marts form one lineage graph. Models are
keyed ``<schema>/<name>`` (``marts/smv_rd_share``) and grouped by layer.

Builds are incremental (:mod:`pipelines.incremental`): with no input changed since the last
build that passed the quality gate, dbt does not run, so the quality checks and ``publish`` are
skipped too; with changed raw tables only what lies downstream of them is rebuilt, and only
those models are materialized in the run (the others keep their last materialization and gate
result). A build whose marts failed the gate is never the baseline, so every refresh builds and
checks it again.

Nothing here runs at import: :func:`klynge_dbt_project` and :func:`build_dbt_models` are called
when Dagster loads the definitions.
"""

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.dbt_project import using_dagster_dev

from pipelines.bookkeeping import mark_build, record_build_start
from pipelines.constants import dbt_vars
from pipelines.incremental import build_history, current_inputs, plan_build
from pipelines.orchestration.resources import DBT_EXECUTABLE, LocalDbtCliResource, SettingsResource
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.quality.dbt_tests import describe_test
from pipelines.quality.gx_runner import warm_up
from pipelines.settings import DBT_PROJECT_DIR

# dbt's unit tests check the SQL's arithmetic on fixed rows, not the data: they run in
# `make test` (tests/dbt_project/test_dbt_project.py), not in every refresh, as dbt advises.
PRODUCTION_BUILD = ("--exclude-resource-type", "unit_test")


@cache
def klynge_dbt_project() -> DbtProject:
    """The dbt project, its manifest parsed first under ``dagster dev`` (to pick up edits) or
    when it is missing (a fresh clone), with the dbt beside this Python: ``PATH`` need not
    have it. Otherwise the manifest that ``make install`` keeps current is used as it is."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if using_dagster_dev() or not project.manifest_path.exists():
        LocalDbtCliResource(
            project_dir=project,
            dbt_executable=DBT_EXECUTABLE,
            vars_json=json.dumps(dbt_vars(), sort_keys=True),
        ).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


class KlyngeDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:klynge-data"]

    def get_asset_check_spec(
        self,
        asset_spec: AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
            description=describe_test(manifest["nodes"].get(unique_id, {})),
        )

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props["schema"]


def build_dbt_models(project: DbtProject) -> AssetsDefinition:
    """Every dbt node but effect_estimates, which is built after its estimator
    (:mod:`pipelines.orchestration.assets.evaluation`). A DST table and its label lookup are
    two dbt sources written by one asset (``raw/dst_<table>``)."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=KlyngeDbtTranslator(
            settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
        ),
        exclude="effect_estimates",
    )
    def klynge_dbt_models(
        context: AssetExecutionContext,
        dbt: LocalDbtCliResource,
        warehouse: WarehouseResource,
        settings: SettingsResource,
    ) -> Iterator[Any]:
        """``dbt build`` of what changed: seeds, models and their tests, as Dagster events."""
        base_year = settings.price_base_year
        with warehouse.get_connection() as con:
            inputs = current_inputs(con, project.manifest_path, base_year)
            plan = plan_build(inputs, build_history(con))
        if plan.nothing_to_do:
            context.log.info(f"dbt not run: {plan.reason}; checks and publish are skipped too")
            return
        context.log.info(f"dbt build: {plan.reason}")
        with warehouse.get_connection() as con:
            record_build_start(con, context.run.run_id, inputs.code, inputs.sources)
        warm_up()  # the quality gate comes next: the GX process imports GX while dbt builds
        # One artifacts folder, overwritten by each build (runs are serialised), instead of a
        # new folder per invocation piling up in the repo.
        target = settings.get().data_dir / "dbt_target"
        yield from dbt.cli(
            ["build", *PRODUCTION_BUILD, *plan.dbt_args(project.manifest_path)],
            context=context,
            target_path=target,
        ).stream()
        with warehouse.get_connection() as con:
            # Good only once the gate has passed: ``publish`` marks it ``passed``.
            mark_build(con, context.run.run_id, "built")

    return klynge_dbt_models
