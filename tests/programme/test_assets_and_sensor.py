"""The Dagster side: the multi-asset end to end on the sample, a rejection as a failed step,
and the sensor firing once per new or changed file."""

from __future__ import annotations

import json
import os
import shutil
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

from pipelines.constants import generations
from pipelines.orchestration.assets.programme import programme_assets
from pipelines.orchestration.resources import SettingsResource
from pipelines.orchestration.sensors import build_programme_sensor
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.programme.discover import bundled_sample_dir
from pipelines.settings import load_settings
from tests.programme.helpers import (
    CLUSTERS,
    GENERATION,
    INVALID_CVR,
    PARTICIPANTS,
    inbound_dir,
    write_base,
    write_csv,
)

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
    """Both generations' samples load, each with its own contract, into one set of tables."""
    result = _materialize(data_dir)
    assert result.success
    metadata = {
        m.asset_key: {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("programme_inbound")
    }
    expected = {  # per generation: 2021-2024 (14 clusters), 2025-2028 (11 clusters)
        "programme_clusters": {"2021-2024": 14, "2025-2028": 11},
        "programme_cluster_finances": {"2021-2024": 56, "2025-2028": 44},
    }
    for table in ("programme_clusters", "programme_projects", "programme_participants"):
        meta = metadata[AssetKey(["raw", table])]
        assert meta["sample"] == {"2021-2024": True, "2025-2028": True}
        expected_version = 3 if table == "programme_projects" else 1  # v2 dates, v3 grant_type
        assert set(meta["contract_version"].values()) == {expected_version}
        assert sorted(s["generation"] for s in meta["source_files"]) == ["2021-2024", "2025-2028"]
        for source in meta["source_files"]:
            assert source["file"].startswith(f"{source['generation']}/sample/")
            assert len(source["sha256"]) == 64
        assert meta["dagster/row_count"] == sum(meta["rows_by_generation"].values())
    for table, rows in expected.items():
        assert metadata[AssetKey(["raw", table])]["rows_by_generation"] == rows
    with duckdb.connect(str(data_dir / "w.duckdb"), read_only=True) as con:
        grants = dict(
            con.execute(
                "select programme, sum(grant_dkk) from raw.programme_clusters group by all"
            ).fetchall()
        )
        assert grants == {g.id: g.allocation_dkk for g in generations()}
        # a field 2021-2024 never reported is an empty column, never invented
        assert con.execute(
            "select programme, count(overhead_dkk) > 0 from raw.programme_projects group by all "
            "order by 1"
        ).fetchall() == [("2021-2024", False), ("2025-2028", True)]
        assert con.execute(
            "select bool_and(_is_sample), count(distinct programme) from raw.programme_participants"
        ).fetchone() == (True, 2)


def test_files_outside_every_generation_stop_the_load_unread(data_dir):
    """A report left directly in inbound/programme/ (the layout before generations) is not
    loaded as any generation by guess: the step fails saying where it goes, moving nothing."""
    assert _materialize(data_dir).success
    (data_dir / "inbound" / "programme").mkdir(parents=True)
    stray = write_csv(data_dir / "inbound" / "programme" / "participants.csv", PARTICIPANTS)
    result = _materialize(data_dir, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    text = failure.step_failure_data.error.to_string()
    assert "belong to no programme generation: participants.csv" in text
    assert "2021-2024/, 2025-2028/" in text
    assert stray.exists() and not (data_dir / "inbound" / "quarantine").exists()


def test_a_rejected_generation_keeps_its_rows_while_the_other_loads(data_dir):
    """Each generation loads on its own: a bad 2025-2028 file leaves that generation's last good
    rows in place, 2021-2024's correction loads, and the step fails naming the generation."""
    assert _materialize(data_dir).success
    before = _rows_by_generation(data_dir)
    inbound = inbound_dir(data_dir)
    write_base(inbound)
    rows = [list(r) for r in CLUSTERS]
    rows[2][3] = INVALID_CVR
    write_csv(inbound / "clusters.csv", rows)
    older = data_dir / "inbound" / "programme" / "2021-2024"
    shutil.copytree(bundled_sample_dir("2021-2024"), older)
    (older / "cluster_finances.csv").write_bytes(
        b"\n".join((older / "cluster_finances.csv").read_bytes().splitlines()[:-1]) + b"\n"
    )  # a correction: one year of one cluster's finances withdrawn
    result = _materialize(data_dir, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    text = failure.step_failure_data.error.to_string()
    assert f"generation {GENERATION}: 1 inbound programme file rejected" in text
    assert "generation 2021-2024" not in text
    after = _rows_by_generation(data_dir)
    assert after[GENERATION] == before[GENERATION]  # untouched, to the row
    assert after["2021-2024"]["finances"] == before["2021-2024"]["finances"] - 1
    assert after["2021-2024"]["sample"] is False


def _rows_by_generation(data_dir) -> dict[str, dict]:
    with duckdb.connect(str(data_dir / "w.duckdb"), read_only=True) as con:
        rows = con.execute(
            """select programme, count(*), bool_and(_is_sample),
                      (select count(*) from raw.programme_cluster_finances f
                       where f.programme = p.programme),
                      list(_source_file order by _source_file, _source_row)
               from raw.programme_participants p group by programme"""
        ).fetchall()
    return {r[0]: {"rows": r[1], "sample": r[2], "finances": r[3], "files": r[4]} for r in rows}


def test_rejection_fails_the_step_with_file_row_column_rule(data_dir):
    inbound = inbound_dir(data_dir)
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
    assert f"generation {GENERATION}: " in text
    assert f"{GENERATION}/clusters.csv, row 3, column cvr: cvr:" in text
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
    inbound = inbound_dir(data_dir)
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
        assert len(runs) == 1 and runs[0].tags["klynge/files"] == f"{GENERATION}/clusters.csv"
        first_key = runs[0].run_key
        paths["clusters"].unlink()  # e.g. moved to quarantine by the run
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert runs == []
        write_base(inbound)  # the same file comes back: a new run, a new run key
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and runs[0].run_key != first_key
        # another generation's folder, and a file left outside every generation's folder
        older = data_dir / "inbound" / "programme" / "2021-2024"
        older.mkdir()
        write_csv(older / "projects_2024.csv", [["project_id"]])
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and runs[0].tags["klynge/files"] == "2021-2024/projects_2024.csv"
        write_csv(older.parent / "projects.csv", [["project_id"]])
        runs, cursor = _tick(sensor_def, instance, cursor, settings)
        assert len(runs) == 1 and runs[0].tags["klynge/files"] == "projects.csv"


def test_sensor_waits_for_a_file_being_copied_in(data_dir):
    inbound = inbound_dir(data_dir)
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
