"""Dagster resources, configured once from :mod:`pipelines.settings`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging.version import Version

from pipelines.constants import with_dbt_vars
from pipelines.dst.client import DstClient, RetryPolicy
from pipelines.dst.snapshot import SnapshotStore
from pipelines.dst.source import DstSource
from pipelines.settings import DBT_PROJECT_DIR, Settings, SourceMode
from pipelines.warehouse import WarehouseResource


class DstSourceResource(ConfigurableResource):
    """Where DST tables come from: ``live``, ``snapshot`` or ``auto`` (live, else snapshot)."""

    mode: str
    base_url: str
    snapshot_dir: str
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 120.0
    max_attempts: int = 5
    retry_base_delay_seconds: float = 1.0
    # A DST outage that outlasts the client's own retries: the whole step is retried later.
    step_retries: int = 2
    step_retry_wait_seconds: float = 120.0

    def source(self) -> DstSource:
        client = DstClient(
            self.base_url,
            timeout=(self.connect_timeout_seconds, self.read_timeout_seconds),
            retry=RetryPolicy(max_attempts=self.max_attempts,
                              base_delay=self.retry_base_delay_seconds),
        )
        return DstSource(SourceMode(self.mode), client, SnapshotStore(Path(self.snapshot_dir)))


class LocalDbtCliResource(DbtCliResource):
    """dbt as installed beside this Python, with the programme's constants, started once.

    Every invocation gets the constants of ``config/programme.yaml`` as ``--vars``
    (:func:`pipelines.constants.with_dbt_vars`), so no caller can forget them.

    Before each build dagster-dbt asks the executable for its version (``dbt --version``: a
    second dbt start-up, which also tries to reach PyPI) and opens a dbt adapter inside this
    process (loading the profile, the project and dbt-duckdb) that only serves row counts and
    column metadata, which this project does not fetch. The executable is the one of this
    environment, so its package tells the version; the adapter is left out.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:  # type: ignore[override]
        return super().cli(with_dbt_vars(args), **kwargs)


def build_resources(settings: Settings) -> dict[str, object]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "dst": DstSourceResource(
            mode=settings.dst_source.value,
            base_url=settings.dst_api_base_url,
            snapshot_dir=str(settings.dst_snapshot_dir),
        ),
        "warehouse": WarehouseResource(database=str(settings.warehouse_path)),
        "dbt": LocalDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            # the dbt installed beside this Python, whether or not the venv is on PATH
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
