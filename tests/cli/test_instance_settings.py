"""The Dagster instance settings the refresh command installs into DAGSTER_HOME."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from dagster import DagsterInstance

from pipelines.checksums import sha256_file
from pipelines.cli.command import (
    EARLIER_INSTANCE_SETTINGS,
    INSTANCE_SETTINGS,
    install_instance_settings,
)

# config/dagster.yaml as an earlier version of the project shipped it
EARLIER = Path(__file__).with_name("dagster_yaml_earlier.yaml")


def test_a_new_home_gets_the_project_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    install_instance_settings()
    installed = tmp_path / "home" / "dagster.yaml"
    assert installed.read_bytes() == INSTANCE_SETTINGS.read_bytes()
    settings = yaml.safe_load(installed.read_text(encoding="utf-8"))
    assert settings["nux"] == {"enabled": False} and settings["telemetry"] == {"enabled": False}
    with DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert instance.run_coordinator is not None  # Dagster reads the file as it is


def test_an_operators_own_file_is_never_replaced(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    own = "# mine\ntelemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(own, encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    install_instance_settings()
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == own


def test_an_unedited_earlier_version_is_brought_up_to_date(tmp_path, monkeypatch):
    assert sha256_file(EARLIER) in EARLIER_INSTANCE_SETTINGS
    assert sha256_file(INSTANCE_SETTINGS) not in EARLIER_INSTANCE_SETTINGS
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(EARLIER, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    install_instance_settings()
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_SETTINGS.read_bytes()
