"""Disclosure control: the rules on what is published, the audit of what a reader can derive,
and an outside reader (pipelines.evaluation.attack) who reads only the published table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.evaluation.attack import findings
from pipelines.evaluation.did import PERIOD_CODES
from pipelines.evaluation.disclosure import (
    Cell,
    DisclosureRule,
    audit,
    cell_reason,
    combination_reason,
)
from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects
from tests.evaluation.helpers import panel, register

RULE = DisclosureRule()


PERIOD = {"t-3": 0, "t-2": 1, "t+0": 3, "t+1": 4, "t+2": 5, "t+3": 6}


def _cell(
    group_type: str,
    value: str,
    period: str,
    firms: list[int],
    tau: list[float],
    controls: int = 30,
) -> Cell:
    """A cell: the mean of its firms' contrasts ``tau`` in ``period`` ('overall': the same
    contrasts in each of t+0..t+3, averaged)."""
    tau_arr = np.asarray(tau, dtype=float)
    ids = np.asarray(firms, dtype=np.int64)
    periods = ["t+0", "t+1", "t+2", "t+3"] if period == "overall" else [period]
    coords = np.concatenate([ids * PERIOD_CODES + PERIOD[p] for p in periods])
    return Cell(
        "log_fte",
        group_type,
        value,
        period,
        float(tau_arr.mean()),
        ids,
        tau_arr / len(tau_arr),
        np.arange(10_000, 10_000 + controls),
        np.full(controls, 1 / controls),
        coords,
        np.full(len(coords), 1 / (len(ids) * len(periods))),
    )


def test_fewer_than_three_participants_is_withheld():
    assert cell_reason(_cell("cluster", "K1", "t+1", [1, 2], [0.1, 0.2]), RULE) == (
        "fewer than 3 firms"
    )
    assert cell_reason(_cell("cluster", "K1", "t+1", [1, 2, 3], [0.1, 0.2, 0.1]), RULE) == ""


def test_dominance_is_measured_on_the_published_contrast():
    """One participant's own contrast is 90 % of the estimate's absolute total."""
    dominated = _cell("cluster", "K1", "t+1", [1, 2, 3, 4], [0.9, 0.05, 0.03, 0.02])
    assert "carries more than 50%" in cell_reason(dominated, RULE)
    # a negative contrast dominates as much as a positive one
    assert "carries more than 50%" in cell_reason(
        _cell("cluster", "K1", "t+1", [1, 2, 3], [-0.9, 0.1, 0.1]), RULE
    )
    assert cell_reason(dominated, DisclosureRule(max_share=0.95)) == ""


def test_the_comparison_side_counts_effective_controls_not_firms():
    """Ten distinct controls, one of which carries 91 % of the weight: 1.2 effective."""
    cell = _cell("cluster", "K1", "t+1", [1, 2, 3], [0.1, 0.1, 0.1], controls=10)
    cell.control_weight = np.array([0.91] + [0.01] * 9)
    assert cell_reason(cell, RULE) == "fewer than 3 effective comparison firms"
    spread = _cell("cluster", "K1", "t+1", [1, 2, 3], [0.1, 0.1, 0.1], controls=4)
    spread.control_weight = np.array([0.55, 0.15, 0.15, 0.15])  # 2.9 effective
    assert "effective" in cell_reason(spread, RULE)
    spread.control_weight = np.array([0.52, 0.16, 0.16, 0.16])
    assert cell_reason(spread, DisclosureRule(min_firms=2)) == (
        "one comparison firm carries more than 50% of the comparison"
    )


def test_a_combination_of_two_one_firm_cells_is_behind_two_firms():
    a = _cell("cluster", "K3", "t+1", [7], [0.3])
    b = _cell("cluster", "K4", "t+1", [8], [0.1])
    assert combination_reason([a, b], RULE) == "fewer than 3 firms"


def _two_one_firm_clusters() -> list[Cell]:
    """The issue's leak: all = K1 (10) + K2 (12) + K3 (1) + K4 (1); K3 and K4 withheld."""
    rng = np.random.default_rng(1)
    ids = {"K1": range(0, 10), "K2": range(10, 22), "K3": [22], "K4": [23]}
    tau = {k: rng.normal(0.05, 0.02, len(v)).tolist() for k, v in ids.items()}
    cells = [_cell("cluster", k, "t+1", list(v), tau[k]) for k, v in ids.items()]
    every = [f for v in ids.values() for f in v]
    cells.insert(0, _cell("overall", "all", "t+1", every, sum(tau.values(), [])))
    for cell in cells:
        cell.reason = cell_reason(cell, RULE)
    return cells


