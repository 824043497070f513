"""The code location: one lineage graph, checks attached, the refresh job and its schedule."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DefaultScheduleStatus

from pipelines.orchestration.definitions import defs as load_defs
from pipelines.settings import REPO_ROOT

# Loads the whole code location (dbt manifest, every asset and check): seconds before any test.
pytestmark = pytest.mark.slow

defs = load_defs()


def test_lineage_runs_from_dst_assets_through_staging_to_marts():
    graph = defs.resolve_asset_graph()
    chain = [
        AssetKey(["raw", "dst_forsk01"]),
        AssetKey(["staging", "stg_dst__forsk01"]),
        AssetKey(["intermediate", "int_dst__rd_by_size_group"]),
        AssetKey(["marts", "smv_rd_share_summary"]),
    ]
    for upstream, downstream in zip(chain, chain[1:], strict=False):
        assert upstream in graph.get(downstream).parent_keys, (upstream, downstream)
    deflator_parents = graph.get(AssetKey(["intermediate", "int_dst__gdp_deflator"])).parent_keys
    assert AssetKey(["staging", "stg_dst__nan1"]) in deflator_parents
    for key in (
        ["raw", "dst_forsk01"],
        ["raw", "dst_nan1"],
        ["raw", "dst_gf13"],
        ["raw", "dst_forsk02"],
    ):
        assert graph.get(AssetKey(key)).group_name == "dst"


def test_dbt_tests_are_asset_checks():
    graph = defs.resolve_asset_graph()
    checks = {
        c.name for c in graph.asset_check_keys if c.asset_key == AssetKey(["marts", "smv_rd_share"])
    }
    assert "unique_combination_smv_rd_share_year__size_group" in checks


def test_refresh_job_and_nightly_schedule():
    job = defs.resolve_job_def("refresh")
    every_asset = set(defs.resolve_asset_graph().get_all_asset_keys())
    assert job.asset_layer.selected_asset_keys == every_asset
    assert AssetKey(["marts", "smv_business_share"]) in every_asset
    schedule = defs.get_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Copenhagen"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "refresh"


def test_dagster_definitions_validate(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-w",
            "workspace.yaml",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_code_location_builds_nothing():
    """Dagster builds the definitions when it loads them: the import itself reads no manifest,
    imports neither dbt nor the assets, and starts no process."""
    probe = (
        "import subprocess, sys\n"
        "import dagster  # Dagster's own import asks `file` about the interpreter\n"
        "def refuse(*a, **k): raise AssertionError('a process was started at import')\n"
        "subprocess.Popen = refuse\n"
        "import pipelines.orchestration.definitions\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pipelines.orchestration.assets', "
        "'pipelines.catalog', 'dagster_dbt', 'dbt', 'great_expectations'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_fresh_clone_loads_without_dbt_on_path(tmp_path):
    """No manifest and no venv on PATH: loading parses the project with the venv's dbt."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    clone = tmp_path / "clone"
    for name in files.stdout.splitlines():
        source = REPO_ROOT / name
        if source.is_file() and not name.startswith(("data/published", "bench/data")):
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert not (clone / "dbt_project" / "target" / "manifest.json").exists()
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if p.rstrip("/") != bin_dir.rstrip("/")
    )
    (tmp_path / "home").mkdir()
    env = {
        **os.environ,
        "PATH": path,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "KLYNGE_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [str(Path(bin_dir) / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (clone / "dbt_project" / "target" / "manifest.json").exists()


def test_every_check_says_what_it_checks():
    graph = defs.resolve_asset_graph()
    specs = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert specs and [str(k) for k, s in specs.items() if not s.description] == []
    totals = AssetKey(["marts", "cluster_programme_totals"])
    by_name = {k.name: s.description for k, s in specs.items() if k.asset_key == totals}
    assert by_name["not_null_cluster_programme_totals_cluster_id"] == (
        "dbt test not_null: cluster_id is never NULL."
    )
    assert (
        "add up to cluster_programme_summary"
        in by_name["assert_cluster_totals_add_up_to_programme"]
    )


def test_publish_description_keeps_its_placeholder_in_markdown():
    description = defs.resolve_asset_graph().get(AssetKey(["published", "release"])).description
    assert "`data/published/releases/<time>/`" in description
