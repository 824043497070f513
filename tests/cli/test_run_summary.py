"""The facts ``make run`` prints at the end, read from the marts the run left behind.

Two refreshes started together queue on the run lock: the first's summary must not fail on
DuckDB's lock once the second has started writing (a CI run caught exactly that).
"""

from __future__ import annotations

import os

import duckdb
import pytest

from pipelines.cli import run_summary
from pipelines.cli.run_summary import fact_lines, mart_facts
from pipelines.orchestration.warehouse import acquire_run_lock, release_run_lock


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.quality_findings as select * from (values "
            "('smv_funding_rate_above_max', 'warning'), ('overhead_share_above_norm', 'warning'), "
            "('smv_funding_rate_above_max', 'warning'), ('smv_funding_rate_above_max', "
            "'not_checked')) t(rule, severity)"
        )
        con.execute(
            "create table marts.cluster_outcomes as select * from (values "
            "('2025-2028', false), ('2025-2028', true), ('2021-2024', false)) "
            "t(programme, is_sample)"
        )
        con.execute(
            "create table marts.price_index as select * from (values (2024), (2024)) "
            "t(price_base_year)"
        )
    return path


def test_facts_are_read_from_the_marts(warehouse):
    facts = mart_facts(warehouse, "run-1")
    assert facts.findings_by_rule == {
        "overhead_share_above_norm": 1,
        "smv_funding_rate_above_max": 2,
    }
    assert facts.sample == {"2021-2024": False, "2025-2028": True}
    assert facts.price_base_year == 2024 and facts.unread is None
    assert fact_lines(facts) == [
        "  quality findings  : overhead_share_above_norm 1, smv_funding_rate_above_max 2",
        "  programme data    : 2021-2024 reported by the cluster organisations; "
        "2025-2028 the generated SAMPLE (not reported data)",
        "  price base year   : 2024",
    ]
    # the summary gives the run lock back: the next run takes it at once
    release_run_lock(acquire_run_lock(str(warehouse), "next-run", 0))


def test_a_run_that_started_meanwhile_is_named_not_waited_for(warehouse):
    other = acquire_run_lock(str(warehouse), "queued-run", 0)
    try:
        facts = mart_facts(warehouse, "run-1")
    finally:
        release_run_lock(other)
    assert facts.unread and "queued-run" in facts.unread and str(warehouse) in facts.unread
    [line] = fact_lines(facts)
    assert line.startswith("  marts             : not read: ") and "queued-run" in line


def test_a_client_holding_duckdbs_lock_is_named(warehouse, monkeypatch):
    from tests.warehouse_helpers import duckdb_held_open

    monkeypatch.setattr(run_summary, "FACTS_LOCK_WAIT_SECONDS", 0.5)
    with duckdb_held_open(warehouse) as holder:
        facts = mart_facts(warehouse, "run-1")
    assert facts.unread and str(holder.pid) in facts.unread
    release_run_lock(acquire_run_lock(str(warehouse), "next-run", 0))  # released on failure too


def test_no_warehouse_yet(tmp_path):
    facts = mart_facts(tmp_path / "warehouse.duckdb", "run-1")
    assert facts.unread is None and facts.findings_by_rule == {}
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_warehouse_that_is_not_a_duckdb_file_is_reported_not_raised(tmp_path):
    broken = tmp_path / "warehouse.duckdb"
    broken.write_bytes(os.urandom(300_000))
    facts = mart_facts(broken, "run-1")
    assert facts.unread and "\n" not in facts.unread
    [line] = fact_lines(facts)
    assert line.startswith("  marts             : not read: ")


def test_a_gate_that_did_not_run_says_why():
    from pipelines.cli.run_summary import gate_lines

    assert gate_lines([]) == ["  quality gate      : not run (nothing to rebuild)"]
    assert gate_lines([], run_succeeded=False) == [
        "  quality gate      : not run (the run stopped before it)"
    ]
