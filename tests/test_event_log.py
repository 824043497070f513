"""The run history's event log storage (pipelines/event_log.py) against Dagster's own.

The same events stored by both give the same database content; a running run's file changes
with every event (the UI follows it by watching that file); kept connections stay bounded and
never outlive a wiped file; the project's ``dagster.yaml`` selects the storage.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines import cli
from pipelines.event_log import KEPT_DATABASES, KeptConnectionSqliteEventLogStorage


@dg.asset
def upstream() -> int:
    return 1


@dg.asset_check(asset=upstream, blocking=True)
def upstream_is_one(upstream: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=upstream == 1, metadata={"value": upstream})


@dg.asset(deps=[upstream])
def downstream(context) -> dg.MaterializeResult:
    context.log.info("downstream built")
    return dg.MaterializeResult(metadata={"rows": 2})


@pytest.fixture(scope="module")
def run_events(tmp_path_factory):
    """The events of one real run (assets, a check, a log line) stored by an instance with the
    project's ``dagster.yaml``: it must be the kept-connection storage, in Dagster's folder."""
    home = tmp_path_factory.mktemp("home")
    shutil.copyfile(cli.INSTANCE_SETTINGS, home / "dagster.yaml")
    with (
        mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)}),
        dg.DagsterInstance.get() as instance,
    ):
        assert isinstance(instance.event_log_storage, KeptConnectionSqliteEventLogStorage)
        result = dg.materialize(
            [upstream, downstream, upstream_is_one], instance=instance, selection="*"
        )
        assert result.success
        records = instance.get_records_for_run(result.run_id, limit=10_000).records
    assert (home / "history" / "runs" / f"{result.run_id}.db").is_file()
    return result.run_id, [r.event_log_entry for r in records]


# Rows stamped with the time they were written, not with anything of the event's.
STAMPED_WHEN_STORED = {"secondary_indexes", "asset_check_executions", "asset_keys"}
_STAMP = re.compile(r"datetime\.datetime\([^)]*\)|'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]*'")


def _unstamped(rows: list[str]) -> list[str]:
    return sorted(_STAMP.sub("<time>", row) for row in rows)


def _tables(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as con:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {n: sorted(map(repr, con.execute(f'select * from "{n}"'))) for n in names}


def test_same_events_give_the_same_databases(run_events, tmp_path):
    run_id, events = run_events
    kinds = {e.dagster_event_type for e in events if e.is_dagster_event}
    assert {
        dg.DagsterEventType.ASSET_MATERIALIZATION,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
        dg.DagsterEventType.RUN_SUCCESS,
    } <= kinds
    theirs = SqliteEventLogStorage(str(tmp_path / "dagster"))
    ours = KeptConnectionSqliteEventLogStorage(str(tmp_path / "ours"))
    for storage in (theirs, ours):
        for event in events:
            storage.store_event(event)
        storage.dispose()
    for name in (f"{run_id}.db", "index.db"):
        expected = _tables(tmp_path / "dagster" / name)
        got = _tables(tmp_path / "ours" / name)
        assert got.keys() == expected.keys(), name
        for table, rows in expected.items():
            if table in STAMPED_WHEN_STORED:
                rows, got[table] = _unstamped(rows), _unstamped(got[table])
            assert got[table] == rows, f"{name}: {table}"
    run_rows = _tables(tmp_path / "ours" / f"{run_id}.db")["event_logs"]
    assert len(run_rows) == len(events)
    index = _tables(tmp_path / "ours" / "index.db")
    assert index["asset_keys"] and index["asset_check_executions"]


def test_a_running_runs_file_changes_with_every_event(run_events, tmp_path):
    """The UI's watch on a run fires when the run's file changes: with the connection kept
    open, each write is checkpointed into the file, or, while a reader holds the log's frames
    back, the file is touched, rather than the events staying unseen in the write-ahead log."""
    _run_id, events = run_events
    writer = KeptConnectionSqliteEventLogStorage(str(tmp_path / "runs"))
    run_id = events[0].run_id
    writer.store_event(events[0])
    path = Path(writer.path_for_shard(run_id))
    reader = sqlite3.connect(path)
    try:
        for n, event in enumerate(events[1:]):
            holding = n % 2 == 0
            if holding:  # a reader's snapshot: a passive checkpoint cannot copy past it
                reader.execute("begin")
                reader.execute("select count(*) from event_logs").fetchone()
            before = path.stat().st_size, path.stat().st_mtime_ns
            time.sleep(0.002)  # the file system's clock must be able to tell the two apart
            writer.store_event(event)
            after = path.stat().st_size, path.stat().st_mtime_ns
            if holding:
                reader.execute("commit")
            assert after != before, f"event {n + 1}: the run's file did not change"
    finally:
        reader.close()
        writer.dispose()


def test_a_watch_on_a_running_run_sees_every_event(run_events, tmp_path):
    """Another process's watch (the UI's) on the run sees every event, the last one too."""
    _run_id, events = run_events
    writer = KeptConnectionSqliteEventLogStorage(str(tmp_path / "runs"))
    reader = KeptConnectionSqliteEventLogStorage(str(tmp_path / "runs"))
    run_id = events[0].run_id
    seen: list[str] = []
    arrived = threading.Event()

    def on_event(entry, _cursor):
        seen.append(entry.dagster_event_type.value if entry.is_dagster_event else "log")
        if len(seen) == len(events):
            arrived.set()

    writer.store_event(events[0])  # the run's file exists before the UI opens the run
    reader.watch(run_id, None, on_event)
    try:
        for event in events[1:]:
            writer.store_event(event)
        assert arrived.wait(timeout=30), f"the watch saw {len(seen)} of {len(events)} events"
    finally:
        reader.end_watch(run_id, on_event)
        reader.dispose()
        writer.dispose()


def _open_databases() -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd).endswith(".db"))


def test_kept_connections_are_bounded_and_closed(run_events, tmp_path):
    _run_id, events = run_events
    first = _open_databases()
    storage = KeptConnectionSqliteEventLogStorage(str(tmp_path / "runs"))
    for n in range(KEPT_DATABASES + 5):
        event = events[0]._replace(run_id=f"run-{n}")
        storage.store_event(event)
        assert _open_databases() - first <= KEPT_DATABASES
    assert len(storage.get_records_for_run("run-0").records) == 1  # evicted, opened again
    storage.dispose()
    assert _open_databases() == first


def test_wipe_leaves_no_connection_to_a_deleted_file(run_events, tmp_path):
    run_id, events = run_events
    storage = KeptConnectionSqliteEventLogStorage(str(tmp_path / "runs"))
    for event in events:
        storage.store_event(event)
    storage.wipe()
    storage.store_event(events[0])
    storage.dispose()
    fresh = SqliteEventLogStorage(str(tmp_path / "runs"))
    assert len(fresh.get_records_for_run(run_id).records) == 1


def test_concurrent_writers_from_threads(run_events, tmp_path):
    """The kept connection is shared: writes from several threads all land, none is torn."""
    _run_id, events = run_events
    storage = KeptConnectionSqliteEventLogStorage(str(tmp_path / "runs"))

    def write(n: int) -> None:
        for event in events:
            storage.store_event(event._replace(run_id=f"thread-{n}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for n in range(4):
        assert len(storage.get_records_for_run(f"thread-{n}").records) == len(events)
    storage.dispose()


def test_without_dagster_home_or_base_dir_the_error_says_what_to_set(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ValueError, match="set DAGSTER_HOME"):
        KeptConnectionSqliteEventLogStorage()


def test_cli_installs_the_instance_settings_but_never_replaces_them(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    cli.install_instance_settings()
    assert (home / "dagster.yaml").read_bytes() == cli.INSTANCE_SETTINGS.read_bytes()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    time.sleep(0.01)
    cli.install_instance_settings()
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == "telemetry:\n  enabled: false\n"
