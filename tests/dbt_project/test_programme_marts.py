"""Programme marts on a small hand-made dataset, against numbers worked out by hand.

Generation 2025-2028: two clusters (grants 400 + 262 = 662 mio. kr.), three projects, eight
participations. SME "A" takes part in projects of both clusters, so programme-level SME counts
must count it once. Generation 2021-2024 reuses the ids K01, P1 and SME A with other numbers,
no overhead reported and neither the cap nor the overhead norm in force: its rows must never mix
with 2025-2028's, and its rules are not checked (but say so).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.constants import generation, programme
from tests.warehouse_helpers import load_snapshot, query, run_dbt

pytestmark = pytest.mark.slow  # a dbt build of the programme marts

OLD = "2021-2024"  # the generation before the current one, ids reused
LINEAGE = (
    "'hand.csv' as _source_file, 'x' as _source_sha256, 2 as _source_row, "
    "now()::timestamp as _loaded_at, false as _is_sample, 1 as _contract_version"
)

RAW = {
    "programme_clusters": """
        select * from (values
          ('K01', 'Testklynge Et', 'energi', '10000009', 'Midtjylland', 400000000.00),
          ('K02', 'Testklynge To', 'sundhed', '10000009', 'Hovedstaden', 262000000.00))
        as t (cluster_id, name, business_area, cvr, region, grant_dkk)""",
    "programme_projects": """
        select project_id, cluster_id, title, start_date::date as start_date,
               end_date::date as end_date, budget_dkk::decimal(18,2) as budget_dkk,
               cluster_funding_dkk::decimal(18,2) as cluster_funding_dkk,
               overhead_dkk::decimal(18,2) as overhead_dkk,
               private_cofinancing_dkk::decimal(18,2) as private_cofinancing_dkk, project_type,
               null::varchar as grant_type
        from (values
          ('P1', 'K01', 'Et', '2025-03-01', '2026-06-30', 1000000, 600000, 60000, 100000, 'rd'),
          ('P2', 'K01', 'To', '2026-01-01', '2026-12-31', 400000, 200000, 50000, 0, 'rd'),
          ('P3', 'K02', 'Tre', '2025-05-01', '2027-04-30', 800000, 300000, 30000, 0, 'rd'))
        as t (project_id, cluster_id, title, start_date, end_date, budget_dkk,
              cluster_funding_dkk, overhead_dkk, private_cofinancing_dkk, project_type)""",
    "programme_participants": """
        select project_id, cvr, participant_name, participant_type, 1.0::decimal(18,2) as fte,
               funding_received_dkk::decimal(18,2) as funding_received_dkk,
               own_contribution_dkk::decimal(18,2) as own_contribution_dkk, new_to_rd
        from (values
          ('P1', '11111111', 'A', 'smv', 300000, 150000, true),
          ('P1', '22222222', 'B', 'smv', 200000, 50000, false),
          ('P1', '33333333', 'U', 'university', 100000, 0, false),
          ('P2', '11111111', 'A', 'smv', 100000, 100000, false),
          ('P2', '44444444', 'G', 'gts', 100000, 0, false),
          ('P3', '11111111', 'A', 'smv', 150000, 150000, true),
          ('P3', '55555555', 'L', 'large_enterprise', 0, 200000, false),
          ('P3', '66666666', 'E', 'erhvervsakademi', 50000, 0, false))
        as t (project_id, cvr, participant_name, participant_type, funding_received_dkk,
              own_contribution_dkk, new_to_rd)""",
    "programme_cluster_finances": """
        select cluster_id, year::integer as year,
               public_funding_drawn_dkk::decimal(18,2) as public_funding_drawn_dkk,
               private_financing_attracted_dkk::decimal(18,2)
                   as private_financing_attracted_dkk, null::varchar as note
        from (values ('K01', 2025, 10000000, 2000000), ('K01', 2026, 5000000, 5000000),
                     ('K02', 2025, 300000000, 0))
        as t (cluster_id, year, public_funding_drawn_dkk, private_financing_attracted_dkk)""",
}

# 2021-2024: K01 with the same ids; A funded at 90 % (no cap then), no overhead reported.
OLD_RAW = {
    "programme_clusters": """
        select 'K01' as cluster_id, 'Gammel Et' as name, 'energi' as business_area,
               '10000009' as cvr, 'Nordjylland' as region,
               1000000.00::decimal(18,2) as grant_dkk""",
    "programme_projects": """
        select 'P1' as project_id, 'K01' as cluster_id, 'Gammel' as title,
               date '2021-03-01' as start_date, date '2022-06-30' as end_date,
               500000::decimal(18,2) as budget_dkk, 400000::decimal(18,2) as cluster_funding_dkk,
               null::decimal(18,2) as overhead_dkk,
               50000::decimal(18,2) as private_cofinancing_dkk, 'rd' as project_type,
               null::varchar as grant_type""",
    "programme_participants": """
        select 'P1' as project_id, '11111111' as cvr, 'A' as participant_name,
               'smv' as participant_type, 1.0::decimal(18,2) as fte,
               360000::decimal(18,2) as funding_received_dkk,
               40000::decimal(18,2) as own_contribution_dkk, true as new_to_rd""",
    "programme_cluster_finances": """
        select 'K01' as cluster_id, 2021 as year,
               900000::decimal(18,2) as public_funding_drawn_dkk,
               0::decimal(18,2) as private_financing_attracted_dkk, null::varchar as note""",
}
CURRENT = f"programme = '{programme().id}'"


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("programme") / "data"
    data_dir.mkdir()
    warehouse = data_dir / "warehouse.duckdb"
    load_snapshot(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table, sql in RAW.items():
            con.execute(
                f"create table raw.{table} as "
                f"select *, '{programme().id}' as programme, {LINEAGE} from ({sql}) "
                f"union all by name "
                f"select *, '{OLD}' as programme, {LINEAGE} from ({OLD_RAW[table]})"
            )
    run_dbt(data_dir, "build")
    return warehouse


def row(warehouse, table, where, programme_id: str | None = None):
    programme_id = programme_id or programme().id
    df = query(
        warehouse, f"select * from marts.{table} where programme = '{programme_id}' and {where}"
    )
    assert len(df) == 1, df
    return df.iloc[0]


def test_cluster_year_measures(marts):
    k01_25 = row(marts, "cluster_outcomes", "cluster_id = 'K01' and year = 2025")
    assert (k01_25.projects_started, k01_25.projects_active, k01_25.smv_funded) == (1, 1, 2)
    assert k01_25.smv_funding_dkk == 500_000 and k01_25.smv_own_contribution_dkk == 200_000
    assert k01_25.smv_funding_rate_pct == pytest.approx(100 * 500 / 700)
    assert k01_25.avg_funding_per_smv_dkk == pytest.approx(250_000)
    assert k01_25.overhead_share_pct == pytest.approx(10.0)
    assert (
        k01_25.projects_with_knowledge_institution,
        k01_25.projects_with_university,
        k01_25.projects_with_gts,
    ) == (1, 1, 0)
    assert k01_25.smv_new_to_rd == 1
    assert k01_25.private_financing_share_pct == pytest.approx(100 * 2 / 12)
    assert k01_25.grant_dkk == 400_000_000

    k01_26 = row(marts, "cluster_outcomes", "cluster_id = 'K01' and year = 2026")
    assert (k01_26.projects_started, k01_26.projects_active, k01_26.smv_funded) == (1, 2, 1)
    assert k01_26.smv_funding_rate_pct == pytest.approx(50.0)
    assert k01_26.overhead_share_pct == pytest.approx(25.0)
    assert (k01_26.projects_with_gts, k01_26.smv_new_to_rd) == (1, 0)
    assert k01_26.private_financing_share_pct == pytest.approx(50.0)

    k01_27 = row(marts, "cluster_outcomes", "cluster_id = 'K01' and year = 2027")
    assert (k01_27.projects_started, k01_27.projects_active, k01_27.smv_funded) == (0, 0, 0)
    assert pd.isna(k01_27.smv_funding_rate_pct)  # nothing funded: no rate, not 0

    k02_27 = row(marts, "cluster_outcomes", "cluster_id = 'K02' and year = 2027")
    assert (k02_27.projects_started, k02_27.projects_active) == (0, 1)
    assert len(query(marts, f"select * from marts.cluster_outcomes where {CURRENT}")) == 2 * 4


def test_programme_summary_counts_smes_once(marts):
    y25 = row(marts, "cluster_programme_summary", "period = '2025'")
    assert (y25.projects_started, y25.projects_active, y25.smv_funded) == (2, 2, 2)
    assert y25.smv_funding_dkk == 650_000 and y25.smv_own_contribution_dkk == 350_000
    assert y25.smv_funding_rate_pct == pytest.approx(65.0)
    assert y25.avg_funding_per_smv_dkk == pytest.approx(325_000)
    assert (y25.projects_with_university, y25.projects_with_erhvervsakademi) == (1, 1)
    assert y25.smv_new_to_rd == 1
    assert y25.public_funding_drawn_dkk == 310_000_000
    assert y25.cluster_funded_smv_rd_mio_dkk == pytest.approx(1.0)
    assert pd.isna(y25.dst_smv_rd_current_mio_dkk)  # DST has no 2025 figure yet

    total = row(marts, "cluster_programme_summary", "period = 'total'")
    assert pd.isna(total.year)
    assert (total.projects_started, total.projects_active, total.smv_funded) == (3, 3, 2)
    assert total.smv_funding_dkk == 750_000
    assert total.smv_funding_rate_pct == pytest.approx(62.5)
    assert total.avg_funding_per_smv_dkk == pytest.approx(375_000)
    assert total.grant_dkk == 400_000_000 + 262_000_000


def test_quality_findings_keep_breaches_visible(marts):
    with duckdb.connect(str(marts), read_only=True) as con:
        findings = con.execute(
            "select rule, cluster_id, project_id, cvr, observed_value, "
            f"threshold from marts.quality_findings where {CURRENT} order by rule"
        ).fetchall()
    p = programme()  # dbt's thresholds are the constants file's (passed as --vars)
    assert findings == [
        ("overhead_share_above_norm", "K01", "P2", None, pytest.approx(25.0), p.overhead_norm_pct),
        ("public_funding_above_grant", "K02", None, None, 300_000_000.0, 262_000_000.0),
        (
            "smv_funding_rate_above_max",
            "K01",
            "P1",
            "22222222",
            pytest.approx(80.0),
            p.smv_funding_cap_pct,
        ),
    ]


def test_cluster_totals_count_smes_once_over_the_programme(marts):
    k01 = row(marts, "cluster_programme_totals", "cluster_id = 'K01'")
    # A takes part in 2025 and 2026: cluster_outcomes has 2 + 1 SMEs, the cluster has 2
    by_year = query(
        marts,
        "select sum(smv_funded) as n from marts.cluster_outcomes "
        f"where cluster_id = 'K01' and {CURRENT}",
    ).n.iloc[0]
    assert (by_year, k01.smv_funded, k01.smv_participations) == (3, 2, 3)
    assert (k01.projects_started, k01.smv_new_to_rd) == (2, 1)
    assert k01.smv_funding_dkk == 600_000 and k01.smv_own_contribution_dkk == 300_000
    assert k01.smv_funding_rate_pct == pytest.approx(100 * 600 / 900)
    # participation rates 300/450, 200/250, 100/200
    assert k01.smv_funding_rate_median_pct == pytest.approx(100 * 300 / 450)
    assert k01.smv_funding_rate_max_pct == pytest.approx(80.0)
    assert (k01.smv_funding_rate_breaches, k01.smv_funding_rate_breach_max_pct) == (
        1,
        pytest.approx(80.0),
    )
    assert (
        k01.knowledge_institutions,
        k01.universities,
        k01.gts_institutes,
        k01.erhvervsakademier,
    ) == (2, 1, 1, 0)
    assert k01.private_cofinancing_dkk == 100_000
    assert k01.private_cofinancing_share_pct == pytest.approx(100 * 100 / 1400)
    assert k01.grant_drawn_pct == pytest.approx(100 * 15 / 400)
    assert (
        k01.findings_smv_funding_rate_above_max,
        k01.findings_overhead_share_above_norm,
        k01.findings_public_funding_above_grant,
        k01.findings_total,
    ) == (1, 1, 0, 2)

    k02 = row(marts, "cluster_programme_totals", "cluster_id = 'K02'")
    assert (k02.smv_funded, k02.smv_funding_rate_breaches) == (1, 0)
    assert pd.isna(k02.smv_funding_rate_breach_max_pct)
    assert (k02.erhvervsakademier, k02.findings_public_funding_above_grant) == (1, 1)
    assert k02.grant_drawn_pct == pytest.approx(100 * 300 / 262)
    # A is in both clusters: distinct SMEs per cluster add up to more than the programme's
    assert k01.smv_funded + k02.smv_funded == 3
    assert row(marts, "cluster_programme_summary", "period = 'total'").smv_funded == 2


def test_breaches_per_cluster_year(marts):
    k01_25 = row(marts, "cluster_outcomes", "cluster_id = 'K01' and year = 2025")
    assert (k01_25.smv_funding_rate_breaches, k01_25.smv_funding_rate_breach_max_pct) == (
        1,
        pytest.approx(80.0),
    )
    k01_26 = row(marts, "cluster_outcomes", "cluster_id = 'K01' and year = 2026")
    assert k01_26.smv_funding_rate_breaches == 0
    assert pd.isna(k01_26.smv_funding_rate_breach_max_pct)
    assert k01_26.smv_funding_rate_max_pct == pytest.approx(50.0)


def test_a_loaded_row_that_the_marts_would_drop_fails_the_build(marts, tmp_path):
    """Reconciliation: a project outside the programme period (which validation rejects, so
    it is planted straight into raw) is not counted in the marts, and the build says so."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    warehouse = data_dir / "warehouse.duckdb"
    warehouse.write_bytes(marts.read_bytes())
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.programme_projects select * replace "
            "('P9' as project_id, date '1900-01-01' as start_date) "
            f"from raw.programme_projects where project_id = 'P1' and {CURRENT}"
        )
    result = run_dbt(
        data_dir, "build", "--select", "+assert_programme_rows_reach_the_marts", check=False
    )
    assert result.returncode != 0
    assert "assert_programme_rows_reach_the_marts" in result.stdout
    assert "Got 2 results" in result.stdout  # projects and cluster funding disagree


