"""Dagster resources, configured once from :mod:`pipelines.settings`."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from pipelines.dst.client import DstClient
from pipelines.dst.snapshot import SnapshotStore
from pipelines.dst.source import DstSource
from pipelines.settings import DBT_PROJECT_DIR, Settings, SourceMode
from pipelines.warehouse import WarehouseResource


class DstSourceResource(ConfigurableResource):
    """Where DST tables come from: ``live``, ``snapshot`` or ``auto`` (live, else snapshot)."""

    mode: str
    base_url: str
    snapshot_dir: str

    def source(self) -> DstSource:
        return DstSource(SourceMode(self.mode), DstClient(self.base_url),
                         SnapshotStore(Path(self.snapshot_dir)))


def build_resources(settings: Settings) -> dict[str, object]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "dst": DstSourceResource(
            mode=settings.dst_source.value,
            base_url=settings.dst_api_base_url,
            snapshot_dir=str(settings.dst_snapshot_dir),
        ),
        "warehouse": WarehouseResource(database=str(settings.warehouse_path)),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            # the dbt installed beside this Python, whether or not the venv is on PATH
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
