"""The release answers the evaluator's questions, checked against independent computations.

Each test reads the published release only (what an analyst has) and recomputes the answer from
the raw inputs with pandas, sharing nothing with the pipeline's reader or its SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.constants import programme
from pipelines.programme.discover import bundled_sample_dir
from pipelines.settings import REPO_ROOT

CURRENT = programme().id  # the answers are checked for the current generation
SAMPLE = bundled_sample_dir(CURRENT)
FIRST_YEAR, LAST_YEAR = programme().first_year, programme().last_year


def published(refreshed) -> Path:
    return refreshed[0] / "data" / "published"


def read_table(refreshed, table: str) -> pd.DataFrame:
    """A published table; of a table keyed by generation, the current generation's rows."""
    frame = pd.read_parquet(published(refreshed) / "parquet" / f"{table}.parquet")
    if "programme" in frame.columns:
        frame = frame[frame["programme"] == CURRENT].reset_index(drop=True)
    return frame


def raw_sme_participations() -> pd.DataFrame:
    """SME participations with funding in projects starting in the period, from the sample."""
    participants = pd.read_csv(
        SAMPLE / "participants.csv", sep=",", dtype=str, encoding="utf-8-sig"
    )
    projects = pd.read_csv(SAMPLE / "projects.csv", sep=";", dtype=str, encoding="utf-8-sig")
    projects["start_year"] = pd.to_datetime(projects["start_date"]).dt.year
    merged = participants.merge(
        projects[["project_id", "cluster_id", "start_year"]],
        on="project_id",
        how="inner",
        validate="many_to_one",
    )
    funding = pd.to_numeric(merged["funding_received_dkk"].str.replace(",", ".", regex=False))
    return merged[
        (merged["participant_type"] == "smv")
        & (funding > 0)
        & merged["start_year"].between(FIRST_YEAR, LAST_YEAR)
    ]


def test_distinct_smes_per_cluster_match_raw_participants(refreshed):
    smes = raw_sme_participations()
    expected = smes.groupby("cluster_id")["cvr"].nunique().sort_index()
    totals = read_table(refreshed, "cluster_programme_totals").set_index("cluster_id")
    assert len(expected) == 11
    assert totals["smv_funded"].sort_index().to_dict() == expected.to_dict()
    assert totals["smv_participations"].sort_index().to_dict() == (
        smes.groupby("cluster_id").size().sort_index().to_dict()
    )
    # the trap the table avoids: summing cluster x year rows counts an SME once per year
    per_year = read_table(refreshed, "cluster_outcomes").groupby("cluster_id")["smv_funded"].sum()
    assert (per_year >= expected).all() and (per_year > expected).any()
    programme = read_table(refreshed, "cluster_programme_summary").set_index("period")
    assert programme.loc["total", "smv_funded"] == smes["cvr"].nunique()


def test_additivity_is_stated_in_the_column_comments(refreshed):
    with duckdb.connect(str(published(refreshed) / "klynge.duckdb"), read_only=True) as con:
        comments = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where table_name = 'cluster_programme_totals'"
            ).fetchall()
        )
    assert comments["smv_funded"].startswith("Not additive.")
    assert "double-counts" in comments["smv_funded"]
    assert comments["smv_funding_dkk"].startswith("Additive.")
    measures = [
        c
        for c in comments
        if c
        not in ("programme", "cluster_id", "cluster_name", "first_year", "last_year", "is_sample")
    ]
    unstated = [c for c in measures if not comments[c].startswith(("Additive.", "Not additive."))]
    assert unstated == []