def test_an_older_generation_with_the_same_ids_never_mixes_in(marts):
    """K01, P1 and SME A exist in both generations: each generation counts its own rows, in the
    years of its own period, and the current generation's numbers above are unchanged by it."""
    old = generation(OLD)
    years = query(
        marts,
        f"select year from marts.cluster_outcomes where programme = '{OLD}' order by year",
    ).year.tolist()
    assert years == list(old.years)
    k01 = row(marts, "cluster_programme_totals", "cluster_id = 'K01'", OLD)
    assert (k01.first_year, k01.last_year) == (old.first_year, old.last_year)
    assert (k01.projects_started, k01.smv_funded, k01.smv_funding_dkk) == (1, 1, 360_000)
    assert k01.smv_funding_rate_max_pct == pytest.approx(90.0)
    assert k01.grant_dkk == 1_000_000 and k01.public_funding_drawn_dkk == 900_000
    total = row(marts, "cluster_programme_summary", "period = 'total'", OLD)
    assert (total.projects_started, total.smv_funded, total.smv_funding_dkk) == (1, 1, 360_000)
    # the current generation's K01 still has its own two projects and 600,000 kr. to SMEs
    assert row(marts, "cluster_programme_totals", "cluster_id = 'K01'").smv_funding_dkk == 600_000
    register = query(
        marts,
        "select programme, cluster_id, treatment_year from marts.participant_register "
        "where cvr = '11111111' order by programme, cluster_id",
    )
    assert register.values.tolist() == [
        [OLD, "K01", 2021],
        [programme().id, "K01", 2025],
        [programme().id, "K02", 2025],
    ]


