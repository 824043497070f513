"""The Dagster code location: ``defs`` is what ``dagster dev -w workspace.yaml`` loads."""

from __future__ import annotations

from dagster import (
    DefaultSensorStatus,
    Definitions,
    build_sensor_for_freshness_checks,
    in_process_executor,
)

from pipelines.alerts import run_failure_alert
from pipelines.assets.dbt import klynge_dbt_models
from pipelines.assets.dst import dst_assets, dst_freshness_checks
from pipelines.assets.evaluation import evaluation_assets
from pipelines.assets.programme import programme_assets
from pipelines.assets.publish import publish
from pipelines.assets.quality import quality_checks
from pipelines.jobs import refresh_job, refresh_schedule
from pipelines.programme.sensor import build_programme_sensor
from pipelines.resources import build_resources
from pipelines.settings import export_for_child_processes, load_settings

settings = load_settings()
export_for_child_processes(settings)

defs = Definitions(
    assets=[*dst_assets, *programme_assets, klynge_dbt_models, *evaluation_assets, publish],
    asset_checks=[*quality_checks, *dst_freshness_checks],
    jobs=[refresh_job],
    schedules=[refresh_schedule],
    sensors=[
        build_programme_sensor(refresh_job),
        run_failure_alert,
        build_sensor_for_freshness_checks(freshness_checks=dst_freshness_checks,
                                          default_status=DefaultSensorStatus.RUNNING),
    ],
    resources=build_resources(settings),
    # Start-up, not data, dominates on small machines: one process runs every step.
    executor=in_process_executor,
)
