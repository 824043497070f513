"""The dbt project as its style guide asks: hand-written YAML, unit tests on the arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipelines.settings import DBT_PROJECT_DIR
from tests.conftest import copy_data_dir
from tests.warehouse_helpers import run_dbt

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
GENERATED = ("target", "logs", "dbt_packages")


def _project_yaml() -> list[Path]:
    return [
        p
        for p in DBT_PROJECT_DIR.rglob("*.yml")
        if p.relative_to(DBT_PROJECT_DIR).parts[0] not in GENERATED
    ]


def test_yaml_has_no_anchors_or_aliases():
    """Anchors (``&id001``/``*id001``) are the trace of generated YAML: a column sharing
    another's tests by alias changes when the other is edited."""
    found = []
    for path in _project_yaml():
        for event in yaml.parse(path.read_text(encoding="utf-8")):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                found.append(f"{path.relative_to(DBT_PROJECT_DIR)}:{event.start_mark.line + 1}")
    assert _project_yaml() and found == []


def test_unit_tests_cover_prices_growth_and_distinct_counts():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    tested = {t["model"] for t in manifest["unit_tests"].values()}
    assert {
        "int_dst__gdp_deflator",
        "int_dst__price_base",
        "int_dst__rd_by_size_group",
        "smv_rd_share",
        "smv_rd_share_summary",
        "int_programme__measures",
        "int_programme__generations",
        "programme_generations",
    } <= tested


def test_shared_descriptions_are_rendered():
    """A ``doc()`` reference reaches the data dictionary as its text, never as Jinja."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    columns = [
        (n["name"], c["name"], c["description"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
        for c in n["columns"].values()
    ]
    unrendered = [(m, c) for m, c, d in columns if "{{" in d or "{%" in d or d != d.strip()]
    assert columns and unrendered == []
    by_column = {(m, c): d for m, c, d in columns}
    assert by_column[("smv_rd_share", "source_mode")] == (
        "Where the DST data came from: live (API) or snapshot."
    )
    assert by_column[("cluster_programme_totals", "smv_funding_dkk")] == (
        "Additive. Cluster funding to SMEs, kr."
    )


@pytest.mark.slow
def test_unit_tests_pass_on_the_built_warehouse(refreshed, tmp_path):
    """The refresh leaves unit tests out (they check SQL, not data); here they all run."""
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    result = run_dbt(data_dir, "test", "--select", "test_type:unit")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    results = json.loads((data_dir / "dbt_target" / "run_results.json").read_text())["results"]
    assert {r["unique_id"] for r in results if r["status"] == "pass"} == set(
        manifest["unit_tests"]
    ), result.stdout[-2000:]


def test_dbt_sends_no_usage_statistics():
    """dbt would otherwise write a random user id to dbt_project/.user.yml on every run."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["flags"]["send_anonymous_usage_stats"] is False
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
