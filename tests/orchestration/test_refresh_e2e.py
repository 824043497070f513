"""`python -m pipelines.cli refresh` (what `make run` calls) on a fresh data dir, offline."""

from __future__ import annotations

import duckdb

from pipelines.catalog import published_marts
from pipelines.constants import generations


def test_refresh_succeeds_and_says_where_outputs_are(refreshed):
    root, result = refreshed
    assert f"working warehouse : {root / 'data' / 'warehouse.duckdb'}" in result.stdout
    assert f"published release : {root / 'data' / 'published'}" in result.stdout
    assert "DST source        : snapshot (synthetic): FORSK01, FORSK02, GF13, NAN1" in result.stdout


def test_refresh_log_is_concise_and_the_full_log_is_in_a_file(refreshed):
    root, result = refreshed
    console = result.stdout + result.stderr
    assert " - DEBUG - " not in console and "START test" not in console  # no events, no dbt
    steps = [line for line in result.stderr.splitlines() if " ok      " in line]
    assert len(steps) >= 20 and any("published__release" in line for line in steps)
    assert len(console.splitlines()) < 2 * len(steps) + 40
    [log_line] = [line for line in result.stdout.splitlines() if "full log          :" in line]
    full = (root / "data" / "logs" / "runs").glob("*.log")
    [log_file] = list(full)
    assert str(log_file) in log_line
    text = log_file.read_text(encoding="utf-8")
    assert "STEP_SUCCESS" in text and "Done. PASS=" in text  # every event and dbt's output


def test_refresh_summary_has_gate_findings_sample_and_base_year(refreshed):
    root, result = refreshed
    out = result.stdout
    n = len(published_marts())
    assert f"quality gate      : {n} of {n} marts passed" in out
    assert "      cluster_programme_totals   passed (" in out
    release = root / "data" / "published" / "parquet" / "quality_findings.parquet"
    with duckdb.connect() as con:
        counts = con.execute(  # breaches (not_checked: a rule not in force in a generation)
            f"select rule, count(*) from '{release}' where severity <> 'not_checked' "
            "group by rule order by rule"
        ).fetchall()
    assert len(counts) == 3  # the samples break every rule
    findings = ", ".join(f"{rule} {count}" for rule, count in counts)
    assert f"quality findings  : {findings}\n" in out
    sample = "; ".join(f"{g.id} the generated SAMPLE (not reported data)" for g in generations())
    assert f"programme data    : {sample}\n" in out
    assert "price base year   : 2024" in out


def test_refresh_builds_every_smv_mart(refreshed):
    root, _ = refreshed
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        counts = {
            t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in (
                "smv_rd_share",
                "smv_rd_share_summary",
                "smv_business_share",
                "rd_purchased_by_supplier",
            )
        }
        synthetic = con.execute(
            "select bool_and(is_synthetic) from marts.smv_rd_share_summary"
        ).fetchone()[0]
    assert counts == {
        "smv_rd_share": 18 * 4,
        "smv_rd_share_summary": 18,
        "smv_business_share": 6 * 5,
        "rd_purchased_by_supplier": 7 * 5 * 7,
    }
    assert synthetic is True


def test_refresh_loads_the_programme_sample_and_builds_its_marts(refreshed):
    root, _ = refreshed
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        clusters = dict(
            (r[0], r[1:])
            for r in con.execute(
                "select programme, count(*), sum(grant_dkk) from marts.cluster_outcomes "
                "where year = (select min(year) from marts.cluster_outcomes c "
                "              where c.programme = cluster_outcomes.programme) group by all"
            ).fetchall()
        )
        flagged = con.execute("select bool_and(is_sample) from marts.cluster_outcomes").fetchone()[
            0
        ]
        total = dict(
            con.execute(
                "select programme, grant_dkk from marts.cluster_programme_summary "
                "where period = 'total'"
            ).fetchall()
        )
        findings = con.execute(
            "select count(*), bool_and(is_sample) from marts.quality_findings"
        ).fetchone()
    assert clusters == {g.id: (g.clusters, g.allocation_dkk) for g in generations()}
    assert flagged is True and total == {g.id: g.allocation_dkk for g in generations()}
    assert findings[0] > 0 and findings[1] is True
    manifest = (root / "data" / "published" / "manifest.json").read_text(encoding="utf-8")
    assert '"sample": true' in manifest
