"""Tell people when a run fails: a line in ``data/logs/run_failures.log`` and, if configured,
a JSON POST to ``KLYNGE_ALERT_WEBHOOK_URL`` (e.g. a Teams or Slack incoming webhook)."""

from datetime import UTC, datetime

import requests
from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from pipelines.orchestration.resources import SettingsResource

WEBHOOK_TIMEOUT_SECONDS = 10


def failure_line(run_id: str, job_name: str, message: str, at: datetime) -> str:
    summary = " ".join(message.split())[:1000]
    return f"{at.isoformat(timespec='seconds')} run {run_id} of job {job_name} FAILED: {summary}"


def root_cause(error) -> str:
    """The innermost error: Dagster wraps the step's own exception in its own."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


@run_failure_sensor(
    name="run_failure_alert",
    default_status=DefaultSensorStatus.RUNNING,
    description="Writes a line to data/logs/run_failures.log for every failed "
    "run and posts it to KLYNGE_ALERT_WEBHOOK_URL if that is set.",
)
def run_failure_alert(context: RunFailureSensorContext, settings: SettingsResource) -> None:
    run = context.dagster_run
    causes = [
        f"{e.step_key}: {root_cause(e.step_failure_data.error)}"
        for e in context.get_step_failure_events()
        if e.step_failure_data and e.step_failure_data.error
    ]
    message = " | ".join([context.failure_event.message or "", *causes])
    line = failure_line(run.run_id, run.job_name, message, datetime.now(UTC))
    settings.get().failure_log.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.get().failure_log, "a", encoding="utf-8") as log:
        log.write(line + "\n")
    if settings.alert_webhook_url:
        try:
            requests.post(
                settings.alert_webhook_url,
                timeout=WEBHOOK_TIMEOUT_SECONDS,
                json={
                    "text": f"klynge-pipeline: {line}",
                    "run_id": run.run_id,
                    "job": run.job_name,
                },
            )
        except requests.RequestException as exc:
            context.log.warning(f"alert webhook {settings.alert_webhook_url} failed: {exc}")
