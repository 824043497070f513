"""The dbt project as Dagster assets: staging -> intermediate -> marts, tests as asset checks.

dbt sources ``raw.<table>`` map to the Python assets that write them (key ``raw/<table>``), so
DST and programme ingestion, the dbt models and the marts form one lineage graph. Models are
keyed ``<schema>/<name>`` (``marts/smv_rd_share``) and grouped by layer.
"""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    # A fresh clone without `make`: parse once so definitions load (make keeps it current).
    dbt_project.preparer.prepare(dbt_project)


class KlyngeDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props["schema"]


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=KlyngeDbtTranslator())
def klynge_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """``dbt build``: seeds, models and their tests, streamed as Dagster events."""
    yield from dbt.cli(["build"], context=context).stream()
