"""Dagster on PostgreSQL: the shipped pipelines/config/dagster_postgres.yaml on a real server.

A PostgreSQL server (Debian's, the newest installed) in a temporary folder, listening only on a Unix
socket in that folder (no TCP port), with a database and user for Dagster made as docs/operations.md
says. A DAGSTER_HOME holding the shipped instance file, the connection given as DAGSTER_PG_URL.
Then, as in a deployment: one full refresh (`python -m pipelines.cli refresh`, what `make run`
calls, bundled DST snapshot and programme sample), and a `dagster-webserver` on a free local port
that evaluates the nightly schedule and the programme file sensor ("Test schedule"/"Test sensor" in
the UI), switches the schedule off and on, and lists the run history as the UI reads it.

Skipped, with the reason, where Debian's PostgreSQL is not installed (`.ci/run` installs it) or the
tests cannot start it as the `postgres` user (needs root and `runuser`)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
import requests
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from pipelines.constants import programme
from tests.dagster_server import dagster_server

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_FILE = REPO_ROOT / "pipelines" / "config" / "dagster_postgres.yaml"
CURRENT = programme().id
BUNDLED_PROGRAMME_SAMPLE = REPO_ROOT / "data" / "inbound" / "programme" / CURRENT / "sample"
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    default=Path("/usr/lib/postgresql/15/bin"),
)
SUPERUSER_PASSWORD = "superuser-secret"
DAGSTER_PASSWORD = "not/so:simple@1%"  # characters a URL must escape (docs/operations.md)
LOCATION = {"repositoryLocationName": "klynge", "repositoryName": "__repository__"}


def _why_no_server() -> str | None:
    if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
        return f"PostgreSQL is not installed ({PG_BIN}/initdb; Debian package postgresql)"
    if shutil.which("runuser") is None or os.geteuid() != 0:
        return "PostgreSQL refuses to run as root: starting it as `postgres` needs root and runuser"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no `postgres` user to run PostgreSQL as (made by Debian's postgresql package)"
    return None


NO_SERVER = _why_no_server()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(NO_SERVER is not None, reason=str(NO_SERVER))]


def _as_postgres(*command: str | Path, folder: Path, check: bool = True):
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on a Unix socket in a temporary folder (the folder is the host
    name libpq is given); stopped and removed at the end of the session."""
    import psycopg2

    # In /tmp itself: pytest's temporary folders are root's alone, closed to `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="klynge-pg-"))
    data = folder / "data"
    try:
        shutil.chown(folder, "postgres", "postgres")
        password_file = folder / "superuser-password"
        password_file.write_text(SUPERUSER_PASSWORD, encoding="utf-8")
        shutil.chown(password_file, "postgres", "postgres")
        _as_postgres(
            PG_BIN / "initdb",
            *("-D", data, "-U", "postgres", f"--pwfile={password_file}", "-E", "UTF8"),
            *("--locale=C", "--auth-local=scram-sha-256", "--auth-host=reject", "--no-sync"),
            folder=folder,
        )
        options = f"-c listen_addresses='' -c unix_socket_directories={folder} -c fsync=off"
        _as_postgres(
            PG_BIN / "pg_ctl",
            *("-D", data, "-l", folder / "server.log", "-w", "-o", options, "start"),
            folder=folder,
        )
        with (
            psycopg2.connect(
                host=str(folder), user="postgres", password=SUPERUSER_PASSWORD, dbname="postgres"
            ) as con,
            con.cursor() as cur,
        ):
            cur.execute("select current_setting('listen_addresses'), version()")
            listen, version = cur.fetchone()
        con.close()
        assert listen == "" and version.startswith(f"PostgreSQL {PG_BIN.parent.name}"), (
            listen,
            version,
        )
        yield folder
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop", folder=folder)
        shutil.rmtree(folder, ignore_errors=True)


def _sql(socket_folder: Path, query: str, params=(), *, superuser: bool = False):
    """``query``'s rows, as Dagster's user in its database (or as the superuser)."""
    import psycopg2

    login = ("postgres", SUPERUSER_PASSWORD) if superuser else ("dagster", DAGSTER_PASSWORD)
    con = psycopg2.connect(
        host=str(socket_folder), user=login[0], password=login[1], dbname=login[0]
    )
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None
    finally:
        con.close()