def test_rules_not_in_force_are_not_checked_and_say_so(marts):
    """2021-2024 had no cap and no overhead norm: A's 90 % is no breach, there are no breach
    counts (NULL, not 0), overhead is NULL (never reported), and quality_findings has one
    not_checked row for each of the two rules."""
    assert (generation(OLD).smv_funding_cap_pct, generation(OLD).overhead_norm_pct) == (None, None)
    findings = query(
        marts,
        "select rule, severity, cluster_id, threshold from marts.quality_findings "
        f"where programme = '{OLD}' order by rule",
    )
    assert findings.values.tolist()[0][:3] == ["overhead_share_above_norm", "not_checked", None]
    assert findings.values.tolist()[1][:3] == ["smv_funding_rate_above_max", "not_checked", None]
    assert findings.threshold.isna().all() and len(findings) == 2
    k01 = row(marts, "cluster_programme_totals", "cluster_id = 'K01'", OLD)
    assert pd.isna(k01.smv_funding_rate_breaches) and pd.isna(k01.overhead_dkk)
    assert pd.isna(k01.overhead_share_pct)
    assert (k01.findings_smv_funding_rate_above_max, k01.findings_total) == (0, 0)
    year = row(marts, "cluster_outcomes", "cluster_id = 'K01' and year = 2021", OLD)
    assert pd.isna(year.smv_funding_rate_breaches) and pd.isna(year.overhead_dkk)


