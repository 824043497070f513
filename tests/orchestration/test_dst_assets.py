"""End to end: the dst assets materialised into a temporary warehouse."""

from __future__ import annotations

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from pipelines.orchestration.assets.dst import dst_assets
from pipelines.orchestration.resources import build_resources
from pipelines.settings import load_settings

pytestmark = pytest.mark.slow  # Dagster materialisations of the DST assets

PUBLISHED_TOTALS = {2014: 36_815, 2017: 40_757, 2023: 53_417, 2024: 59_213}


def run_dst(env: dict[str, str], instance=None):
    settings = load_settings(env)
    result = materialize(dst_assets, resources=build_resources(settings), instance=instance)
    assert result.success
    return settings, result


def metadata(result, table: str) -> dict:
    [mat] = [m for m in result.asset_materializations_for_node(f"raw__dst_{table}")]
    return {k: v.value for k, v in mat.metadata.items()}


def failure_text(result) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.to_string()


def test_snapshot_mode_loads_values_nulls_and_provenance(data_dir):
    settings, result = run_dst({"KLYNGE_DATA_DIR": str(data_dir), "KLYNGE_DST_SOURCE": "snapshot"})
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    totals = dict(
        con.execute(
            """select tid::int, value from raw.dst_forsk01
           where fui01 = '3000' and fui08 = '10' and tid::int in (2014, 2017, 2023, 2024)"""
        ).fetchall()
    )
    assert totals == PUBLISHED_TOTALS
    suppressed = con.execute(
        """select value, is_suppressed from raw.dst_forsk02
           where fui01 = '3010' and levrtyp = '130' and tid = '2019'"""
    ).fetchall()
    assert suppressed == [(None, True)]
    assert (
        con.execute(
            "select count(*) from raw.dst_forsk01 where value = 0 and is_suppressed"
        ).fetchone()[0]
        == 0
    )
    prov = con.execute("""select source_mode, dst_updated, synthetic, row_count
                          from raw._dst_loads where raw_table = 'dst_nan1'""").fetchall()
    assert prov == [("snapshot", "2025-10-30T08:00:00", True, 52)]
    assert con.execute("""select label from raw.dst_forsk01_labels
                          where variable = 'FUI01' and code = '3010'""").fetchall() == [
        ("Under 10 årsværk",)
    ]
    gdp = con.execute("""select value from raw.dst_nan1
                         where prisenhed = 'LAN_M' and tid = '2020'""").fetchone()[0]
    assert gdp == pytest.approx(2_330_000.0)  # decimal comma parsed
    meta = metadata(result, "forsk01")
    assert meta["source_mode"] == "snapshot"
    assert meta["synthetic"] is True
    assert meta["dagster/row_count"] == 1134


def test_live_mode_second_load_with_same_updated_downloads_nothing(data_dir, fake_dst):
    env = {
        "KLYNGE_DATA_DIR": str(data_dir),
        "KLYNGE_DST_SOURCE": "live",
        "DST_API_BASE_URL": fake_dst.base_url,
    }
    with DagsterInstance.ephemeral() as instance:
        settings, first = run_dst(env, instance)
        assert fake_dst.calls("data") == 4
        _, second = run_dst(env, instance)
        assert fake_dst.calls("data") == 4  # nothing downloaded again
        assert metadata(second, "gf13")["downloaded"] is False
        assert metadata(first, "gf13")["source_mode"] == "live"
        fake_dst.tables["GF13"].info["updated"] = "2026-02-01T08:00:00"
        _, third = run_dst(env, instance)
        assert fake_dst.calls("data") == 5  # only the republished table
        assert metadata(third, "gf13")["downloaded"] is True
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute(
        """select dst_updated, synthetic from raw._dst_loads
               where raw_table = 'dst_gf13' order by loaded_at desc limit 1"""
    ).fetchall() == [("2026-02-01T08:00:00", False)]


def test_auto_mode_falls_back_to_snapshot_when_dst_unreachable(data_dir, closed_port_url):
    env = {
        "KLYNGE_DATA_DIR": str(data_dir),
        "KLYNGE_DST_SOURCE": "auto",
        "DST_API_BASE_URL": closed_port_url,
    }
    with DagsterInstance.ephemeral() as instance:
        _, result = run_dst(env, instance)
        logs = [e for e in instance.all_logs(result.run_id) if e.dagster_event is None]
    meta = metadata(result, "nan1")
    assert meta["source_mode"] == "snapshot"
    assert "reach" in meta["fallback_reason"]
    # the operator reads one sentence per table (the console shows WARNING and up); the
    # technical reason stays in the metadata and, at DEBUG, in the full log
    warnings = [e.user_message for e in logs if e.level >= 30 and "NAN1" in e.user_message]
    assert warnings == ["NAN1: DST could not be reached; the stored snapshot is used"], warnings
    [detail] = [e for e in logs if e.level < 20 and "NAN1: why" in e.user_message]
    assert meta["fallback_reason"] in detail.user_message
    assert not any(meta["fallback_reason"] in e.user_message for e in logs if e.level >= 20)


