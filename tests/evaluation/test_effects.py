"""The estimator on generated panels: planted effects found, absent ones not, bias removed."""

from __future__ import annotations

import pytest

from tests.evaluation.helpers import PLANTED, panel, productivity, register


@pytest.fixture(scope="module")
def reg():
    return register()


def test_planted_productivity_effect_is_recovered(reg):
    rows = productivity(reg, panel(reg, effect_pct=5.0))
    first = rows.loc["t+1"]
    assert first["ci_lower"] <= PLANTED <= first["ci_upper"]
    assert first["ci_lower"] > 0
    # no effect in the entry year itself (it is planted from the year after)
    assert rows.loc["t+0", "ci_lower"] <= 0 <= rows.loc["t+0", "ci_upper"]
    assert rows.loc["t-1", "estimate"] == 0
    assert rows.loc["t+1", "firms_treated"] > rows.loc["t+3", "firms_treated"] > 0


def test_no_planted_effect_ci_covers_zero(reg):
    rows = productivity(reg, panel(reg, effect_pct=0.0))
    for period in ("t+0", "t+1", "t+2", "overall"):
        assert rows.loc[period, "ci_lower"] <= 0 <= rows.loc[period, "ci_upper"], period
    assert rows["pretrend_p_value"].iloc[0] > 0.05


def test_planted_pretrend_is_flagged(reg):
    rows = productivity(reg, panel(reg, effect_pct=5.0, pretrend=-0.03))
    assert rows["pretrend_p_value"].iloc[0] < 0.01
    assert rows.loc["t-3", "ci_upper"] < 0


@pytest.mark.slow  # matching and estimation twice
def test_matching_removes_selection_on_pre_period_growth(reg):
    data = panel(reg, effect_pct=5.0, selection=0.01)
    naive = productivity(reg, data, matched=False).loc["t+1", "estimate"]
    matched = productivity(reg, data).loc["t+1", "estimate"]
    assert naive - PLANTED > 0.015  # participants keep growing faster: naive overstates
    assert abs(matched - PLANTED) < 0.01  # within 1 log point of the planted effect
    assert abs(matched - PLANTED) < (naive - PLANTED) / 2


@pytest.mark.slow  # every outcome and group estimated
def test_every_outcome_and_group_gets_rows(reg):
    from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects

    result = estimate_effects(panel(reg, firms=3000), reg, EstimatorConfig(base_year=2024))
    table = result.table
    assert set(table["outcome"]) == {
        "log_value_added_per_fte",
        "log_fte",
        "log_turnover",
        "export_share",
        "rd_active",
    }
    assert set(table.loc[table["group_type"] == "cluster", "group_value"]) == {"K01", "K02", "K03"}
    assert table.groupby(["outcome", "group_type", "group_value"]).size().eq(8).all()
    assert result.diagnostics["linked_to_panel"] == len(reg)
