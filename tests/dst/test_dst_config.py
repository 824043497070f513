"""The declarative table config: the shipped file, a new table by config only, bad configs."""

from __future__ import annotations

import pytest

from pipelines.dst.config import DstConfigError, load_table_specs
from pipelines.dst.errors import DstSelectionError
from pipelines.dst.selection import resolve_selection
from tests.conftest import REGION_TABLE


def test_shipped_config_lists_the_four_tables():
    specs = {s.id: s for s in load_table_specs()}
    assert set(specs) == {"FORSK01", "NAN1", "GF13", "FORSK02"}
    assert specs["FORSK01"].raw_table == "dst_forsk01"
    assert specs["NAN1"].variables["PRISENHED"] == ("V_M", "LAN_M")


def test_a_new_table_is_config_only(tmp_path, fake_dst, data_dir, monkeypatch):
    config = tmp_path / "tables.yaml"
    config.write_text(
        "tables:\n  - id: REG01\n    description: regions\n    variables:\n"
        "      OMRÅDE: '*'\n      Tid: ['2023']\n",
        encoding="utf-8",
    )
    [spec] = load_table_specs(config)
    from pipelines.dst.client import DstClient
    from pipelines.dst.ingest import ingest_table
    from pipelines.dst.snapshot import SnapshotStore
    from pipelines.dst.source import DstSource
    from pipelines.orchestration.warehouse import WarehouseResource
    from pipelines.settings import SourceMode

    source = DstSource(
        SourceMode.LIVE, DstClient(fake_dst.base_url), SnapshotStore(tmp_path / "none")
    )
    connect = WarehouseResource(database=str(data_dir / "w.duckdb")).get_connection
    result = ingest_table(spec, source, connect)
    assert result.rows == 3 and result.suppressed == 1
    _, payload = fake_dst.requests[-1]
    assert payload["variables"][0] == {"code": "OMRÅDE", "values": ["000", "084", "085"]}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"OMRÅDE": "*", "Tid": "*", "KØN": ["1"]}, "unknown variable(s) KØN"),
        ({"OMRÅDE": ["000", "999"], "Tid": "*"}, "variable OMRÅDE has no value(s) 999"),
        ({"OMRÅDE": "*"}, "no values configured for variable(s) Tid"),
    ],
)
def test_selection_errors_name_table_and_problem(tmp_path, variables, message):
    import yaml

    config = tmp_path / "t.yaml"
    config.write_text(
        yaml.safe_dump({"tables": [{"id": "REG01", "variables": variables}]}, allow_unicode=True),
        encoding="utf-8",
    )
    [spec] = load_table_specs(config)
    with pytest.raises(DstSelectionError) as err:
        resolve_selection(spec, REGION_TABLE.info)
    assert "REG01" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tables:\n  - id: forsk-01\n    variables: {A: '*'}\n", "must be a DST table id"),
        ("tables:\n  - id: X1\n    variables: {}\n", "'variables' must map"),
        ("tables:\n  - id: X1\n    variables: {A: []}\n", "non-empty list"),
        (
            "tables:\n  - {id: X1, variables: {A: '*'}}\n  - {id: X1, variables: {A: '*'}}\n",
            "listed twice",
        ),
        ("tables: [\n", "not valid YAML"),
    ],
)
def test_bad_config_is_rejected_with_file_name(tmp_path, text, message):
    config = tmp_path / "bad.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(DstConfigError) as err:
        load_table_specs(config)
    assert str(config) in str(err.value) and message in str(err.value)