def test_dst_tables_carry_a_freshness_policy_not_a_check_step():
    """Freshness is the UI's concern (a policy on each DST asset), not a step of every run."""
    from pipelines.orchestration.definitions import defs

    definitions = defs()
    for asset in dst_assets:
        [spec] = asset.specs
        assert spec.freshness_policy is not None, spec.key
    assert not [c for c in definitions.asset_checks or [] if "freshness" in str(c)]


def test_auto_mode_does_not_fall_back_on_a_dst_error(data_dir, fake_dst):
    fake_dst.tables["NAN1"].info["variables"][0]["values"] = [{"id": "P7K", "text": "x"}]
    env = load_settings(
        {
            "KLYNGE_DATA_DIR": str(data_dir),
            "KLYNGE_DST_SOURCE": "auto",
            "DST_API_BASE_URL": fake_dst.base_url,
        }
    )
    result = materialize(
        dst_assets, resources=build_resources(env), raise_on_error=False, selection="raw/dst_nan1"
    )
    assert not result.success
    message = failure_text(result)
    assert "NAN1" in message and "B1GQK" in message


def _gf13_load_fails_and_keeps_the_last(data_dir, fake_dst, spoil) -> str:
    """Load every table, republish GF13 spoilt by ``spoil(table)``; the load must fail and
    raw.dst_gf13 stay as it was. Returns the failure's text."""
    env = {
        "KLYNGE_DATA_DIR": str(data_dir),
        "KLYNGE_DST_SOURCE": "live",
        "DST_API_BASE_URL": fake_dst.base_url,
    }
    settings, _ = run_dst(env)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = con.execute("select * from raw.dst_gf13 order by all").fetchall()
    table = fake_dst.tables["GF13"]
    table.info["updated"] = "2026-03-01T08:00:00"
    spoil(table)
    result = materialize(
        dst_assets,
        resources=build_resources(load_settings(env)),
        raise_on_error=False,
        selection="raw/dst_gf13",
    )
    assert not result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select * from raw.dst_gf13 order by all").fetchall() == before
        assert con.execute("select dst_updated from raw.dst_gf13_provenance").fetchone()[0] != (
            "2026-03-01T08:00:00"
        )
    return failure_text(result)


def test_failed_load_keeps_previous_raw_table(data_dir, fake_dst):
    def not_a_number(table):
        table.rows[3][-1] = "12 345"

    message = _gf13_load_fails_and_keeps_the_last(data_dir, fake_dst, not_a_number)
    assert "GF13" in message and "line 5: '12 345'" in message


def test_a_tableinfo_without_updated_is_downloaded_every_time(data_dir, fake_dst):
    """No version to compare: the table is loaded again on every refresh, never kept stale."""
    env = {
        "KLYNGE_DATA_DIR": str(data_dir),
        "KLYNGE_DST_SOURCE": "live",
        "DST_API_BASE_URL": fake_dst.base_url,
    }
    del fake_dst.tables["GF13"].info["updated"]
    with DagsterInstance.ephemeral() as instance:
        run_dst(env, instance)
        fake_dst.tables["GF13"].rows[0][-1] = "4242"  # republished without a version
        _, second = run_dst(env, instance)
        assert metadata(second, "gf13")["downloaded"] is True
        assert metadata(second, "nan1")["downloaded"] is False  # a versioned table is kept
        warnings = [
            e.message
            for e in instance.all_logs(second.run_id)
            if e.level >= 30 and "no 'updated' version" in (e.message or "")
        ]
    assert warnings and "GF13" in warnings[0]
    settings = load_settings(env)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select max(value) from raw.dst_gf13").fetchone()[0] >= 4242


def test_a_body_cut_short_at_a_line_end_keeps_the_previous_table(data_dir, fake_dst):
    """A connection that closes early at a line end leaves a body that parses: the cell count
    against the request is what tells it is incomplete."""

    def cut_short(table):
        del table.rows[len(table.rows) // 2 :]

    message = _gf13_load_fails_and_keeps_the_last(data_dir, fake_dst, cut_short)
    assert "GF13" in message and "requested cells" in message and "cut short" in message