@pytest.fixture(scope="module")
def deployment(postgres_server, tmp_path_factory):
    """The Dagster database and user (docs/operations.md), a DAGSTER_HOME with the shipped
    instance file, a data folder, and the environment every Dagster process gets."""
    password = (DAGSTER_PASSWORD,)
    _sql(postgres_server, "create role dagster login password %s", password, superuser=True)
    _sql(postgres_server, "create database dagster owner dagster", superuser=True)
    root = tmp_path_factory.mktemp("postgres_deployment")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(INSTANCE_FILE, home / "dagster.yaml")
    # The socket folder as the host; the password escaped as the instance file says.
    password = quote(DAGSTER_PASSWORD, safe="")
    url = f"postgresql+psycopg2://dagster:{password}@/dagster?host={postgres_server}"
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_URL": url,
        "KLYNGE_DATA_DIR": str(root / "data"),
        "KLYNGE_DST_SOURCE": "snapshot",
        "KLYNGE_INBOUND_SETTLE_SECONDS": "0",  # files the test copies in count as settled
    }
    return {"root": root, "home": home, "socket": postgres_server, "env": env}


@pytest.fixture(scope="module")
def refresh(deployment):
    """One full refresh through the project's own command, recorded in PostgreSQL."""
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh"],
        cwd=REPO_ROOT,
        env={**os.environ, **deployment["env"]},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    [run_id] = re.findall(r"^Refresh ([0-9a-f-]{36}):", result.stderr, re.MULTILINE)
    return run_id


@pytest.fixture(scope="module")
def instance(deployment):
    """The instance the test process opens from that DAGSTER_HOME, as `dagster` commands do."""
    with (
        mock.patch.dict(os.environ, deployment["env"]),
        DagsterInstance.get() as opened,
    ):
        yield opened


@pytest.fixture(scope="module")
def webserver(deployment, refresh):
    """`dagster-webserver` on that DAGSTER_HOME (a free local port), after the refresh."""
    env = {**os.environ, **deployment["env"]}
    with dagster_server(["dagster-webserver"], env, deployment["root"] / "webserver.log") as url:
        yield url


def graphql(url: str, query: str, **variables) -> dict:
    response = requests.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=300
    )
    assert response.status_code == 200, response.text[-4000:]
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_the_instance_keeps_everything_in_postgres(refresh, instance, deployment):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1

    run = instance.get_run_by_id(refresh)
    assert run.job_name == "refresh" and run.status == DagsterRunStatus.SUCCESS
    records = instance.get_records_for_run(refresh, limit=100_000).records
    kinds = {r.event_log_entry.dagster_event_type for r in records}
    assert {
        DagsterEventType.RUN_START,
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_CHECK_EVALUATION,
        DagsterEventType.RUN_SUCCESS,
    } <= kinds
    # The asset index too (publish asks it for each raw table's last load).
    published = instance.get_latest_materialization_event(AssetKey(["published", "release"]))
    assert published is not None and published.run_id == refresh

    # The same, read straight from PostgreSQL's tables.
    socket_folder = deployment["socket"]
    assert _sql(socket_folder, "select pipeline_name, status from runs") == [("refresh", "SUCCESS")]
    [(stored, succeeded)] = _sql(
        socket_folder,
        "select count(*), count(*) filter (where dagster_event_type = %s) "
        "from event_logs where run_id = %s",
        (DagsterEventType.RUN_SUCCESS.value, refresh),
    )
    assert stored == len(records) and succeeded == 1
    # ... and nothing in SQLite files under DAGSTER_HOME.
    assert not [p for p in deployment["home"].rglob("*") if p.suffix in {".db", ".sqlite"}]


def test_the_ui_lists_the_refresh_as_succeeded(refresh, webserver):
    data = graphql(
        webserver,
        """query { runsOrError { __typename ... on Runs { results { runId jobName status } } } }""",
    )
    assert data["runsOrError"]["results"] == [
        {"runId": refresh, "jobName": "refresh", "status": "SUCCESS"}
    ]


SCHEDULE_TICK = """
mutation ($selector: ScheduleSelector!, $timestamp: Float!) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult { skipReason cursor error { message } runRequests { tags { key value } } }
    }
    ... on PythonError { message }
  }
}"""
SENSOR_TICK = """
mutation ($selector: SensorSelector!, $cursor: String) {
  sensorDryRun(selectorData: $selector, cursor: $cursor) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult { skipReason cursor error { message } runRequests { tags { key value } } }
    }
    ... on PythonError { message }
  }
}"""


