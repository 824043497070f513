"""The Dagster code location: ``defs`` is what ``dagster dev -w workspace.yaml`` loads.

Importing this module does nothing but define ``defs``: Dagster calls it when it loads the
code location, and only then are the settings read, the dbt manifest prepared (parsed with the
venv's dbt under ``dagster dev`` or when missing) and the assets built from it.
"""

from __future__ import annotations

from dagster import Definitions, definitions


@definitions
def defs() -> Definitions:
    from dagster import in_process_executor

    from pipelines.catalog import published_marts
    from pipelines.orchestration.alerts import run_failure_alert
    from pipelines.orchestration.assets.dbt import build_dbt_models, klynge_dbt_project
    from pipelines.orchestration.assets.dst import dst_assets
    from pipelines.orchestration.assets.evaluation import build_evaluation_assets
    from pipelines.orchestration.assets.programme import programme_assets
    from pipelines.orchestration.assets.publish import build_publish
    from pipelines.orchestration.assets.quality import build_quality_checks
    from pipelines.orchestration.jobs import refresh_job, refresh_schedule
    from pipelines.orchestration.resources import build_resources
    from pipelines.orchestration.sensors import build_programme_sensor
    from pipelines.settings import load_settings

    project = klynge_dbt_project()
    marts = published_marts(manifest=project.manifest_path)
    return Definitions(
        assets=[
            *dst_assets,
            *programme_assets,
            build_dbt_models(project),
            *build_evaluation_assets(project),
            build_publish(marts),
        ],
        asset_checks=build_quality_checks(marts),
        jobs=[refresh_job],
        schedules=[refresh_schedule],
        sensors=[
            build_programme_sensor(refresh_job),
            run_failure_alert,
        ],
        resources=build_resources(load_settings()),
        # Start-up, not data, dominates on small machines: one process runs every step.
        executor=in_process_executor,
    )
