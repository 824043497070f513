"""The Dagster side: the multi-asset end to end on the sample, a rejection as a failed step,
and the sensor firing once per new or changed file."""

from __future__ import annotations

import json
import os
import time

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    build_sensor_context,
    define_asset_job,
    materialize,
)

from pipelines.constants import programme
from pipelines.orchestration.assets.programme import programme_assets
from pipelines.orchestration.resources import SettingsResource
from pipelines.orchestration.sensors import build_programme_sensor
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.settings import load_settings
from tests.programme.helpers import CLUSTERS, INVALID_CVR, write_base, write_csv

KEYS = [
    "programme_clusters",
    "programme_projects",
    "programme_participants",
    "programme_cluster_finances",
]


def _settings(data_dir, settle_seconds: float = 0) -> SettingsResource:
    """The test's own settings (files a test has just written count as settled unless
    ``settle_seconds`` says otherwise)."""
    return SettingsResource.of(
        load_settings(
            {"KLYNGE_DATA_DIR": str(data_dir), "KLYNGE_INBOUND_SETTLE_SECONDS": str(settle_seconds)}
        )
    )


def _materialize(data_dir, settle_seconds: float = 0, **kwargs):
    warehouse = WarehouseResource(database=str(data_dir / "w.duckdb"))
    return materialize(
        programme_assets,
        resources={"warehouse": warehouse, "settings": _settings(data_dir, settle_seconds)},
        **kwargs,
    )


@pytest.mark.slow  # a Dagster materialisation
def test_sample_loads_end_to_end_through_dagster(data_dir):
    result = _materialize(data_dir)
    assert result.success
    metadata = {
        m.asset_key: {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("programme_inbound")
    }
    expected = {
        "programme_clusters": 11,
        "programme_projects": 300,
        "programme_participants": 3000,
        "programme_cluster_finances": 44,
    }
    for table, rows in expected.items():
        meta = metadata[AssetKey(["raw", table])]
        assert meta["dagster/row_count"] == rows
        expected_version = 2 if table == "programme_projects" else 1  # v2: date windows
        assert meta["sample"] is True and meta["contract_version"] == expected_version
        [source] = meta["source_files"]
        assert source["file"].startswith("sample/") and len(source["sha256"]) == 64
    with duckdb.connect(str(data_dir / "w.duckdb"), read_only=True) as con:
        for table, rows in expected.items():
            assert con.execute(
                f"select count(*), bool_and(_is_sample) from raw.{table}"
            ).fetchone() == (rows, True)
        assert (
            con.execute("select sum(grant_dkk) from raw.programme_clusters").fetchone()[0]
            == programme().allocation_dkk
        )


def test_asset_keys_and_group():
    [assets] = programme_assets
    assert sorted(k.path for k in assets.keys) == sorted(["raw", k] for k in KEYS)
    assert set(assets.group_names_by_key.values()) == {"programme"}


@pytest.mark.slow  # a Dagster materialisation
def test_rejection_fails_the_step_with_file_row_column_rule(data_dir):
    inbound = data_dir / "inbound" / "programme"
    write_base(inbound)
    assert _materialize(data_dir).success
    rows = [list(r) for r in CLUSTERS]
    rows[2][3] = INVALID_CVR
    write_csv(inbound / "clusters.csv", rows)
    result = _materialize(data_dir, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    text = failure.step_failure_data.error.to_string() + json.dumps(
        {k: str(v.value) for k, v in failure.step_failure_data.user_failure_data.metadata.items()}
    )
    assert "clusters.csv, row 3, column cvr: cvr:" in text
    assert "quarantine" in text


def _job():
    return define_asset_job("programme_load", selection="raw/programme_clusters")


def _tick(sensor_def, instance, cursor, settings: SettingsResource):
    data = sensor_def.evaluate_tick(
        build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
    )
    return data.run_requests, data.cursor


@pytest.mark.slow  # sensor ticks with loads
def test_sensor_fires_once_per_new_or_changed_file(data_dir):
    inbound = data_dir / "inbound" / "programme"
    sensor_def = build_programme_sensor(_job())
    settings = _settings(data_dir, 0)
    assert sensor_def.name == "programme_inbound_sensor"
    assert sensor_def.minimum_interval_seconds == 60
    with DagsterInstance.ephemeral() as instance:
        runs, cursor = _tick(sensor_def, instance, None, settings)
        assert runs == []  # no folder yet
        write_base(inbound / "sample")  # the sample does not count
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert runs == []
        paths = write_base(inbound)
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and runs[0].job_name in (None, "programme_load")
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert runs == []  # the same files: not again
        os.utime(paths["projects"], (time.time() + 5, time.time() + 5))
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert runs == []  # touched, same content
        write_csv(inbound / "participants_K02.csv", [["project_id"]])
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and "participants_K02.csv" in runs[0].tags["klynge/files"]
        paths["clusters"].write_bytes(paths["clusters"].read_bytes() + b"\r\n")
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and runs[0].tags["klynge/files"] == "clusters.csv"
        first_key = runs[0].run_key
        paths["clusters"].unlink()  # e.g. moved to quarantine by the run
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert runs == []
        write_base(inbound)  # the same file comes back: a new run, a new run key
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and runs[0].run_key != first_key


def test_sensor_waits_for_a_file_being_copied_in(data_dir):
    inbound = data_dir / "inbound" / "programme"
    sensor_def = build_programme_sensor(_job())
    settings = _settings(data_dir, 30)
    paths = write_base(inbound)
    with DagsterInstance.ephemeral() as instance:
        runs, cursor = _tick(sensor_def, instance, None, settings)
        assert runs == [] and json.loads(cursor) == {}
        old = time.time() - 60
        for path in paths.values():
            os.utime(path, (old, old))
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1
