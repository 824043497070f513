"""Dagster's SQLite event log, with its database connections kept open between events.

Dagster's ``SqliteEventLogStorage`` builds a new SQLAlchemy engine, opens the database file,
commits and closes it again for every event it stores, often twice (the run's own file and the
cross-run index). A refresh stores about 900 events: every one of its 226 asset checks is
planned, evaluated and mirrored in the index. Storing a refresh's 883 events again, one after
another on a 2-core machine, took 20.5 s with Dagster's storage and 4.3 s with this one.

The files, their tables and their layout are Dagster's own: the UI, the daemon and
``dagster`` commands read them as before, and an instance can switch between the two storages
either way. What differs:

- one engine per database file, its single connection kept open (at most
  ``KEPT_DATABASES`` files at a time; the least recently used is closed);
- after a transaction that wrote to a run's file, its write-ahead log is copied into the file
  (a passive checkpoint; when a reader holds frames back, the file's time is touched instead),
  because the UI follows a running run by watching that file change;
- ``has_table`` answers from memory once a table has been seen.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from pipelines.settings import dagster_home

# The index and the runs being written or read; the webserver reads many runs one after another.
KEPT_DATABASES = 8


def default_base_dir() -> str:
    """Where Dagster keeps the event log of the instance in DAGSTER_HOME when ``dagster.yaml``
    names no storage. A storage config cannot see the folder of the ``dagster.yaml`` it is read
    from, so an instance opened by path (``DagsterInstance.from_config``) needs DAGSTER_HOME set
    to that same folder."""
    home = dagster_home()
    if home is None:
        raise ValueError(
            "KeptConnectionSqliteEventLogStorage: set DAGSTER_HOME to the instance's folder "
            "or give `base_dir` (the folder of the event log files) in its config"
        )
    return str(home / "history" / "runs")


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that keeps its connections (see the module's docstring).

    Configured in ``dagster.yaml``::

        event_log_storage:
          module: pipelines.event_log
          class: KeptConnectionSqliteEventLogStorage
    """

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._known_tables: set[str] = set()
        self._pid = os.getpid()
        super().__init__(base_dir or default_base_dir(), inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> KeptConnectionSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, most recently used last; called with ``_db_lock`` held."""
        if os.getpid() != self._pid:  # a forked child must not share the parent's connections
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._pid = os.getpid()
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn:
            sqlite = conn.connection.driver_connection
            changes_before = sqlite.total_changes
            with conn.begin():
                yield conn
            if shard != INDEX_SHARD_NAME and sqlite.total_changes != changes_before:
                self._signal_watchers(shard, sqlite)

    def _signal_watchers(self, shard: str, sqlite: Any) -> None:
        """Make the run's file change, as closing the connection did: the UI follows a running
        run (SqliteEventLogStorageWatchdog) by watching that file, while the new events would
        otherwise stay in the write-ahead log until a checkpoint much later."""
        _busy, wal_frames, copied = sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if copied < wal_frames:  # a reader holds back some frames; the watchers read the log
            os.utime(self.path_for_shard(shard))

    def has_table(self, table_name: str) -> bool:
        # Asked once or twice per stored asset event; a table, once there, stays.
        if table_name not in self._known_tables and super().has_table(table_name):
            self._known_tables.add(table_name)
        return table_name in self._known_tables

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # the run files are deleted: no connection may keep writing to one
        self._known_tables.clear()
        super().wipe()

    def upgrade(self) -> None:
        super().upgrade()
        self._close_engines()
        self._known_tables.clear()

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()
