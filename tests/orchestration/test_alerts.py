"""The run-failure sensor: a log line always, a webhook POST when configured."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dagster import DagsterInstance, build_run_status_sensor_context, job, op

from pipelines.orchestration.alerts import run_failure_alert
from pipelines.orchestration.resources import SettingsResource
from pipelines.settings import load_settings


@op
def explode():
    raise ValueError("DST table NAN1: HTTP 400 EXTRACT-NOTFOUND: no such table")


@job
def failing_job():
    explode()


def settings_for(data_dir, webhook: str) -> SettingsResource:
    return SettingsResource.of(
        load_settings({"KLYNGE_DATA_DIR": str(data_dir), "KLYNGE_ALERT_WEBHOOK_URL": webhook})
    )


def failed_run_context(instance):
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    run = instance.get_run_by_id(result.run_id)
    [event] = [
        e
        for e in instance.all_logs(result.run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
    ]
    return build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=event.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
    ).for_run_failure(), run


def test_failure_is_logged_and_posted(tmp_path):
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    settings = settings_for(tmp_path, f"http://127.0.0.1:{server.server_address[1]}/hook")
    try:
        with DagsterInstance.ephemeral() as instance:
            context, run = failed_run_context(instance)
            run_failure_alert(context, settings=settings)
    finally:
        server.shutdown()
    [line] = (tmp_path / "logs" / "run_failures.log").read_text().splitlines()
    assert f"run {run.run_id} of job failing_job FAILED" in line
    assert "explode: ValueError: DST table NAN1: HTTP 400 EXTRACT-NOTFOUND" in line
    assert received and received[0]["run_id"] == run.run_id
    assert "FAILED" in received[0]["text"]


def test_unreachable_webhook_does_not_hide_the_log_line(tmp_path, closed_port_url):
    settings = settings_for(tmp_path, closed_port_url)
    with DagsterInstance.ephemeral() as instance:
        context, run = failed_run_context(instance)
        run_failure_alert(context, settings=settings)
    assert run.run_id in (tmp_path / "logs" / "run_failures.log").read_text()


def test_the_settings_resource_hands_back_the_settings_it_was_made_of(tmp_path):
    settings = load_settings(
        {
            "KLYNGE_DATA_DIR": str(tmp_path),
            "KLYNGE_PRICE_BASE_YEAR": "2020",
            "KLYNGE_DST_SOURCE": "snapshot",
            "KLYNGE_ALERT_WEBHOOK_URL": "http://hook.invalid/x",
        }
    )
    assert SettingsResource.of(settings).get() == settings
