"""dbt run inside the pipeline's process (pipelines/dbt_in_process.py) behaves like the dbt
subprocess dagster-dbt would start: same events, same errors, and the warehouse free after."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import AssetCheckEvaluation, AssetKey, AssetMaterialization
from dagster_dbt import DbtCliInvocation
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.constants import with_dbt_vars
from pipelines.dbt_in_process import InProcessDbtInvocation, dbt_arguments, kept_parse
from pipelines.resources import local_dbt
from pipelines.settings import DBT_PROJECT_DIR, load_settings
from tests.conftest import copy_data_dir
from tests.warehouse_helpers import DBT

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def test_dagster_dbt_environment_becomes_flags():
    env = {
        "DBT_TARGET_PATH": "/d/dbt_target",
        "DBT_LOG_PATH": "/d/dbt_target",
        "DBT_PROFILES_DIR": "/p",
        "DBT_PROJECT_DIR": "/p",
        "DBT_INDIRECT_SELECTION": "empty",
        "PATH": "/usr/bin",
    }
    args = dbt_arguments(["build", "--select", "price_index"], env, Path("/p"))
    assert args[:3] == ["build", "--select", "price_index"]
    pairs = dict(zip(args[3:-2:2], args[4:-2:2], strict=True))
    assert pairs == {
        "--target-path": "/d/dbt_target",
        "--log-path": "/d/dbt_target",
        "--profiles-dir": "/p",
        "--project-dir": "/p",
        "--indirect-selection": "empty",
    }
    assert args[-2:] == ["--quiet", "--no-send-anonymous-usage-stats"]


def test_relative_folders_are_the_project_folders():
    """dagster-dbt starts dbt in the project folder; in this process they are made explicit."""
    env = {"DBT_TARGET_PATH": "target", "DBT_LOG_PATH": "target", "DBT_PROJECT_DIR": "/p"}
    args = dbt_arguments(["parse"], env, Path("/p"))
    assert args[1:7] == [
        "--target-path",
        "/p/target",
        "--log-path",
        "/p/target",
        "--project-dir",
        "/p",
    ]


@pytest.fixture(scope="module")
def parsed_copy(tmp_path_factory) -> Path:
    """The dbt project in a folder of its own, parsed there as ``make install`` parses it."""
    copy = tmp_path_factory.mktemp("project") / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("logs", "target"))
    subprocess.run(
        with_dbt_vars(
            [DBT, "parse", "--quiet", "--project-dir", str(copy), "--profiles-dir", str(copy)]
        ),
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return copy


@pytest.mark.slow
def test_the_kept_parse_is_used_until_a_project_file_changes(parsed_copy):
    project = parsed_copy
    state = project / "target" / "partial_parse.msgpack"
    newer = time.time_ns()
    os.utime(state, ns=(newer, newer))

    manifest = kept_parse(project)
    assert manifest is not None
    assert "model.klynge.smv_rd_share" in manifest.nodes
    assert kept_parse(project) is manifest  # loaded once per process

    model = project / "models" / "marts" / "smv" / "smv_rd_share.sql"
    later = newer + 1_000_000
    os.utime(model, ns=(later, later))
    assert kept_parse(project) is None  # dbt parses the edit itself


@pytest.mark.slow
def test_a_parse_made_in_another_folder_is_not_used(parsed_copy, tmp_path):
    """dbt reads seeds from the folder the parse was given: a checkout moved since, or a parse
    given ``--project-dir .``, would look for them in the wrong place."""
    moved = tmp_path / "moved"
    shutil.copytree(parsed_copy, moved)
    newer = time.time_ns()
    os.utime(moved / "target" / "partial_parse.msgpack", ns=(newer, newer))
    assert kept_parse(moved) is None


def test_a_damaged_parse_means_dbt_parses(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "partial_parse.msgpack").write_bytes(b"\x00half a file")
    assert kept_parse(tmp_path) is None


def test_no_parse_kept_means_dbt_parses(tmp_path):
    (tmp_path / "models").mkdir()
    assert kept_parse(tmp_path) is None


@pytest.mark.slow
def test_a_build_runs_in_this_process_and_frees_the_warehouse(refreshed, tmp_path, monkeypatch):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    monkeypatch.setenv("KLYNGE_DATA_DIR", str(data_dir))
    dbt = local_dbt(load_settings())

    real_popen = subprocess.Popen

    def no_dbt_process(args, *rest, **kwargs):
        if "dbt" in Path(str(args[0])).name:
            raise AssertionError(f"dbt was started as a subprocess: {args}")
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", no_dbt_process)
    invocation = dbt.cli(
        ["build", "--select", "price_index"], manifest=MANIFEST, target_path=data_dir / "dbt_target"
    )
    events = list(invocation.stream())
    monkeypatch.undo()

    assert isinstance(invocation, InProcessDbtInvocation)
    assert invocation.is_successful()
    built = {e.asset_key for e in events if isinstance(e, AssetMaterialization)}
    assert built == {AssetKey(["marts", "price_index"])}
    checks = [e for e in events if isinstance(e, AssetCheckEvaluation)]
    assert checks and all(c.passed for c in checks)
    assert all(c.asset_key == AssetKey(["marts", "price_index"]) for c in checks)

    # dbt-duckdb's database is closed: another process can write the warehouse at once.
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
            str(data_dir / "warehouse.duckdb"),
        ],
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr


@pytest.mark.slow
def test_a_dbt_error_fails_the_invocation_with_dbts_message(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.setenv("KLYNGE_DATA_DIR", str(data_dir))
    dbt = local_dbt(load_settings())
    # No raw tables in this warehouse: the first staging model cannot find its source.
    invocation: DbtCliInvocation = dbt.cli(
        ["build", "--select", "stg_dst__nan1"],
        manifest=MANIFEST,
        target_path=data_dir / "dbt_target",
    )
    with pytest.raises(DagsterDbtCliRuntimeError) as failure:
        list(invocation.stream())
    assert invocation.process.returncode == 1
    assert "stg_dst__nan1" in str(failure.value)
    assert "dst_nan1" in str(failure.value)


@pytest.mark.slow
def test_a_bad_dbt_argument_fails_with_dbts_reason(tmp_path, monkeypatch):
    """dbt returns a usage error without logging it: the failure still says what was wrong."""
    monkeypatch.setenv("KLYNGE_DATA_DIR", str(tmp_path))
    invocation = local_dbt(load_settings()).cli(
        ["build", "--no-such-flag"], manifest=MANIFEST, target_path=tmp_path / "dbt_target"
    )
    with pytest.raises(DagsterDbtCliRuntimeError) as failure:
        invocation.wait()
    assert invocation.process.returncode == 2
    assert "no-such-flag" in str(failure.value)
