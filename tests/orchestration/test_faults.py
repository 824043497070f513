"""The fault suite: injected faults, and what the pipeline must do about each.

Every test records (fault, expected, observed) for docs/reliability.md. For each fault the run
either succeeds after retrying or fails with a message naming the cause; the working warehouse
stays consistent, the published release complete and unchanged, and the next run recovers.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from dagster import materialize

from pipelines.orchestration.assets.dst import dst_assets
from pipelines.orchestration.resources import DstSourceResource
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.settings import BUNDLED_SNAPSHOT_DIR, REPO_ROOT, load_settings
from tests.conftest import copy_data_dir, republished_snapshot
from tests.fake_dst import Fault

pytestmark = [pytest.mark.fault, pytest.mark.slow]  # refreshes, materialisations, kills

NAN1 = [a for a in dst_assets if a.key.path[-1] == "dst_nan1"]


def resources(fake_dst, data_dir):
    return {
        "dst": DstSourceResource(
            mode="live",
            base_url=fake_dst.base_url,
            snapshot_dir=str(BUNDLED_SNAPSHOT_DIR),
            read_timeout_seconds=0.5,
            max_attempts=3,
            retry_base_delay_seconds=0.05,
            step_retries=0,
        ),
        "warehouse": WarehouseResource(database=str(data_dir / "warehouse.duckdb")),
    }


def load_nan1(fake_dst, data_dir):
    result = materialize(NAN1, resources=resources(fake_dst, data_dir), raise_on_error=False)
    message = (
        ""
        if result.success
        else "; ".join(
            e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure
        )
    )
    return result.success, message


def raw_nan1(data_dir):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select * from raw.dst_nan1 order by all").fetchall(), con.execute(
            "select count(*) from raw._dst_loads where table_id = 'NAN1'"
        ).fetchone()[0]


def republish_nan1(fake_dst, updated):
    fake_dst.tables["NAN1"].info["updated"] = updated


RECOVERED = [
    ("DST answers 503, then succeeds", [Fault(), Fault(status=503)]),
    (
        "DST answers 429 with Retry-After: 1, then succeeds",
        [Fault(status=429, headers={"Retry-After": "1"})],
    ),
    ("DST does not answer within the read timeout, then succeeds", [Fault(delay=1.5)]),
    (
        "the connection resets in the middle of the data body, then succeeds",
        [Fault(), Fault(cut_body_at=40)],
    ),
]


@pytest.mark.parametrize(("fault", "faults"), RECOVERED, ids=[r[0][:30] for r in RECOVERED])
def test_transient_dst_fault_is_retried(fake_dst, data_dir, reliability, fault, faults):
    fake_dst.faults.extend(faults)
    started = time.monotonic()
    ok, message = load_nan1(fake_dst, data_dir)
    assert ok, message
    rows, loads = raw_nan1(data_dir)
    assert len(rows) == 52 and loads == 1
    calls = fake_dst.calls("tableinfo") + fake_dst.calls("data")
    reliability(
        fault,
        "the client retries with backoff and the load succeeds",
        f"succeeded after {calls - 2} retried request(s) in "
        f"{time.monotonic() - started:.1f}s; raw.dst_nan1 has all 52 rows",
    )


FAILED = [
    (
        "the data body is cut off on every attempt",
        lambda f: f.faults.extend([Fault()] + [Fault(cut_body_at=60)] * 3),
        "no complete answer",
    ),
    (
        "the data body has the wrong columns",
        lambda f: setattr(f.style, "header_case", "wrong"),
        "do not match the requested variables",
    ),
    (
        "DST answers 400 with errorTypeCode EXTRACT-NOTFOUND",
        lambda f: f.faults.append(
            Fault(
                status=400,
                body={"errorTypeCode": "EXTRACT-NOTFOUND", "message": "Tabellen findes ikke"},
            )
        ),
        "EXTRACT-NOTFOUND",
    ),
    (
        "DST answers 503 on every attempt",
        lambda f: f.faults.extend([Fault(status=503)] * 3),
        "HTTP 503",
    ),
]


@pytest.mark.parametrize(("fault", "inject", "cause"), FAILED, ids=[f[0][:30] for f in FAILED])
def test_persistent_dst_fault_fails_clearly_and_keeps_last_good_data(
    fake_dst, data_dir, reliability, fault, inject, cause
):
    ok, message = load_nan1(fake_dst, data_dir)
    assert ok, message
    before = raw_nan1(data_dir)
    republish_nan1(fake_dst, "2026-02-01T08:00:00")
    inject(fake_dst)
    ok, message = load_nan1(fake_dst, data_dir)
    assert not ok
    assert "NAN1" in message and cause in message, message
    assert raw_nan1(data_dir) == before
    fake_dst.faults.clear()
    fake_dst.style.header_case = "as-is"
    ok, again = load_nan1(fake_dst, data_dir)
    assert ok, again
    assert raw_nan1(data_dir)[1] == before[1] + 1
    line = next(ln for ln in message.splitlines() if cause in ln).strip()
    reliability(
        fault,
        "the step fails naming table and cause; raw.dst_nan1 keeps the last good "
        "load; the next run loads normally",
        f'failed with "{line[:160]}"; raw table unchanged; next run loaded the new version',
    )


def tree_digest(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def refresh_cmd(data_dir, home, snapshot=None):
    env = {
        **os.environ,
        "KLYNGE_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(home),
        "KLYNGE_DST_SOURCE": "snapshot",
    }
    if snapshot:
        env["KLYNGE_DST_SNAPSHOT_DIR"] = str(snapshot)
    return [sys.executable, "-m", "pipelines.cli", "refresh"], env


def child_running(parent_pid, needle):
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(parent_pid)], capture_output=True, text=True
    ).stdout
    return needle in out


def test_sigkill_during_dbt_build(refreshed, tmp_path, reliability):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    home = tmp_path / "home"
    shutil.copytree(refreshed[0] / "dagster_home", home)
    published = data_dir / "published"
    current, before = os.readlink(published / "current"), tree_digest(published / "current")
    cmd, env = refresh_cmd(data_dir, home, republished_snapshot(tmp_path))
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not child_running(proc.pid, "dbt") and time.monotonic() < deadline:
        assert proc.poll() is None, "the refresh ended before dbt started"
        time.sleep(0.2)
    time.sleep(1.0)  # well into the build
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.readlink(published / "current") == current
    assert tree_digest(published / "current") == before
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.smv_rd_share_summary").fetchone()[0] == 18
    result = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "  new release       :" in result.stdout
    reliability(
        "SIGKILL of a refresh during the dbt build",
        "the published release is untouched; the warehouse opens and holds the last "
        "build; the next run rebuilds and publishes",
        "release unchanged and complete; warehouse opened with all marts; the next "
        "refresh took the run lock, rebuilt and published a new release",
    )


def test_full_disk_while_publishing(refreshed, tmp_path, reliability, monkeypatch):
    from pipelines.publish import exports
    from tests.publish.test_publish import _publish_directly, assert_release_complete

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    published = data_dir / "published"
    current, before = os.readlink(published / "current"), tree_digest(published / "current")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports, "write_csv", no_space)
    with pytest.raises(OSError) as err:
        _publish_directly(data_dir)
    assert err.value.errno == errno.ENOSPC
    assert os.readlink(published / "current") == current
    assert tree_digest(published / "current") == before
    monkeypatch.undo()
    outcome = _publish_directly(data_dir)
    assert outcome.switched
    assert not [p for p in os.listdir(published / "releases") if p.startswith(".")]
    assert_release_complete(published)
    reliability(
        "the disk fills up while a release is written (ENOSPC)",
        "publish fails; the current release stays complete; the next publish clears "
        "the partial folder and succeeds",
        f'failed with "{err.value}"; current release byte-identical; next publish '
        "switched to a complete release and removed the partial folder",
    )


def test_two_refreshes_started_at_once(refreshed, tmp_path, reliability):
    from tests.publish.test_publish import assert_release_complete

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    home = tmp_path / "home"
    shutil.copytree(refreshed[0] / "dagster_home", home)
    cmd, env = refresh_cmd(data_dir, home, republished_snapshot(tmp_path))
    procs = [
        subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-2000:] for o in outputs)
    published = [o for o in outputs if "  new release       :" in o]
    assert len(published) == 1  # the second found nothing new once the first had finished
    assert_release_complete(data_dir / "published")
    reliability(
        "two refreshes started at the same moment",
        "one waits for the other (run lock); both finish; no DuckDB lock error",
        "both exited 0; one published a new release, the other waited, found no "
        "changed input and published nothing",
    )


def test_analyst_holding_the_working_warehouse(refreshed, tmp_path, reliability):
    from pipelines.orchestration.warehouse import WarehouseLockedError, connect
    from tests.warehouse_helpers import duckdb_held_open

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    database = str(data_dir / "warehouse.duckdb")
    with duckdb_held_open(database) as holder, pytest.raises(WarehouseLockedError) as err:
        connect(database, wait_seconds=1)
    assert str(holder.pid) in str(err.value)
    connect(database, wait_seconds=5).close()
    reliability(
        "someone keeps the working warehouse open for writing",
        "the run waits, then fails naming the process holding the lock; it runs once "
        "the file is free",
        "failed after the wait with DuckDB's lock error, which names the holding "
        "process (the test checks its PID); connected once the holder ended",
    )


def test_analyst_holding_the_published_file(refreshed, tmp_path, reliability):
    from tests.publish.test_publish import _publish_directly

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    target = data_dir / "published" / "klynge.duckdb"
    reader = duckdb.connect(str(target), read_only=True)
    try:
        first = reader.execute("select count(*) from smv_rd_share_summary").fetchone()
        outcome = _publish_directly(data_dir)
        second = reader.execute("select count(*) from smv_rd_share_summary").fetchone()
    finally:
        reader.close()
    assert outcome.switched and first == second
    reliability(
        "an analyst has data/published/klynge.duckdb open while a release is published",
        "publishing succeeds; the analyst keeps a consistent view of the old release",
        f"published {outcome.release.name}; the open connection read the same "
        f"{first[0]} rows before and after",
    )


def test_publish_refuses_to_start_without_passing_checks(
    refreshed, tmp_path, reliability, monkeypatch
):
    """publish materialised alone (e.g. from the UI) must not skip the gate."""
    from dagster import DagsterInstance

    from pipelines.catalog import published_marts
    from pipelines.orchestration.assets.publish import build_publish
    from pipelines.orchestration.resources import build_resources

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    monkeypatch.setenv("KLYNGE_DATA_DIR", str(data_dir))
    current = os.readlink(data_dir / "published" / "current")
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [build_publish(published_marts())],
            resources=build_resources(load_settings()),
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    text = failure.step_failure_data.error.to_string()
    assert "no passing quality check in this run" in text
    assert os.readlink(data_dir / "published" / "current") == current
    reliability(
        "publish is started on its own, without the quality checks",
        "publish refuses: nothing reaches analysts without passing the gate",
        'failed with "no passing quality check in this run for: ..."; release unchanged',
    )