def _published(cells: list[Cell]) -> pd.DataFrame:
    """The table a reader gets: withheld cells without numbers."""
    return pd.DataFrame(
        [
            {
                "outcome": c.outcome,
                "group_type": c.group_type,
                "group_value": c.group_value,
                "period": c.period,
                "event_time": 1,
                "estimate": np.nan if c.reason else c.estimate,
                "std_error": np.nan if c.reason else 0.01,
                "firms_treated": np.nan if c.reason else c.firms,
                "suppressed": bool(c.reason),
                "suppression_reason": c.reason,
            }
            for c in cells
        ]
    )


def test_the_reader_derives_two_withheld_one_firm_clusters_together_without_the_audit():
    cells = _two_one_firm_clusters()
    assert [c.group_value for c in cells if c.reason] == ["K3", "K4"]
    found = findings(_published(cells))
    assert len(found) == 1
    assert found.iloc[0]["cells"] == "cluster K3 t+1 + cluster K4 t+1"
    assert found.iloc[0]["firms"] == 2
    # and the value the reader gets is exactly the two firms' mean
    table = _published(cells)
    shown = table[~table["suppressed"]].set_index("group_value")
    derived = (
        24 * shown.loc["all", "estimate"]
        - 10 * shown.loc["K1", "estimate"]
        - 12 * shown.loc["K2", "estimate"]
    ) / 2
    assert derived == pytest.approx((cells[3].estimate + cells[4].estimate) / 2, abs=1e-12)


def test_the_audit_adds_the_smallest_cluster_and_the_reader_finds_nothing():
    cells = _two_one_firm_clusters()
    added = audit(cells, RULE)
    assert [cells[i].group_value for i, _ in added] == ["K1"]  # 10 firms < 12
    assert added[0][1] == "withheld: the published cells would single out 2 firm(s)"
    assert findings(_published(cells)).empty


def test_a_complement_that_does_not_pass_the_rules_is_not_enough():
    """K3 (1 firm) withheld; the smallest published cluster K2 has 1 firm too: the pair is still
    behind two firms, so a third cluster goes as well."""
    ids = {"K1": range(0, 10), "K2": [10], "K3": [11], "K5": range(12, 20)}
    cells = [_cell("cluster", k, "t+1", list(v), [0.05] * len(v)) for k, v in ids.items()]
    cells.insert(0, _cell("overall", "all", "t+1", list(range(20)), [0.05] * 20))
    for cell in cells:
        cell.reason = cell_reason(cell, RULE)
    audit(cells, RULE)
    assert {c.group_value for c in cells if c.reason} == {"K2", "K3", "K5"}
    assert findings(_published(cells)).empty


def test_a_withheld_event_time_takes_overall_or_another_event_time_with_it():
    """'overall' is the mean of t+0..t+3: with t+3 (two firms) withheld and the rest published,
    overall and t+0..t+2 would give t+3 away."""
    events = ("t+0", "t+1", "t+2")
    cells = [_cell("overall", "all", p, list(range(40)), [0.02] * 40) for p in events]
    cells.append(_cell("overall", "all", "t+3", [1, 2], [0.02, 0.03]))
    mean = Cell(
        "log_fte",
        "overall",
        "all",
        "overall",
        float(np.mean([c.estimate for c in cells])),
        np.arange(40),
        np.full(40, 0.02 / 40),
        np.arange(10_000, 10_030),
        np.full(30, 1 / 30),
        np.concatenate([c.coords for c in cells]),
        np.concatenate([c.coef for c in cells]) / 4,
    )
    cells.append(mean)
    for cell in cells:
        cell.reason = cell_reason(cell, RULE)
    assert [c.period for c in cells if c.reason] == ["t+3"]
    added = audit(cells, RULE)
    assert len(added) == 1 and added[0][1].startswith("withheld with overall all t+3")
    assert findings(_published(cells).assign(group_type="overall")).empty


# --- end to end: generated registers built to leak ----------------------------------------


def _estimate(reg: pd.DataFrame, data: pd.DataFrame, **config) -> pd.DataFrame:
    settings = {"outcomes": ("log_fte", "log_value_added_per_fte"), "bootstrap_draws": 199}
    return estimate_effects(data, reg, EstimatorConfig(**{**settings, **config})).table


