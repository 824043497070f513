"""``programme_generations`` recomputed from the sample files alone, with pandas.

The bundled samples of every generation (``data/inbound/programme/<generation>/sample/``) are
loaded as the refresh loads them and dbt builds the marts. Each measure of each generation is
worked out here again from the files themselves, read with pandas as a spreadsheet user would
(no ingest, no dbt model, no SQL of the mart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.constants import generations, programme
from pipelines.settings import REPO_ROOT
from tests.warehouse_helpers import build_from_programme_files, copy_samples, query

pytestmark = pytest.mark.slow  # loads the samples and builds the programme marts

# totals to date: counts that grow while a generation runs
TO_DATE = {"smv_funded", "other_firms_funded", "smv_new_to_rd", "firms_in_several_clusters"}
INSTITUTIONS = {
    "university": ["university"],
    "gts": ["gts"],
    "erhvervsakademi": ["erhvervsakademi"],
    "professionshoejskole": ["professionshoejskole"],
    "knowledge_institution": ["university", "gts", "erhvervsakademi", "professionshoejskole"],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("generations") / "data"
    copy_samples(data_dir)
    return build_from_programme_files(data_dir)


def _amount(column: pd.Series) -> pd.Series:
    """Danish amounts as the files write them (``14.250.000,00``, ``2500000,00``)."""
    text = column.astype(str).str.strip()
    danish = text.str.contains(",")
    text = text.where(~danish, text.str.replace(".", "", regex=False).str.replace(",", "."))
    return pd.to_numeric(text)


def _sample_files(generation: str) -> dict[str, pd.DataFrame]:
    folder = REPO_ROOT / "data" / "inbound" / "programme" / generation / "sample"
    clusters = pd.read_excel(folder / "clusters.xlsx", header=2, dtype={"cvr": str})
    projects = pd.read_csv(folder / "projects.csv", sep=";", dtype=str, encoding="utf-8-sig")
    for column in ("budget_dkk", "cluster_funding_dkk", "overhead_dkk", "private_cofinancing_dkk"):
        projects[column] = _amount(projects[column]) if column in projects else np.nan
    participants = pd.read_csv(folder / "participants.csv", dtype=str, encoding="utf-8-sig")
    for column in ("funding_received_dkk", "own_contribution_dkk"):
        participants[column] = pd.to_numeric(participants[column])
    participants["new_to_rd"] = participants["new_to_rd"].str.lower().eq("ja")
    finances = pd.read_csv(folder / "cluster_finances.csv", sep=";", dtype=str, encoding="cp1252")
    finances["year"] = finances["year"].astype(int)
    frames = {
        "clusters": clusters,
        "projects": projects,
        "participants": participants,
        "cluster_finances": finances,
    }
    return {name: frame.assign(programme=generation) for name, frame in frames.items()}


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    """Every generation's sample files, one frame per entity with the generation's id."""
    per_generation = [_sample_files(g.id) for g in generations()]
    return {
        name: pd.concat([files[name] for files in per_generation], ignore_index=True)
        for name in per_generation[0]
    }


def _expected(raw: dict[str, pd.DataFrame]) -> dict[tuple[str, str], float | None]:
    """Every (generation, measure) value, from the raw rows."""
    out: dict[tuple[str, str], float | None] = {}
    caps = [g.smv_funding_cap_pct for g in generations() if g.smv_funding_cap_pct is not None]
    for g in generations():
        clusters = raw["clusters"][raw["clusters"]["programme"] == g.id]
        projects = raw["projects"][raw["projects"]["programme"] == g.id]
        start = pd.to_datetime(projects["start_date"]).dt.year
        projects = projects[start.between(g.first_year, g.last_year)]
        people = raw["participants"][raw["participants"]["programme"] == g.id]
        # ids are unique only within a generation: both frames are of this generation already
        people = people.merge(projects[["project_id", "cluster_id"]], on="project_id")
        for column in ("funding_received_dkk", "own_contribution_dkk"):
            people[column] = people[column].astype(float)
        smv = people[people["participant_type"] == "smv"]
        per_smv = smv.groupby("cvr").agg(
            funding=("funding_received_dkk", "sum"), new=("new_to_rd", "any")
        )
        funded = per_smv[per_smv["funding"] > 0]
        large = people[people["participant_type"] == "large_enterprise"]
        large_funded = large.groupby("cvr")["funding_received_dkk"].sum()
        paid = smv[(smv["funding_received_dkk"] + smv["own_contribution_dkk"]) > 0]
        rates = (
            100
            * paid["funding_received_dkk"]
            / (paid["funding_received_dkk"] + paid["own_contribution_dkk"])
        )
        firms = people[people["participant_type"].isin(["smv", "large_enterprise"])]
        clusters_per_firm = firms.groupby("cvr")["cluster_id"].nunique()
        v = {
            "clusters": len(clusters),
            "smv_funded": len(funded),
            "other_firms_funded": int((large_funded > 0).sum()),
            "funding_per_smv_mean_dkk": funded["funding"].mean(),
            "funding_per_smv_median_dkk": funded["funding"].median(),
            "smv_funding_rate_p10_pct": rates.quantile(0.10),
            "smv_funding_rate_p25_pct": rates.quantile(0.25),
            "smv_funding_rate_median_pct": rates.quantile(0.50),
            "smv_funding_rate_p75_pct": rates.quantile(0.75),
            "smv_funding_rate_p90_pct": rates.quantile(0.90),
            "smv_funding_rate_above_cap_share_pct": 100 * (rates > max(caps)).mean(),
            "private_cofinancing_share_pct": 100
            * projects["private_cofinancing_dkk"].astype(float).sum()
            / projects["budget_dkk"].astype(float).sum(),
            "overhead_share_pct": None
            if projects["overhead_dkk"].isna().all()
            else 100
            * projects["overhead_dkk"].astype(float).sum()
            / projects["cluster_funding_dkk"].astype(float).sum(),
            "smv_new_to_rd": int(funded["new"].sum()),
            "smv_new_to_rd_share_pct": 100 * funded["new"].mean(),
            "firms_in_several_clusters": int((clusters_per_firm > 1).sum()),
        }
        for name, types in INSTITUTIONS.items():
            with_type = set(people.loc[people["participant_type"].isin(types), "project_id"])
            v[f"projects_with_{name}_share_pct"] = (
                100 * projects["project_id"].isin(with_type).mean()
            )
        out.update({(g.id, k): val for k, val in v.items()})
    return out


def _last_start_years(raw: dict[str, pd.DataFrame]) -> dict[str, int | None]:
    """Each generation's last year with finances reported or a project starting in its period
    (None: neither)."""
    out: dict[str, int | None] = {}
    for g in generations():
        projects = raw["projects"][raw["projects"]["programme"] == g.id]
        start = pd.to_datetime(projects["start_date"]).dt.year
        start = start[start.between(g.first_year, g.last_year)]
        finances = raw["cluster_finances"]
        years = [*start, *finances.loc[finances["programme"] == g.id, "year"]]
        out[g.id] = int(max(years)) if years else None
    return out


def test_every_measure_recomputed_from_the_sample_files(warehouse, raw):
    mart = query(warehouse, "select * from marts.programme_generations")
    expected = _expected(raw)
    got = {(r.programme, r.measure): r.value for r in mart.itertuples()}
    assert set(got) == set(expected)
    for key, value in expected.items():
        if value is None:
            assert pd.isna(got[key]), key
        else:
            assert got[key] == pytest.approx(float(value), rel=1e-9, abs=1e-9), key
    assert {g.id for g in generations()} == set(mart["programme"])
    assert set(mart.loc[mart["is_current_programme"], "programme"]) == {programme().id}


def test_completeness_is_read_from_the_projects_start_years(warehouse, raw):
    """last_year_observed is each generation's last project start year in its period, and the
    generation is complete exactly when that is its period's last year."""
    mart = query(warehouse, "select * from marts.programme_generations")
    last = _last_start_years(raw)
    for g in generations():
        rows = mart[mart["programme"] == g.id]
        observed = rows["last_year_observed"].unique()
        assert len(observed) == 1 and rows["is_complete"].nunique() == 1, g.id
        if last[g.id] is None:
            assert pd.isna(observed[0]), g.id
        else:
            assert int(observed[0]) == last[g.id], g.id
        assert bool(rows["is_complete"].iloc[0]) == (last[g.id] == g.last_year), g.id


