"""The refresh job and its nightly schedule."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from pipelines.orchestration.resources import SettingsResource

refresh_job = define_asset_job(
    "refresh",
    selection=AssetSelection.all(),
    description="Full refresh: DST and programme data -> dbt marts -> quality gate -> publish.",
)


@schedule(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Copenhagen",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Copenhagen time: refresh when DST republished a table, "
    "programme files changed, the dbt project changed or the last build failed "
    "its gate; otherwise the tick is skipped with the reason.",
)
def refresh_schedule(context: ScheduleEvaluationContext, settings: SettingsResource):
    """Decide cheaply (no dbt, no GX) whether the night's refresh has anything to do."""
    from pipelines.pending import pending_work

    pending = pending_work(settings.get())
    if pending.nothing:
        return SkipReason(pending.describe())
    context.log.info(f"refresh: {pending.describe()}")
    return RunRequest(
        tags={"klynge/trigger": "nightly_refresh", "klynge/reason": pending.describe()[:200]}
    )