def _withheld(table: pd.DataFrame) -> tuple[int, int]:
    reasons = table["suppression_reason"]
    secondary = reasons.str.startswith("withheld").sum()
    primary = (table["suppressed"] & ~reasons.str.startswith(("withheld", "not estim"))).sum()
    return int(primary), int(secondary)


def _tiny_clusters() -> tuple[pd.DataFrame, pd.DataFrame]:
    reg = register(participants=240, clusters=3, seed=5)
    reg.loc[reg.index[:1], "cluster_id"] = "K07"  # one firm
    reg.loc[reg.index[1:3], "cluster_id"] = "K08"  # two firms
    reg.loc[reg.index[3:6], "cluster_id"] = "K09"  # three firms
    return reg, panel(reg, firms=2500)


def _tiny_size_group() -> tuple[pd.DataFrame, pd.DataFrame]:
    reg = register(participants=240, clusters=3, seed=6)
    reg.loc[reg.index[:2], "size_group_at_entry"] = "large_enterprise"  # two firms of 250+
    return reg, panel(reg, firms=2500)


def _overlapping_clusters() -> tuple[pd.DataFrame, pd.DataFrame]:
    reg = register(participants=240, clusters=3, seed=7)
    twice = reg.iloc[:40].assign(cluster_id="K05")  # 40 firms also in a fourth cluster
    small = reg.iloc[40:42].assign(cluster_id="K06")  # and two firms in a tiny fifth one
    reg = pd.concat([reg, twice, small], ignore_index=True)
    return reg, panel(reg.drop_duplicates("cvr"), firms=2500)


def _one_late_event_time() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster K04: two firms enter in 2025 (the only cohort reaching t+3), six in 2027."""
    reg = register(participants=240, clusters=3, seed=8)
    reg.loc[reg.index[:2], ["cluster_id", "treatment_year"]] = ["K04", 2025]
    reg.loc[reg.index[2:8], ["cluster_id", "treatment_year"]] = ["K04", 2027]
    reg.loc[reg.index[8:], "treatment_year"] = 2026
    return reg, panel(reg, firms=2500)


def _dominated() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster K04 of six firms, one of which doubles its value added after entry."""
    reg = register(participants=240, clusters=3, seed=9)
    reg.loc[reg.index[:6], "cluster_id"] = "K04"
    data = panel(reg, firms=2500)
    star = reg.iloc[0]
    after = data["cvr"].eq(star["cvr"]) & data["year"].ge(star["treatment_year"])
    data.loc[after, "value_added_dkk"] *= 20.0
    return reg, data