def test_comparability_follows_absent_fields_rules_and_completeness(warehouse, raw):
    """Not comparable exactly where a generation lacks a field (all NULL) or a rule shaping the
    measure, or, for a total to date, where a generation is not complete; the reasons name them
    concretely."""
    mart = query(warehouse, "select * from marts.programme_generations")
    by_measure = mart.groupby("measure")["comparable"].agg(["min", "max"])
    assert (by_measure["min"] == by_measure["max"]).all()  # one answer per measure
    no_overhead = [
        g.id
        for g in generations()
        if raw["projects"].loc[raw["projects"]["programme"] == g.id, "overhead_dkk"].isna().all()
    ]
    no_cap = [g.id for g in generations() if g.smv_funding_cap_pct is None]
    not_comparable = set(mart.loc[~mart["comparable"], "measure"])
    expected = set()
    if no_overhead or any(g.overhead_norm_pct is None for g in generations()):
        expected.add("overhead_share_pct")
    if no_cap:
        expected.add("smv_funding_rate_above_cap_share_pct")
    last = _last_start_years(raw)
    incomplete = [g for g in generations() if last[g.id] != g.last_year]
    if incomplete:
        expected |= TO_DATE
    assert not_comparable == expected
    reasons = mart.loc[~mart["comparable"]].drop_duplicates("measure").set_index("measure")
    for gen in no_overhead:
        assert "projects.overhead_dkk" in reasons.at["overhead_share_pct", "comparable_reason_en"]
        assert gen in reasons.at["overhead_share_pct", "comparable_reason_da"]
    for gen in no_cap:
        reason = reasons.at["smv_funding_rate_above_cap_share_pct", "comparable_reason_en"]
        assert "cap on SMEs' funding rate was not a rule" in reason and gen in reason
        assert "_pct" not in reason  # the rule in words, never its configuration key
    for g in incomplete:
        for measure in TO_DATE:
            reason_en = reasons.at[measure, "comparable_reason_en"]
            reason_da = reasons.at[measure, "comparable_reason_da"]
            assert f"{g.id} is not complete" in reason_en, (measure, g.id)
            assert f"{g.id} er ikke afsluttet" in reason_da, (measure, g.id)
            if last[g.id] is not None:
                assert f"data up to {last[g.id]} of {g.id}" in reason_en, (measure, g.id)
                assert f"data til og med {last[g.id]} af {g.id}" in reason_da, (measure, g.id)
    comparable = mart[mart["comparable"]]
    assert comparable[["comparable_reason_da", "comparable_reason_en"]].isna().all().all()
    assert np.isfinite(comparable["value"].dropna()).all()
