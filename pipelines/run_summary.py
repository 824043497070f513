"""What ``make run`` prints at the end: the facts an operator needs from one refresh.

The quality gate per mart comes from the run's check evaluations; quality findings by rule,
whether the programme data is the sample, and the fixed-price base year are read from the
marts the run left in the warehouse (read-only, after the run released its lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


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
    sample: bool | None
    price_base_year: int | None


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def mart_facts(warehouse: Path) -> MartFacts:
    if not warehouse.exists():
        return MartFacts({}, None, None)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = _relations(con)
        findings = (
            dict(
                con.execute(
                    "select rule, count(*) from marts.quality_findings group by rule order by rule"
                ).fetchall()
            )
            if "quality_findings" in marts
            else {}
        )
        sample = (
            con.execute("select bool_or(is_sample) from marts.cluster_outcomes").fetchone()[0]
            if "cluster_outcomes" in marts
            else None
        )
        base = (
            con.execute("select max(price_base_year) from marts.price_index").fetchone()[0]
            if "price_index" in marts
            else None
        )
    return MartFacts(findings, sample, base)


def gate_lines(gates: list[GateResult]) -> list[str]:
    if not gates:
        return ["  quality gate      : not run (nothing to rebuild)"]
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
    findings = ", ".join(f"{rule} {n}" for rule, n in facts.findings_by_rule.items()) or "none"
    sample = {
        None: "unknown",
        True: "the generated SAMPLE (not reported data)",
        False: "reported by the cluster organisations",
    }[facts.sample]
    return [
        f"  quality findings  : {findings}",
        f"  programme data    : {sample}",
        f"  price base year   : {facts.price_base_year or 'unknown'}",
    ]
