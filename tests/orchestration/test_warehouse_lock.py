"""One writing run at a time: a second run waits for the first, or fails naming the holder."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest
from dagster import build_init_resource_context

from pipelines.orchestration.warehouse import (
    WarehouseLockedError,
    WarehouseResource,
    acquire_run_lock,
    release_run_lock,
)

HOLDER = textwrap.dedent("""
    import sys, time
    from pipelines.orchestration.warehouse import acquire_run_lock
    handle = acquire_run_lock(sys.argv[1], "run-held-elsewhere", 5)
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def hold_lock_in_other_process(database, seconds):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.slow  # waits for a lock holder process
def test_second_run_fails_after_waiting_and_names_the_holder(tmp_path):
    database = str(tmp_path / "warehouse.duckdb")
    holder = hold_lock_in_other_process(database, 30)
    try:
        resource = WarehouseResource(database=database, run_lock_wait_seconds=1)
        with build_init_resource_context() as context, pytest.raises(WarehouseLockedError) as err:
            resource.setup_for_execution(context)
        message = str(err.value)
        assert f"process {holder.pid}" in message and "run-held-elsewhere" in message
        assert "waited 1s" in message
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow  # waits for a lock holder process
def test_second_run_proceeds_when_the_first_finishes(tmp_path):
    database = str(tmp_path / "warehouse.duckdb")
    holder = hold_lock_in_other_process(database, 1.5)
    resource = WarehouseResource(database=database, run_lock_wait_seconds=30)
    with build_init_resource_context() as context:
        started = time.monotonic()
        resource.setup_for_execution(context)  # waits here until the holder lets go
        try:
            # the holder keeps the lock for 1.5 s after saying so: taking it sooner is a bug
            assert time.monotonic() - started > 0.5, "the lock was taken while held elsewhere"
            assert holder.wait(timeout=10) == 0
            with resource.get_connection() as con:
                con.execute("create table t as select 1 as x")
        finally:
            resource.teardown_after_execution(context)
            holder.wait()
    with duckdb.connect(database, read_only=True) as con:
        assert con.execute("select x from t").fetchone() == (1,)  # the second run wrote
    # released: another run takes it at once
    release_run_lock(acquire_run_lock(database, "next", 0))


def test_connection_is_closed_when_the_step_fails(tmp_path):
    database = str(tmp_path / "warehouse.duckdb")
    resource = WarehouseResource(database=database)
    with pytest.raises(RuntimeError), resource.get_connection() as con:
        con.execute("create table t as select 1 as x")
        raise RuntimeError("step failed")
    # a read-only connection in this process is possible only if the writer was closed
    with duckdb.connect(database, read_only=True) as con:
        assert con.execute("select x from t").fetchone() == (1,)


@pytest.mark.slow  # a process holding DuckDB's lock
def test_after_one_wait_in_vain_the_runs_next_steps_fail_at_once(tmp_path):
    """A client left holding the warehouse: the first step waits and fails naming it; every
    later step of the run fails at once instead of waiting as long again."""
    from tests.warehouse_helpers import duckdb_held_open

    database = str(tmp_path / "warehouse.duckdb")
    resource = WarehouseResource(database=database, lock_wait_seconds=1.5)
    with duckdb_held_open(database) as holder:
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError), resource.get_connection():
            pass
        assert time.monotonic() - started >= 1.5
        started = time.monotonic()
        with (
            pytest.raises(WarehouseLockedError, match="already waited 2s for it") as err,
            resource.get_connection(),
        ):
            pass
        assert time.monotonic() - started < 1.0 and str(holder.pid) in str(err.value)
    with resource.get_connection() as con:  # free again: waits as usual from now on
        con.execute("select 1")