def _one_control_for_many() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster K04: six participants in an industry and region of their own, which holds a
    single other firm: it is every one of their matches."""
    reg = register(participants=240, clusters=3, seed=10)
    reg.loc[reg.index[:6], "cluster_id"] = "K04"
    data = panel(reg, firms=2500)
    years = data.groupby("cvr")["year"].size()
    others = years.index[~years.index.isin(reg["cvr"]) & years.eq(years.max())]  # never exits
    lonely = set(reg["cvr"].iloc[:6]) | {others[0]}
    rows = data["cvr"].isin(lonely)
    data.loc[rows, ["industry", "region"]] = ["99", 81]
    data.loc[rows, "fte"] = 20.0
    return reg, data


SCENARIOS = {
    "tiny clusters (1, 2, 3 firms)": _tiny_clusters,
    "tiny size group (2 firms of 250+)": _tiny_size_group,
    "overlapping clusters": _overlapping_clusters,
    "one withheld event time": _one_late_event_time,
    "dominated cell": _dominated,
    "one control matched to many": _one_control_for_many,
}


@pytest.mark.slow  # one estimation per scenario
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_reader_derives_nothing_from_the_estimators_output(scenario):
    reg, data = SCENARIOS[scenario]()
    table = _estimate(reg, data)
    primary, secondary = _withheld(table)
    assert primary > 0, "the scenario must make primary suppression act"
    found = findings(table)
    assert found.empty, found.to_string()
    shown = table[~table["suppressed"]]
    assert (shown["firms_treated"].dropna() >= 3).all()
    assert (shown["controls_effective"].dropna() >= 3).all()
    withheld = table[table["suppressed"]]
    assert withheld[["estimate", "std_error", "ci_lower", "firms_treated"]].isna().all().all()


@pytest.mark.slow
def test_the_scenarios_withhold_what_they_are_built_to():
    tiny = _estimate(*_tiny_clusters())
    k07 = tiny[tiny["group_value"].eq("K07") & tiny["period"].eq("t+1")]
    assert (k07["suppression_reason"] == "fewer than 3 firms").all()
    late = _estimate(*_one_late_event_time())
    k04 = late[late["group_value"].eq("K04")].set_index(["outcome", "period"])
    assert k04.loc[("log_fte", "t+3"), "suppression_reason"] == "fewer than 3 firms"
    assert k04.loc[("log_fte", "overall"), "suppressed"]  # the mean would give t+3 away
    dominated = _estimate(*_dominated())
    cell = dominated[
        dominated["group_value"].eq("K04")
        & dominated["outcome"].eq("log_value_added_per_fte")
        & dominated["period"].eq("t+1")
    ]
    assert "carries more than 50% of the estimate" in cell["suppression_reason"].iloc[0]
    lonely = _estimate(*_one_control_for_many())
    k04 = lonely[lonely["group_value"].eq("K04")].set_index(["outcome", "period"])
    assert k04["suppressed"].all()
    assert k04.loc[("log_value_added_per_fte", "t+0"), "suppression_reason"] == (
        "fewer than 3 effective comparison firms"
    )


# --- differencing across overlapping and different group types (a hostile review found these
# against a partition-only audit; each derivation below needs every cell it names published)


def _cells_needed_published(table: pd.DataFrame, needed: list[tuple[str, str]]) -> list[str]:
    """The outcome x event time combinations where every cell of ``needed`` is published (the
    count-weighted identities hold per event time; 'overall' and 'placebo' average periods with
    different firm counts, so they are not such an identity)."""
    open_ = []
    for (outcome, period), rows in table.groupby(["outcome", "period"]):
        if period in ("t-1", "overall", "placebo"):
            continue
        shown = rows[~rows["suppressed"]]
        have = set(zip(shown["group_type"], shown["group_value"], strict=True))
        if all(cell in have for cell in needed):
            open_.append(f"{outcome} {period}")
    return open_


@pytest.mark.slow
def test_a_firm_in_two_clusters_is_not_singled_out():
    """sum of clusters' n x estimate - all's n x estimate = the contrast of the firm counted
    twice: that needs 'all' and every cluster published in the same period."""
    reg = register(participants=240, clusters=3, seed=21)
    twice = reg.iloc[[0]].assign(cluster_id="K04")
    small = reg.iloc[1:5].assign(cluster_id="K04")
    data = panel(reg, firms=2500)
    reg = pd.concat([reg.drop(reg.index[1:5]), twice, small], ignore_index=True)
    table = _estimate(reg, data)
    clusters = [("cluster", k) for k in ("K01", "K02", "K03", "K04")]
    assert _cells_needed_published(table, [("overall", "all"), *clusters]) == []
    assert table["method"].str.contains("clusters overlap").all()
    assert findings(table).empty  # the gate's reader knows clusters do not add up here


@pytest.mark.slow
def test_groups_of_different_types_with_the_same_or_nearly_the_same_firms():
    """new_to_rd=true holds exactly cluster K03's firms, and cluster K04 is one firm: with K04
    withheld, 'all' - K01 - K02 - (new_to_rd true) would be K04. And new_to_rd=false holds K01
    plus one firm, so (false) - K01 would be that firm."""
    reg = register(participants=240, clusters=3, seed=22)
    label = np.where(np.arange(240) < 100, "K01", np.where(np.arange(240) < 190, "K02", "K03"))
    label[0] = "K04"
    reg["cluster_id"] = label
    reg["new_to_rd"] = reg["cluster_id"].eq("K03")
    reg.loc[reg.index[[1, 150]], "new_to_rd"] = [False, True]  # K02 gets one 'true' firm
    data = panel(reg, firms=2500)
    table = _estimate(reg, data)
    same = [("overall", "all"), ("cluster", "K01"), ("cluster", "K02"), ("new_to_rd", "true")]
    assert _cells_needed_published(table, same) == []
    nested = [("new_to_rd", "true"), ("cluster", "K03")]
    assert _cells_needed_published(table, nested) == []
    assert findings(table).empty
