"""The working DuckDB warehouse: one writing run at a time, connections always closed.

DuckDB lets one process open a database file for writing at a time, and a refresh opens it
from several steps and from dbt's own process. So a run takes an exclusive file lock
(``warehouse.duckdb.run-lock``) for its whole length when its resources are set up: a run from
``make run``, the nightly schedule and a sensor-triggered run queue behind each other instead
of failing on DuckDB's lock. A run that waits longer than ``run_lock_wait_seconds`` fails with
a message naming the process and run that hold the lock. Single connections also wait a while
for DuckDB's own lock (e.g. a client someone left open), then fail with DuckDB's message, which
names the holding process.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import duckdb
from dagster import InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

LOCK_WAIT_SECONDS = 120.0
RUN_LOCK_WAIT_SECONDS = 1800.0
_POLL_SECONDS = 0.5


class WarehouseLockedError(RuntimeError):
    """Another process kept the warehouse locked for longer than we wait."""


def connect(
    path: str, *, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"{path} stayed locked for {wait_seconds:.0f}s: {exc}"
                ) from exc
            time.sleep(_POLL_SECONDS)


def run_lock_path(database: str) -> Path:
    return Path(f"{database}.run-lock")


def describe_holder(lock_file: Path) -> str:
    try:
        holder = json.loads(lock_file.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "an unknown process"
    return (
        f"process {holder.get('pid')} on {holder.get('host')} (run {holder.get('run_id')}, "
        f"since {holder.get('since')})"
    )


def acquire_run_lock(database: str, run_id: str, wait_seconds: float) -> IO[str]:
    path = run_lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the run)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise WarehouseLockedError(
                    f"{database} is being written by {describe_holder(path)}; waited "
                    f"{wait_seconds:.0f}s for it to finish"
                ) from None
            time.sleep(_POLL_SECONDS)
    handle.seek(0)
    handle.truncate()
    handle.write(
        json.dumps(
            {
                "pid": os.getpid(),
                "host": os.uname().nodename,
                "run_id": run_id,
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    handle.flush()
    return handle


def release_run_lock(handle: IO[str]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.flush()
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


class WarehouseResource(DuckDBResource):
    """The working warehouse (``data/warehouse.duckdb``), written by one run at a time."""

    lock_wait_seconds: float = LOCK_WAIT_SECONDS
    run_lock_wait_seconds: float = RUN_LOCK_WAIT_SECONDS
    _run_lock: IO[str] | None = PrivateAttr(default=None)
    # Set once a step of this run waited the whole lock_wait_seconds in vain: the run's next
    # steps try once and fail at once, instead of each waiting as long again.
    _waited_in_vain: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        run_id = context.run_id if context.run_id else "no-run"
        self._run_lock = acquire_run_lock(self.database, run_id, self.run_lock_wait_seconds)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._run_lock is not None:
            release_run_lock(self._run_lock)
            self._run_lock = None

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            con = connect(
                self.database, wait_seconds=0.0 if self._waited_in_vain else self.lock_wait_seconds
            )
        except WarehouseLockedError as exc:
            if self._waited_in_vain:
                raise WarehouseLockedError(
                    f"{exc} (this run already waited {self.lock_wait_seconds:.0f}s for it in an "
                    "earlier step)"
                ) from exc
            self._waited_in_vain = True
            raise
        self._waited_in_vain = False
        try:
            yield con
        finally:
            con.close()
