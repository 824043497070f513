"""The estimator on generated panels: planted effects found, absent ones not, and the columns
and diagnostics an evaluator asks for (bands, MDE, placebo, sensitivity, attrition, balance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects
from tests.evaluation.helpers import PLANTED, panel, productivity, register


@pytest.fixture(scope="module")
def reg():
    return register()


def test_planted_productivity_effect_is_recovered(reg):
    rows = productivity(reg, panel(reg, effect_pct=5.0))
    for period in ("t+1", "t+2", "t+3"):
        assert rows.loc[period, "ci_lower"] <= PLANTED <= rows.loc[period, "ci_upper"], period
        assert rows.loc[period, "band_lower"] <= rows.loc[period, "ci_lower"]
        assert rows.loc[period, "band_upper"] >= rows.loc[period, "ci_upper"]
    # no effect in the entry year itself (it is planted from the year after)
    assert rows.loc["t+0", "ci_lower"] <= 0 <= rows.loc["t+0", "ci_upper"]
    assert rows.loc["t-1", "estimate"] == 0
    assert rows.loc["t+1", "firms_treated"] > rows.loc["t+3", "firms_treated"] > 0
    assert rows.loc["placebo", "ci_lower"] <= 0 <= rows.loc["placebo", "ci_upper"]
    assert rows.loc["overall", "breakdown_mbar"] > 0
    assert (rows["mde"].dropna() > 0).all()
    assert rows.loc["t+1", "mde"] == pytest.approx(2.8016 * rows.loc["t+1", "std_error"], rel=1e-4)


def test_no_planted_effect_ci_covers_zero(reg):
    rows = productivity(reg, panel(reg, effect_pct=0.0))
    for period in ("t+0", "t+1", "t+2", "overall", "placebo"):
        assert rows.loc[period, "ci_lower"] <= 0 <= rows.loc[period, "ci_upper"], period
    assert rows["pretrend_p_value"].iloc[0] > 0.05
    assert rows.loc["overall", "breakdown_mbar"] == 0  # nothing to be robust about


def test_planted_pretrend_is_flagged(reg):
    rows = productivity(reg, panel(reg, effect_pct=5.0, pretrend=-0.03))
    assert rows["pretrend_p_value"].iloc[0] < 0.01
    assert rows.loc["t-3", "ci_upper"] < 0


def test_anticipation_moves_the_reference_year(reg):
    data = panel(reg, effect_pct=5.0)
    config = EstimatorConfig(
        anticipation=1, outcomes=("log_value_added_per_fte",), group_types=("overall",)
    )
    rows = estimate_effects(data, reg, config).table.set_index("period")
    assert rows.loc["t-2", "estimate"] == 0 and pd.isna(rows.loc["t-2", "std_error"])
    assert rows.loc["t-1", "ci_lower"] <= 0 <= rows.loc["t-1", "ci_upper"]
    assert rows.loc["t+1", "ci_lower"] <= PLANTED <= rows.loc["t+1", "ci_upper"]
    assert "base year g-1-1" in rows["method"].iloc[0]


def test_not_yet_treated_controls_recover_the_effect(reg):
    data = panel(reg, effect_pct=5.0)
    config = EstimatorConfig(
        control_group="not-yet", outcomes=("log_value_added_per_fte",), group_types=("overall",)
    )
    rows = estimate_effects(data, reg, config).table.set_index("period")
    assert rows.loc["t+1", "ci_lower"] <= PLANTED <= rows.loc["t+1", "ci_upper"]
    assert "not-yet-treated" in rows["method"].iloc[0]


def test_earlier_participants_are_never_controls_and_are_counted(reg):
    data = panel(reg, effect_pct=5.0)
    plain = estimate_effects(
        data, reg, EstimatorConfig(outcomes=("log_fte",), group_types=("overall",))
    )
    from pipelines.evaluation.estimate import design

    config = EstimatorConfig(outcomes=("log_fte",), group_types=("overall",))
    used = design(data, reg, config)
    controls = {int(c) for c in used.wide.cvr[used.links.control[:50]]}
    earlier = frozenset(controls) | frozenset({int(reg["cvr"].iloc[0])})
    again = EstimatorConfig(outcomes=("log_fte",), group_types=("overall",), exclude=earlier)
    after = design(data, reg, again)
    assert not controls & {int(c) for c in after.wide.cvr[after.links.control]}
    result = estimate_effects(data, reg, again)
    assert result.diagnostics["excluded_from_controls"] == len(controls)
    assert result.diagnostics["treated_before"] == 1
    assert plain.diagnostics["excluded_from_controls"] == 0


def test_survival_and_attrition(reg):
    """Participants exit after entry less often than their matches: survival shows it, and
    exits and negative value added are counted, not silently dropped."""
    data = panel(reg, effect_pct=5.0)
    others = data.loc[~data["cvr"].isin(reg["cvr"]), "cvr"].unique()
    rng = np.random.default_rng(3)
    leaving = set(rng.choice(others, len(others) // 10, replace=False))
    exits = data["cvr"].isin(leaving) & data["year"].ge(2026)
    data = data[~exits].copy()
    negative = data["cvr"].isin(reg["cvr"].iloc[:7]) & data["year"].eq(2027)
    data.loc[negative, "value_added_dkk"] = -1000.0
    config = EstimatorConfig(
        outcomes=("survival", "log_value_added_per_fte"), group_types=("overall",)
    )
    result = estimate_effects(data, reg, config)
    rows = result.table.set_index(["outcome", "period"])
    assert rows.loc[("survival", "t+1"), "ci_lower"] > 0  # controls exit, participants do not
    assert rows.loc[("survival", "t-1"), "estimate"] == 0
    attrition = result.diagnostics["attrition"]
    assert attrition["log_value_added_per_fte"]["value_not_positive"] == 7
    assert attrition["log_value_added_per_fte"]["exit"] > 0
    assert attrition["survival"] == {}  # survival is defined for every matched firm


def test_rd_is_estimated_on_surveyed_firms_only(reg):
    """A firm outside the R&D survey in a year is unknown there, not 'not R&D active'."""
    data = panel(reg, effect_pct=5.0)
    # half the participants' rows from 2026 on are outside the survey: read as 'no R&D', the
    # participants would seem to stop their R&D
    later = data[data["cvr"].isin(reg["cvr"]) & data["year"].ge(2026)]
    unsurveyed = later.sample(frac=0.5, random_state=1).index
    data.loc[unsurveyed, "rd_expenditure_dkk"] = np.nan
    config = EstimatorConfig(outcomes=("rd_active",), group_types=("overall",))
    result = estimate_effects(data, reg, config)
    full = estimate_effects(panel(reg, effect_pct=5.0), reg, config)
    t1 = result.table.set_index("period").loc["t+1"]
    all_surveyed = full.table.set_index("period").loc["t+1"]
    assert t1["firms_treated"] < all_surveyed["firms_treated"]
    # missing at random: the same answer from fewer firms (not a fall from 'not R&D active')
    assert abs(t1["estimate"] - all_surveyed["estimate"]) < 2 * t1["std_error"]
    assert result.diagnostics["attrition"]["rd_active"]["missing"] > 0


@pytest.mark.slow  # every outcome and group estimated
def test_every_outcome_and_group_gets_rows(reg):
    reg = reg.assign(
        participation_kind=np.where(
            np.arange(len(reg)) % 3 == 0, "other_activity", "innovation_project"
        ),
        new_to_rd=np.arange(len(reg)) % 2 == 0,
        funding_received_dkk=np.linspace(50_000, 2_000_000, len(reg)),
    )
    result = estimate_effects(panel(reg, firms=3000), reg, EstimatorConfig())
    table = result.table
    assert set(table["outcome"]) == {
        "log_value_added_per_fte",
        "log_fte",
        "log_turnover",
        "export_share",
        "rd_active",
        "survival",
    }
    groups = table.drop_duplicates(["group_type", "group_value"])
    assert set(groups.loc[groups["group_type"].eq("cluster"), "group_value"]) == {
        "K01",
        "K02",
        "K03",
    }
    assert set(groups.loc[groups["group_type"].eq("funding_tercile"), "group_value"]) == {
        "low",
        "middle",
        "high",
    }
    assert set(groups.loc[groups["group_type"].eq("participation_kind"), "group_value"]) == {
        "innovation_project",
        "other_activity",
    }
    assert set(groups.loc[groups["group_type"].eq("new_to_rd"), "group_value"]) == {"true", "false"}
    assert table.groupby(["outcome", "group_type", "group_value"]).size().eq(9).all()
    diagnostics = result.diagnostics
    assert diagnostics["linked_to_panel"] == len(reg)
    balance = diagnostics["cohorts"]["2026"]["balance"]
    assert set(balance) >= {"export_share", "rd_active", "region", "industry", "lp_slope"}
    assert balance["region"]["largest_share_gap_after"] == 0  # an exact cell
    shown = table[~table["suppressed"]]
    assert (
        shown["band_upper"].dropna() >= shown.loc[shown["band_upper"].notna(), "ci_upper"]
    ).all()


def test_small_counts_in_the_diagnostics_are_masked_with_their_complements(reg):
    """Two participants without a control in their cell: '<3', and 'matched' (which with the
    public number of participants would give the 2 away) is withheld too."""
    data = panel(reg, effect_pct=5.0)
    lonely = reg["cvr"].iloc[:2]
    data.loc[data["cvr"].isin(lonely), "industry"] = "98"  # no other firm in industry 98
    result = estimate_effects(
        data, reg, EstimatorConfig(outcomes=("log_fte",), group_types=("overall",))
    )
    diagnostics = result.diagnostics
    assert diagnostics["not_matched_no_control"] == "<3"
    assert diagnostics["matched"].startswith("withheld")
    assert diagnostics["not_matched_no_data"] == 0
    assert diagnostics["linked_to_panel"] == len(reg)  # nothing small in that identity


def test_published_numbers_do_not_depend_on_the_last_bits(reg):
    """Another CPU adds the same numbers in another order and differs in the last bits; the
    published estimates are rounded so that the release stays the same. Here the panel's
    amounts are moved by one unit in the last place: every published float is at the
    published precision, and the two runs agree to it (a value on a rounding boundary may
    move by one unit of the last published decimal)."""
    from pipelines.evaluation.effects import PUBLISHED_DECIMALS, run

    data = panel(reg)
    config = EstimatorConfig(outcomes=("log_value_added_per_fte", "survival"))
    table, diagnostics = run(data, reg, config)
    nudged = data.copy()
    for column in ("turnover_dkk", "value_added_dkk", "export_dkk"):
        nudged[column] = np.nextafter(nudged[column].to_numpy(float), np.inf)
    again, _ = run(nudged, reg, config)

    floats = table.select_dtypes("float")
    assert len(floats.columns) >= 5
    values = floats.to_numpy()
    finite = np.isfinite(values)
    scaled = values[finite] * 10**PUBLISHED_DECIMALS
    assert np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6)
    other = again[floats.columns].to_numpy()
    assert (np.isfinite(other) == finite).all()
    gap = np.abs(other[finite] - values[finite])
    assert gap.max() <= 1.5 * 10**-PUBLISHED_DECIMALS
    assert (gap == 0).mean() > 0.99

    def floats_in(node):
        if isinstance(node, float):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from floats_in(v)
        elif isinstance(node, list):
            for v in node:
                yield from floats_in(v)

    found = [x for x in floats_in(diagnostics) if np.isfinite(x)]
    assert found and all(x == round(x, PUBLISHED_DECIMALS) for x in found)
