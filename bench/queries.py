"""Benchmark 5: typical analyst queries on the published DuckDB file, opened read-only.

Each query runs ``RUNS`` times on one read-only connection, results fetched into Python (what a
notebook or DBeaver does); the figure is the median per query and over all runs of all queries.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.common import Figure

RUNS = 20
GOAL_MS = 50.0

QUERIES = {
    "smv_share_since_2015": """
        select year, smv_share_pct, smv_rd_fixed_mio_dkk, large_rd_fixed_mio_dkk, is_complete
        from smv_rd_share_summary where year >= 2015 order by year""",
    "rd_one_size_group": """
        select year, size_group, rd_fixed_mio_dkk, share_of_total_pct, rd_fixed_yoy_change_pct
        from smv_rd_share where size_group = '10_49' and year between 2017 and 2024
        order by year""",
    "smv_firms_turnover_share": """
        select year, sum(firms_share_pct), sum(turnover_share_pct)
        from smv_business_share where is_smv group by year order by year""",
    "size_classes_latest_year": """
        select size_class, size_class_label_da, firms, full_time_employees, turnover_mio_dkk
        from smv_business_share
        where year = (select max(year) from smv_business_share) order by size_class""",
    "outcomes_per_cluster": """
        select cluster_id, any_value(cluster_name), sum(smv_funded), sum(smv_funding_dkk),
               avg(smv_funding_rate_pct), sum(private_financing_attracted_dkk)
        from cluster_outcomes group by cluster_id order by cluster_id""",
    "outcomes_per_year": """
        select year, sum(projects_started), sum(cluster_funding_dkk), sum(overhead_dkk),
               sum(projects_with_knowledge_institution)
        from cluster_outcomes group by year order by year""",
    "outcomes_filtered": """
        select cluster_id, year, smv_funding_rate_pct, overhead_share_pct
        from cluster_outcomes where year = 2026 and smv_funding_rate_pct > 50
        order by smv_funding_rate_pct desc""",
    "purchased_rd_knowledge_inst": """
        select year, size_group, knowledge_institution_type, sum(purchased_rd_mio_dkk)
        from rd_purchased_by_supplier where is_knowledge_institution
        group by all order by all""",
    "programme_vs_dst_join": """
        select p.year, p.smv_funding_dkk, p.cluster_funded_share_of_smv_rd_pct,
               s.smv_rd_current_mio_dkk, s.smv_share_pct
        from cluster_programme_summary p join smv_rd_share_summary s using (year)
        order by p.year""",
    "findings_per_rule": """
        select rule, severity, count(*) as n from quality_findings group by all order by n desc""",
}


def bench_queries(published_db: Path | None) -> list[Figure]:
    bench = "5 analyst queries (published DuckDB, read-only)"
    if published_db is None or not published_db.exists():
        error = f"no published database at {published_db} (the full refresh did not publish)"
        return [
            Figure(
                "queries.overall_median_ms",
                bench,
                "median, all queries",
                None,
                "ms",
                "<",
                GOAL_MS,
                error=error,
            )
        ]
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(str(published_db), read_only=True)
    open_ms = (time.perf_counter() - started) * 1000
    figures = [Figure("queries.open_ms", bench, "open read-only connection", open_ms, "ms")]
    every: list[float] = []
    try:
        for name, sql in QUERIES.items():
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            every += times
            figures.append(
                Figure(
                    f"queries.{name}.median_ms",
                    bench,
                    f"  {name}",
                    statistics.median(times),
                    "ms",
                    "<",
                    GOAL_MS,
                    note=f"max {max(times):.1f} ms",
                )
            )
    finally:
        con.close()
    figures.insert(
        1,
        Figure(
            "queries.overall_median_ms",
            bench,
            f"median, {len(QUERIES)} queries x {RUNS}",
            statistics.median(every),
            "ms",
            "<",
            GOAL_MS,
            note=f"p95 {sorted(every)[int(len(every) * 0.95)]:.1f} ms",
        ),
    )
    return figures