def _tick(url: str, kind: str, cursor: str | None = None) -> dict:
    """One evaluation, as the UI's "Test schedule"/"Test sensor" asks for it."""
    if kind == "schedule":
        selector = {**LOCATION, "scheduleName": "nightly_refresh"}
        query, variables = SCHEDULE_TICK, {"selector": selector, "timestamp": time.time()}
    else:
        selector = {**LOCATION, "sensorName": "programme_inbound_sensor"}
        query, variables = SENSOR_TICK, {"selector": selector, "cursor": cursor}
    [result] = graphql(url, query, **variables).values()
    assert result["__typename"] == "DryRunInstigationTick", result
    evaluation = result["evaluationResult"]
    assert evaluation["error"] is None, evaluation["error"]
    for request in evaluation["runRequests"] or []:
        request["tags"] = {t["key"]: t["value"] for t in request["tags"]}
    return evaluation


def test_schedule_and_sensor_ticks_on_the_postgres_instance(refresh, webserver, deployment):
    """Evaluated by the webserver's code server on the PostgreSQL instance; the data folder
    changes here, so this test comes after the ones reading the refresh."""
    nightly = _tick(webserver, "schedule")
    assert nightly["runRequests"] == []
    assert nightly["skipReason"].startswith("nothing changed since release ")
    sensor = _tick(webserver, "sensor")
    assert sensor["runRequests"] == [] and sensor["skipReason"] == "no new or changed files"

    # Real reports arrive (the sample's files, now as the programme's own).
    inbound = Path(deployment["env"]["KLYNGE_DATA_DIR"]) / "inbound" / "programme" / CURRENT
    inbound.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in BUNDLED_PROGRAMME_SAMPLE.iterdir() if p.is_file())
    for name in names:
        shutil.copy2(BUNDLED_PROGRAMME_SAMPLE / name, inbound / name)

    sensor = _tick(webserver, "sensor", cursor=sensor["cursor"])
    [request] = sensor["runRequests"]
    assert sensor["skipReason"] is None
    assert request["tags"]["klynge/trigger"] == "programme_inbound_sensor"
    assert request["tags"]["klynge/files"] == ", ".join(f"{CURRENT}/{n}" for n in names)
    nightly = _tick(webserver, "schedule")
    [request] = nightly["runRequests"]
    assert request["tags"]["klynge/trigger"] == "nightly_refresh"
    assert f"programme {CURRENT}: the inbound files differ" in request["tags"]["klynge/reason"]


SCHEDULE_STATE = """
query ($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    ... on Schedule { scheduleState { id status } }
  }
}"""
STOP_SCHEDULE = """
mutation ($id: String!) {
  stopRunningSchedule(id: $id) {
    __typename ... on ScheduleStateResult { scheduleState { status } }
  }
}"""
RESET_SCHEDULE = """
mutation ($selector: ScheduleSelector!) {
  resetSchedule(scheduleSelector: $selector) {
    __typename ... on ScheduleStateResult { scheduleState { status } }
  }
}"""


def test_switching_the_schedule_off_in_the_ui_is_stored_in_postgres(webserver, deployment):
    selector = {**LOCATION, "scheduleName": "nightly_refresh"}
    state = graphql(webserver, SCHEDULE_STATE, selector=selector)["scheduleOrError"]
    assert state["scheduleState"]["status"] == "RUNNING"  # on by default, as declared in code

    stopped = graphql(webserver, STOP_SCHEDULE, id=state["scheduleState"]["id"])
    assert stopped["stopRunningSchedule"]["scheduleState"]["status"] == "STOPPED", stopped
    rows = _sql(deployment["socket"], "select instigator_type, status from instigators")
    assert rows == [("SCHEDULE", "STOPPED")]

    reset = graphql(webserver, RESET_SCHEDULE, selector=selector)
    assert reset["resetSchedule"]["scheduleState"]["status"] == "RUNNING", reset
    state = graphql(webserver, SCHEDULE_STATE, selector=selector)["scheduleOrError"]
    assert state["scheduleState"]["status"] == "RUNNING"
