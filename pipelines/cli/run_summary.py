"""What ``make run`` prints at the end: the facts an operator needs from one refresh.

The quality gate per mart comes from the run's check evaluations; quality findings by rule,
whether the programme data is the sample, and the fixed-price base year are read from the
marts the run left in the warehouse, read-only and under the run lock the run has just released.
When another run has taken that lock meanwhile (a refresh queued behind this one), the
warehouse is being rewritten: the facts are then reported as not read, naming that run, and
the refresh's own outcome and exit status stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.orchestration.warehouse import (
    WarehouseLockedError,
    acquire_run_lock,
    connect,
    release_run_lock,
)

FACTS_LOCK_WAIT_SECONDS = 10.0  # a client holding DuckDB's own lock, e.g. an open DBeaver


@dataclass(frozen=True)
class GateResult:
    mart: str
    passed: bool
    evaluated: int | None
    failed: int | None


def gate_results(result) -> list[GateResult]:
    """Each mart's ``gx_suite`` check in this run (none when dbt had nothing to rebuild)."""
    out = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        data = event.event_specific_data
        if data.check_name != "gx_suite":
            continue
        meta = {k: v.value for k, v in data.metadata.items()}
        out.append(
            GateResult(
                data.asset_key.path[-1],
                bool(data.passed),
                meta.get("evaluated"),
                meta.get("failed"),
            )
        )
    return sorted(out, key=lambda g: g.mart)


@dataclass(frozen=True)
class MartFacts:
    findings_by_rule: dict[str, int]
    sample: dict[str, bool]  # per programme generation: its data is the synthetic sample
    price_base_year: int | None
    unread: str | None = None  # why the marts could not be read


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def mart_facts(warehouse: Path, run_id: str) -> MartFacts:
    if not warehouse.exists():
        return MartFacts({}, {}, None)
    try:
        run_lock = acquire_run_lock(str(warehouse), f"{run_id} (summary)", wait_seconds=0)
    except WarehouseLockedError as exc:
        return MartFacts({}, {}, None, unread=str(exc))
    try:
        with connect(str(warehouse), read_only=True, wait_seconds=FACTS_LOCK_WAIT_SECONDS) as con:
            return _read_facts(con)
    except (WarehouseLockedError, duckdb.Error) as exc:  # held, or not a DuckDB file at all
        return MartFacts({}, {}, None, unread=str(exc).splitlines()[0])
    finally:
        release_run_lock(run_lock)


def _read_facts(con: duckdb.DuckDBPyConnection) -> MartFacts:
    marts = _relations(con)
    findings = (
        dict(
            con.execute(
                "select rule, count(*) from marts.quality_findings "
                "where severity is distinct from 'not_checked' group by rule order by rule"
            ).fetchall()
        )
        if "quality_findings" in marts
        else {}
    )
    sample = (
        dict(
            con.execute(
                "select programme, bool_or(is_sample) from marts.cluster_outcomes "
                "group by programme order by programme"
            ).fetchall()
        )
        if "cluster_outcomes" in marts
        else {}
    )
    base = (
        con.execute("select max(price_base_year) from marts.price_index").fetchone()[0]
        if "price_index" in marts
        else None
    )
    return MartFacts(findings, sample, base)


def gate_lines(gates: list[GateResult], run_succeeded: bool = True) -> list[str]:
    if not gates:
        why = "nothing to rebuild" if run_succeeded else "the run stopped before it"
        return [f"  quality gate      : not run ({why})"]
    failed = [g for g in gates if not g.passed]
    head = f"  quality gate      : {len(gates) - len(failed)} of {len(gates)} marts passed" + (
        f"; FAILED: {', '.join(g.mart for g in failed)}" if failed else ""
    )
    width = max(len(g.mart) for g in gates)
    rows = [
        f"      {g.mart:<{width}}  {'passed' if g.passed else 'FAILED'}"
        + (
            f" ({g.evaluated} expectations" + (f", {g.failed} failed)" if g.failed else ")")
            if g.evaluated is not None
            else ""
        )
        for g in gates
    ]
    return [head, *rows]


def fact_lines(facts: MartFacts) -> list[str]:
    if facts.unread:
        return [f"  marts             : not read: {facts.unread}"]
    findings = ", ".join(f"{rule} {n}" for rule, n in facts.findings_by_rule.items()) or "none"
    said = {
        True: "the generated SAMPLE (not reported data)",
        False: "reported by the cluster organisations",
    }
    sample = "; ".join(f"{g} {said[s]}" for g, s in facts.sample.items()) or "unknown"
    return [
        f"  quality findings  : {findings}",
        f"  programme data    : {sample}",
        f"  price base year   : {facts.price_base_year or 'unknown'}",
    ]
