"""Disclosure control: small and dominated cells never leave the estimator."""

from __future__ import annotations

import pandas as pd

from pipelines.evaluation.disclosure import DisclosureRule, disclosure_control
from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects
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