def test_grant_types_follow_the_declaration_not_the_data(marts):
    """Neither generation's projects carry a grant type here. 2025-2028 reports the field (its
    contract has it): every project is in several, and each declared grant type counts 0
    projects and 0 kr. (known, not NULL). 2021-2024 declares it absent: not_reported, with its
    declared grant types NULL."""
    current, old = programme(), generation(OLD)
    assert "grant_type" not in current.absent_fields.get("projects", ())
    assert "grant_type" in old.absent_fields.get("projects", ())
    mart = query(
        marts,
        "select programme, grant_type, projects, cluster_funding_dkk "
        "from marts.programme_grant_types",
    )
    now = mart[mart["programme"] == current.id].set_index("grant_type")
    assert list(now.index) == [t.id for t in current.grant_types] + ["several"]
    assert (now.loc["several", "projects"], now.loc["several", "cluster_funding_dkk"]) == (
        3,
        1_100_000,
    )
    declared = now.drop(index="several")
    assert (declared["projects"] == 0).all() and (declared["cluster_funding_dkk"] == 0).all()
    before = mart[mart["programme"] == OLD].set_index("grant_type")
    assert list(before.index) == [t.id for t in old.grant_types] + ["not_reported"]
    assert before.loc["not_reported", "projects"] == 1
    assert before.drop(index="not_reported")["projects"].isna().all()


def test_a_generation_whose_projects_stop_early_is_not_complete(marts):
    """2025-2028's projects start and its finances reach 2026, 2021-2024's 2021: neither reaches
    its period's last year, so both are not complete and the totals to date do not compare."""
    gens = query(
        marts,
        "select distinct programme, last_year_observed, is_complete "
        "from marts.programme_generations order by programme",
    )
    assert gens.values.tolist() == [[OLD, 2021, False], [programme().id, 2026, False]]
    smv = query(
        marts,
        "select distinct comparable, comparable_reason_en from marts.programme_generations "
        "where measure = 'smv_funded'",
    )
    assert smv.values.tolist() == [
        [
            False,
            f"{OLD} is not complete: data up to 2021 of {OLD}; {programme().id} is not complete:"
            f" data up to 2026 of {programme().id}; totals to date cannot be compared with a"
            " completed generation.",
        ]
    ]
