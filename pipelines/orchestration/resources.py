"""Dagster resources, configured once from :mod:`pipelines.settings`.

Assets, checks, sensors and the schedule receive the settings as the ``settings`` resource
instead of reading the environment; tests hand them a resource of their own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from dagster_dbt import DbtCliInvocation, DbtCliResource

from pipelines import constants
from pipelines.dst.client import DstClient, RetryPolicy
from pipelines.dst.snapshot import SnapshotStore
from pipelines.dst.source import DstSource
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.settings import DBT_PROJECT_DIR, Settings, SourceMode

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


class SettingsResource(ConfigurableResource):
    """Every setting of the pipeline (see :class:`pipelines.settings.Settings`)."""

    data_dir: str
    dst_source: str
    dst_api_base_url: str
    dst_snapshot_dir: str
    keep_releases: int
    alert_webhook_url: str | None = None
    inbound_settle_seconds: float = 30.0
    max_shrink_share: float = 0.5
    price_base_year: int | None = None

    @classmethod
    def of(cls, settings: Settings) -> SettingsResource:
        values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
        return cls(**{k: str(v) if isinstance(v, Path) else v for k, v in values.items()})

    def get(self) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(Settings)}
        return Settings(
            **{
                **values,
                "data_dir": Path(self.data_dir),
                "dst_source": SourceMode(self.dst_source),
                "dst_snapshot_dir": Path(self.dst_snapshot_dir),
            }
        )


def dbt_vars(settings: Settings) -> dict[str, object]:
    """What every dbt invocation is given: the programme's constants
    (``config/programme.yaml``), the warehouse to build and the price base year."""
    return {
        **constants.dbt_vars(),
        "warehouse_path": str(settings.warehouse_path),
        "price_base_year": settings.price_base_year or "",
    }


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
            retry=RetryPolicy(
                max_attempts=self.max_attempts, base_delay=self.retry_base_delay_seconds
            ),
        )
        return DstSource(SourceMode(self.mode), client, SnapshotStore(Path(self.snapshot_dir)))


class LocalDbtCliResource(DbtCliResource):
    """dbt as installed beside this Python, given the pipeline's vars.

    Every command gets ``vars_json`` (:func:`dbt_vars`: the programme's constants, the
    warehouse and the price base year) as ``--vars``, so no caller can forget them and dbt
    reads no environment. Builds name one artifacts folder in the data folder
    (``target_path``): dbt keeps its parse there, and the next build in the same data folder
    parses only what changed.
    """

    vars_json: str = "{}"

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:  # type: ignore[override]
        return super().cli([*args, "--vars", self.vars_json], **kwargs)


def build_resources(settings: Settings) -> dict[str, object]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "dst": DstSourceResource(
            mode=settings.dst_source.value,
            base_url=settings.dst_api_base_url,
            snapshot_dir=str(settings.dst_snapshot_dir),
        ),
        "settings": SettingsResource.of(settings),
        "warehouse": WarehouseResource(database=str(settings.warehouse_path)),
        "dbt": local_dbt(settings),
    }


def local_dbt(settings: Settings) -> LocalDbtCliResource:
    return LocalDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        # the dbt installed beside this Python, whether or not the venv is on PATH
        dbt_executable=DBT_EXECUTABLE,
        vars_json=json.dumps(dbt_vars(settings), sort_keys=True),
    )
