"""Connections to the working DuckDB warehouse.

DuckDB lets one process write a database file at a time. A connection here waits for a lock
held by another process (another run, an analyst's client) for a bounded time, then fails with
DuckDB's own message, which names the process holding the lock. Connections are always closed,
also when the step fails, so a failed step never keeps the file locked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster_duckdb import DuckDBResource

LOCK_WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.5


class WarehouseLockedError(RuntimeError):
    """Another process kept the warehouse locked for longer than we wait."""


def connect(path: str, *, read_only: bool = False,
            wait_seconds: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"{path} stayed locked for {wait_seconds:.0f}s: {exc}") from exc
            time.sleep(_POLL_SECONDS)


class WarehouseResource(DuckDBResource):
    """The working warehouse (``data/warehouse.duckdb``), written by one run at a time."""

    lock_wait_seconds: float = LOCK_WAIT_SECONDS

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.database, wait_seconds=self.lock_wait_seconds)
        try:
            yield con
        finally:
            con.close()
