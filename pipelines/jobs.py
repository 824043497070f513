"""The refresh job and its nightly schedule."""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

refresh_job = define_asset_job(
    "refresh",
    selection=AssetSelection.all(),
    description="Full refresh: DST and programme data -> dbt marts -> quality gate -> publish.",
)

refresh_schedule = ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Copenhagen",
    default_status=DefaultScheduleStatus.RUNNING,
)
