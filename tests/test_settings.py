"""Every environment variable the pipeline reads: a value it cannot use is named, never used."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipelines.settings import REPO_ROOT, SettingsError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("KLYNGE_INBOUND_SETTLE_SECONDS", "1e309", "must be a finite number at least 0"),
        ("KLYNGE_INBOUND_SETTLE_SECONDS", "inf", "must be a finite number"),
        ("KLYNGE_MAX_SHRINK_SHARE", "nan", "must be a finite number between 0 and 1"),
        ("KLYNGE_PRICE_BASE_YEAR", "0999", "must be a year such as 2024"),
        ("DST_API_BASE_URL", "not-a-url", "is not an http(s) URL"),
        ("DST_API_BASE_URL", "ftp://dst.example.invalid/v1", "is not an http(s) URL"),
        ("KLYNGE_DST_SOURCE", "foo", "is not one of: live, snapshot, auto"),
    ],
)
def test_a_value_the_pipeline_cannot_use_is_named(name, value, expected):
    with pytest.raises(SettingsError) as err:
        load_settings({name: value})
    assert str(err.value).startswith(f"{name}={value!r}") and expected in str(err.value)


def test_good_values_are_read():
    settings = load_settings(
        {"DST_API_BASE_URL": "http://127.0.0.1:8080/v1/", "KLYNGE_PRICE_BASE_YEAR": "2020"}
    )
    assert settings.dst_api_base_url == "http://127.0.0.1:8080/v1"
    assert settings.price_base_year == 2020


def _refresh(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh"],
        cwd=REPO_ROOT,
        env={**environment, "KLYNGE_DST_SOURCE": "snapshot", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", ["KLYNGE_DATA_DIR", "DAGSTER_HOME"])
def test_a_folder_setting_that_names_a_file_stops_the_refresh_before_any_work(tmp_path, name):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder", encoding="utf-8")
    env = {"KLYNGE_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    done = _refresh(tmp_path, **{**env, name: str(a_file)})
    assert done.returncode == 2
    assert done.stderr == f"error: {name}={a_file} is a file, not a folder\n"
    assert "Traceback" not in done.stderr
