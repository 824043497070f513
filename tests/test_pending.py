"""The cheap pre-check: a refresh with nothing to do is decided without Dagster, dbt or GX,
and every kind of change (DST republished, programme files, dbt code, a failed gate) is seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
from dagster import DagsterInstance, SkipReason, build_schedule_context

from pipelines.constants import generations
from pipelines.pending import pending_work
from pipelines.settings import REPO_ROOT, load_settings
from tests.conftest import copy_data_dir, republished_snapshot
from tests.programme.helpers import GENERATION, inbound_dir, write_base


def _settings(data_dir, **env):
    return load_settings({"KLYNGE_DATA_DIR": str(data_dir), "KLYNGE_DST_SOURCE": "snapshot", **env})


def test_nothing_pending_after_a_refresh_and_no_heavy_import(refreshed, tmp_path):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    release = os.path.basename(os.readlink(data_dir / "published" / "current"))
    code = (
        "import sys; from pipelines.pending import pending_work; "
        "from pipelines.settings import load_settings; p = pending_work(load_settings()); "
        "print(p.describe()); "
        "print(sorted(m for m in ('dagster', 'dbt', 'great_expectations', 'pandas') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "KLYNGE_DATA_DIR": str(data_dir), "KLYNGE_DST_SOURCE": "snapshot"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.splitlines() == [f"nothing changed since release {release}", "[]"]


def test_each_kind_of_change_is_pending(refreshed, tmp_path):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    assert pending_work(_settings(data_dir)).nothing
    snapshot = republished_snapshot(tmp_path)
    [reason] = pending_work(_settings(data_dir, KLYNGE_DST_SNAPSHOT_DIR=str(snapshot))).reasons
    assert reason.startswith("DST GF13: updated 2026-06-01T08:00:00 from snapshot")
    write_base(inbound_dir(data_dir))
    assert pending_work(_settings(data_dir)).reasons == [
        f"programme {GENERATION}: the inbound files differ from the last load"
    ]
    for path in inbound_dir(data_dir).iterdir():
        path.unlink()
    stray = data_dir / "inbound" / "programme" / "participants.csv"
    stray.write_text("project_id\n", encoding="utf-8")  # outside every generation's folder
    [reason] = pending_work(_settings(data_dir)).reasons
    assert reason.startswith("programme: files outside the generations' folders in ")
    stray.unlink()
    panel = data_dir / "inbound" / "firm_panel"
    panel.mkdir(parents=True)
    (panel / "firms_2015_2025.parquet").write_bytes(b"a new panel")
    assert pending_work(_settings(data_dir)).reasons == [
        "firm panel: firms_2015_2025.parquet newer than the last estimates"
    ]
    (panel / "firms_2015_2025.parquet").unlink()
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:  # a build failed its gate
        con.execute(
            "insert into raw._dbt_builds select * replace ('failed-run' as run_id, "
            "now()::timestamp as built_at, 'built' as status) from raw._dbt_builds "
            "order by built_at desc limit 1"
        )
    [reason] = pending_work(_settings(data_dir)).reasons
    assert reason.startswith("dbt: ") and "did not pass the quality gate" in reason


def test_pending_without_a_release_or_warehouse(tmp_path):
    assert pending_work(_settings(tmp_path)).reasons == ["no release has been published yet"]


def test_nightly_schedule_skips_with_the_reason(refreshed, tmp_path):
    from pipelines.orchestration.jobs import refresh_schedule
    from pipelines.orchestration.resources import SettingsResource

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    settings = SettingsResource.of(
        load_settings({"KLYNGE_DATA_DIR": str(data_dir), "KLYNGE_DST_SOURCE": "snapshot"})
    )
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance, resources={"settings": settings})
        result = refresh_schedule(context)
        assert isinstance(result, SkipReason)
        assert result.skip_message.startswith("nothing changed since release ")
        write_base(inbound_dir(data_dir))
        request = refresh_schedule(context)
        reason = f"programme {GENERATION}: the inbound files differ"
        assert json.dumps(request.tags).count(reason) == 1


def test_an_inbound_file_that_cannot_be_read_is_pending_work_not_a_crash(
    refreshed, tmp_path, monkeypatch
):
    """(The tests run as root, whom file permissions do not stop: the read error is planted.)"""
    from pipelines.programme import ingest

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    write_base(inbound_dir(data_dir))

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(data_dir / "participants.csv"))

    monkeypatch.setattr(ingest, "files_unchanged", unreadable)
    assert pending_work(_settings(data_dir)).reasons == [
        f"programme {generations()[0].id}: participants.csv cannot be read (Permission denied)"
    ]