def test_breaches_per_cluster_match_quality_findings(refreshed):
    findings = read_table(refreshed, "quality_findings")
    rate = findings[findings["rule"] == "smv_funding_rate_above_max"]
    totals = read_table(refreshed, "cluster_programme_totals").set_index("cluster_id")
    counts = rate.groupby("cluster_id").size().reindex(totals.index, fill_value=0)
    assert totals["smv_funding_rate_breaches"].to_dict() == counts.to_dict()
    assert counts.sum() > 0
    worst = rate.groupby("cluster_id")["observed_value"].max()
    assert totals.loc[worst.index, "smv_funding_rate_breach_max_pct"].to_numpy() == (
        pytest.approx(worst.to_numpy())
    )
    outcomes = read_table(refreshed, "cluster_outcomes")
    assert outcomes["smv_funding_rate_breaches"].sum() == len(rate)


def test_fixed_prices_recomputed_from_the_published_price_index_alone(refreshed):
    index = read_table(refreshed, "price_index").set_index("year")
    [base_year] = index["price_base_year"].unique()
    assert index.loc[base_year, "is_base_year"] and index["is_base_year"].sum() == 1
    assert index.loc[base_year, "price_index_base_100"] == pytest.approx(100)
    assert index["source_table"].unique().tolist() == ["NAN1"]
    assert index["dst_updated"].notna().all()
    rd = read_table(refreshed, "smv_rd_share")
    assert (rd["price_base_year"] == base_year).all()
    deflator = rd["year"].map(index["deflator"])
    recomputed = rd["rd_current_mio_dkk"] * index.loc[base_year, "deflator"] / deflator
    known = rd["rd_current_mio_dkk"].notna()
    assert known.sum() > 50
    assert rd.loc[known, "rd_fixed_mio_dkk"].to_numpy() == pytest.approx(
        recomputed[known].to_numpy(), rel=1e-12
    )


def test_the_sample_breaks_every_quality_rule(refreshed):
    """Each rule of quality_findings finds something in the sample, and exactly what a
    recomputation from the sample files finds (the thresholds are the constants file's)."""
    sql = (
        REPO_ROOT / "dbt_project" / "models" / "marts" / "programme" / "quality_findings.sql"
    ).read_text(encoding="utf-8")
    rules = set(re.findall(r"'(\w+)' as rule", sql))
    findings = read_table(refreshed, "quality_findings")
    assert len(rules) >= 3 and set(findings["rule"]) == rules
    p = programme()
    limits = findings.groupby("rule")["threshold"].unique()
    assert list(limits["smv_funding_rate_above_max"]) == [p.smv_funding_cap_pct]
    assert list(limits["overhead_share_above_norm"]) == [p.overhead_norm_pct]

    projects = pd.read_csv(SAMPLE / "projects.csv", sep=";", dtype=str, encoding="utf-8-sig")
    amount = {
        c: pd.to_numeric(projects[c].str.replace(",", ".", regex=False))
        for c in ("overhead_dkk", "cluster_funding_dkk")
    }
    start = pd.to_datetime(projects["start_date"]).dt.year
    over = 100 * amount["overhead_dkk"] / amount["cluster_funding_dkk"] > p.overhead_norm_pct
    expected = set(projects.loc[over & start.between(FIRST_YEAR, LAST_YEAR), "project_id"])
    found = findings[findings["rule"] == "overhead_share_above_norm"]
    assert set(found["project_id"]) == expected and len(found) == len(expected)

    finances = pd.read_csv(SAMPLE / "cluster_finances.csv", sep=";", dtype=str, encoding="cp1252")
    drawn = (
        pd.to_numeric(
            finances["public_funding_drawn_dkk"]
            .str.replace(".", "", regex=False)
            .str.replace(",", ".", regex=False)
        )
        .groupby(finances["cluster_id"])
        .sum()
    )
    grants = (
        read_table(refreshed, "cluster_programme_totals")
        .set_index("cluster_id")["grant_dkk"]
        .astype(float)
    )
    overdrawn = set(drawn.index[drawn > grants.reindex(drawn.index)])
    assert (
        set(findings.loc[findings["rule"] == "public_funding_above_grant", "cluster_id"])
        == overdrawn
    )
