"""Disclosure control: small and dominated cells never leave the estimator."""

from __future__ import annotations

import pandas as pd

from pipelines.evaluation.disclosure import DisclosureRule, disclosure_control
from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects, withhold_complements
from tests.evaluation.helpers import panel, register

CELLS = pd.DataFrame(
    {
        "cell": ["two", "two", "dominated", "dominated", "dominated", "fine", "fine", "fine"],
        "cvr": [1, 2, 3, 4, 5, 6, 7, 8],
        "turnover": [10.0, 12.0, 900.0, 50.0, 50.0, 40.0, 30.0, 30.0],
    }
)


def _verdict(rule: DisclosureRule | None = None) -> pd.DataFrame:
    return disclosure_control(
        CELLS, ["cell"], "cvr", "turnover", rule or DisclosureRule()
    ).set_index("cell")


def test_two_firm_cell_is_suppressed():
    verdict = _verdict()
    assert verdict.loc["two", "suppressed"]
    assert verdict.loc["two", "suppression_reason"] == "fewer than 3 firms"


def test_dominated_cell_is_suppressed():
    verdict = _verdict()
    assert verdict.loc["dominated", "suppressed"]
    assert verdict.loc["dominated", "top_share"] == 0.9
    assert "more than 50%" in verdict.loc["dominated", "suppression_reason"]
    assert not verdict.loc["fine", "suppressed"]


def test_thresholds_are_configurable():
    verdict = _verdict(DisclosureRule(min_firms=2, max_share=0.95))
    assert not verdict[["suppressed"]].any().item()
    assert _verdict(DisclosureRule(min_firms=4)).loc["fine", "suppressed"]


def test_firm_listed_twice_counts_once_and_losses_count():
    cells = pd.DataFrame(
        {"cell": ["a"] * 4, "cvr": [1, 1, 2, 3], "value": [30.0, 30.0, -50.0, 10.0]}
    )
    verdict = disclosure_control(cells, ["cell"], "cvr", "value").set_index("cell")
    assert verdict.loc["a", "firms"] == 3
    assert verdict.loc["a", "top_share"] == 0.5  # 60 of 120: not above half


def test_estimator_withholds_a_two_firm_cluster():
    reg = register(participants=200, clusters=2)
    reg.loc[reg.index[:2], "cluster_id"] = "K09"  # a cluster with two participating firms
    config = EstimatorConfig(
        base_year=2024, outcomes=("log_fte",), group_types=("overall", "cluster")
    )
    table = estimate_effects(panel(reg, firms=2500), reg, config).table
    small = table[table["group_value"] == "K09"]
    assert len(small) == 8 and small["suppressed"].all()
    assert small[["estimate", "ci_lower", "firms_treated"]].isna().all().all()
    assert (small["suppression_reason"] == "fewer than 3 firms").all()
    assert not table.loc[table["group_value"] == "all", "suppressed"].all()


def _cells(rows: list[tuple[str, str, str, float, int, str]]) -> pd.DataFrame:
    """Estimate rows: (group_type, group_value, period, estimate, firms_treated, reason)."""
    return pd.DataFrame(
        [
            {
                "outcome": "log_fte",
                "group_type": t,
                "group_value": v,
                "period": p,
                "estimate": e,
                "std_error": 0.01,
                "ci_lower": e - 0.02,
                "ci_upper": e + 0.02,
                "firms_treated": n,
                "firms_compared": 3 * n,
                "pretrend_p_value": 0.5,
                "suppressed": bool(why),
                "suppression_reason": why,
            }
            for t, v, p, e, n, why in rows
        ]
    )


def test_a_withheld_cluster_cannot_be_worked_out_from_the_total_and_the_others():
    """all = (K01 x 10 + K02 x 2 + K03 x 30) / 42: with K02 alone withheld, K02 follows from
    the published numbers; the smallest other cluster must go with it."""
    table = _cells(
        [
            ("overall", "all", "t+1", 0.03, 42, ""),
            ("cluster", "K01", "t+1", 0.01, 10, ""),
            ("cluster", "K02", "t+1", float("nan"), 2, "fewer than 3 firms"),
            ("cluster", "K03", "t+1", 0.04, 30, ""),
        ]
    )
    out = withhold_complements(table).set_index("group_value")
    assert out.loc["K01", "suppressed"] and not out.loc["K03", "suppressed"]
    assert out.loc["K01", "suppression_reason"].startswith("withheld with cluster K02")
    assert out.loc["K01", ["estimate", "ci_lower", "firms_treated"]].isna().all()
    assert not out.loc["all", "suppressed"]


def test_overall_goes_with_a_withheld_event_time():
    """'overall' is the average of t+0..t+3: with t+3 withheld it would give t+3 away."""
    table = _cells(
        [("overall", "all", p, 0.02, 40, "") for p in ("t+0", "t+1", "t+2")]
        + [
            ("overall", "all", "t+3", float("nan"), 2, "fewer than 3 firms"),
            ("overall", "all", "overall", 0.03, 40, ""),
            ("overall", "all", "t-1", 0.0, 40, ""),
        ]
    )
    out = withhold_complements(table).set_index("period")
    assert out.loc["overall", "suppressed"]
    assert out.loc["overall", "suppression_reason"].startswith("withheld with t+3")
    assert not out.loc[["t+0", "t+1", "t+2", "t-1"], "suppressed"].any()


def test_not_estimable_cells_need_no_complement():
    table = _cells(
        [
            ("overall", "all", "t+1", 0.03, 42, ""),
            ("cluster", "K01", "t+1", 0.01, 10, ""),
            ("cluster", "K02", "t+1", float("nan"), 20, "not estimable: no cohort observed"),
            ("cluster", "K03", "t+1", 0.04, 30, ""),
        ]
    )
    assert withhold_complements(table)["suppressed"].sum() == 1


def test_the_estimators_output_gives_no_withheld_cell_away():
    """End to end: a two-firm cluster is withheld, and so is a complement in every cell."""
    reg = register(participants=200, clusters=3)
    reg.loc[reg.index[:2], "cluster_id"] = "K09"
    config = EstimatorConfig(
        base_year=2024, outcomes=("log_fte",), group_types=("overall", "cluster")
    )
    table = estimate_effects(panel(reg, firms=2500), reg, config).table
    clusters = table[table["group_type"] == "cluster"]
    for period, cells in clusters.groupby("period"):
        withheld = cells[cells["suppressed"] & ~cells["suppression_reason"].str.startswith("not")]
        assert len(withheld) != 1, period  # K09 never alone
        assert "K09" in set(withheld["group_value"])
