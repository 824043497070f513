"""Incremental refresh: nothing changed -> nothing downloaded, built or published; a changed
DST table -> only what depends on it is rebuilt, and a new release is published."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
from dagster import AssetKey, DagsterInstance

from pipelines.catalog import published_marts
from pipelines.incremental import BuildHistory, BuildInputs, plan_build
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT
from tests.conftest import copy_data_dir, republished_snapshot

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def refresh(data_dir, dagster_home, *args, **env):
    full_env = {
        **os.environ,
        "KLYNGE_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(dagster_home),
        "KLYNGE_DST_SOURCE": "snapshot",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh", *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def counts(data_dir):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for t in ("_dst_loads", "_dbt_builds")
        }


def test_second_refresh_with_nothing_changed_downloads_builds_and_publishes_nothing(
    refreshed, tmp_path
):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    home = tmp_path / "home"
    shutil.copytree(refreshed[0] / "dagster_home", home)
    before = counts(data_dir)
    current = os.readlink(data_dir / "published" / "current")
    result = refresh(data_dir, home)  # decided before Dagster starts: no run at all
    assert f"nothing changed since release {os.path.basename(current)}" in result.stdout
    assert "Refresh finished" not in result.stdout
    result = refresh(data_dir, home, "--force")  # through Dagster: it finds the same
    assert "no new release    : publish did not run" in result.stdout
    assert (
        "dbt not run: no input changed since the last build that passed the gate"
        in result.stdout + result.stderr
    )
    assert counts(data_dir) == before  # no DST load, no dbt build recorded
    assert os.readlink(data_dir / "published" / "current") == current


def test_changed_dst_table_rebuilds_only_its_descendants(refreshed, tmp_path):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    home = tmp_path / "home"
    shutil.copytree(refreshed[0] / "dagster_home", home)
    snapshot = republished_snapshot(tmp_path)
    current = os.readlink(data_dir / "published" / "current")
    result = refresh(data_dir, home, KLYNGE_DST_SNAPSHOT_DIR=str(snapshot))
    logs = result.stdout + result.stderr
    assert "dbt build: changed inputs: dst_gf13" in logs
    assert "  new release       :" in result.stdout
    assert os.readlink(data_dir / "published" / "current") != current
    run_id = result.stderr.split("Refresh ", 1)[1].split(":", 1)[0]
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with DagsterInstance.get() as instance:

            def built_in(*key):
                return instance.get_latest_materialization_event(AssetKey(list(key))).run_id

            # The event log tells the truth: the models of the other DST tables were not
            # rebuilt and are not materialized by this run; GF13's are, and every mart (a
            # cheap table, so that the gate judges every mart in the run that publishes it).
            assert built_in("staging", "stg_dst__gf13") == run_id
            for untouched in (
                ("staging", "stg_dst__forsk01"),
                ("staging", "stg_dst__nan1"),
                ("intermediate", "int_dst__gdp_deflator"),
            ):
                assert built_in(*untouched) != run_id, untouched
            for mart in published_marts():
                assert built_in("marts", mart.name) == run_id, mart.name
    finally:
        os.environ.pop("DAGSTER_HOME")
    manifest = json.loads((data_dir / "published" / "manifest.json").read_text())
    assert manifest["dst"]["tables"]["GF13"]["updated"] == "2026-06-01T08:00:00"


def test_plan_rules():
    code, sources = "c1", {"dst_forsk01": "a", "programme_projects": "x"}
    good = BuildHistory(BuildInputs(code, sources))
    assert plan_build(BuildInputs(code, sources), BuildHistory(None)).rebuild_all
    assert plan_build(BuildInputs("c2", sources), good).rebuild_all
    same = plan_build(BuildInputs(code, sources), good)
    assert same.nothing_to_do and same.dbt_args(MANIFEST) == []
    changed = plan_build(BuildInputs(code, {**sources, "dst_gf13": "y"}), good)
    assert changed.changed_sources == ("dst_gf13",)
    flag, excluded = changed.dbt_args(MANIFEST)
    assert flag == "--exclude"
    assert {"stg_dst__forsk01", "int_dst__gdp_deflator"} <= set(excluded.split())
    # GF13's staging model, and every mart with its tests, are built
    assert not {
        "stg_dst__gf13",
        "smv_business_share",
        "smv_rd_share_summary",
        "unique_smv_rd_share_summary_year",
    } & set(excluded.split())


def test_plan_never_takes_a_build_that_failed_the_gate_as_its_baseline():
    code, sources = "c1", {"dst_forsk01": "a", "programme_clusters": "x"}
    bad = {**sources, "programme_clusters": "661 mio"}
    # The build of ``bad`` failed the gate: the same inputs again are built and checked again.
    again = plan_build(
        BuildInputs(code, bad), BuildHistory(BuildInputs(code, sources), (BuildInputs(code, bad),))
    )
    assert again.changed_sources == ("programme_clusters",) and not again.nothing_to_do
    assert "did not pass the quality gate" in again.reason
    # Inputs back to the last good build's: the marts still hold the failed build's data.
    back = plan_build(
        BuildInputs(code, sources),
        BuildHistory(BuildInputs(code, sources), (BuildInputs(code, bad),)),
    )
    assert back.changed_sources == ("programme_clusters",)
    # A failed build of other code: everything again.
    assert plan_build(
        BuildInputs(code, sources),
        BuildHistory(BuildInputs(code, sources), (BuildInputs("c0", sources),)),
    ).rebuild_all
