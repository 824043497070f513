"""The estimator against independent computations: the diff-diff library's Callaway-Sant'Anna
(group-time and event-time effects, analytic errors, bootstrap bands), the matched contrasts
recomputed by hand from the links, an unbalanced comparison by hand, and scipy's chi-squared."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.evaluation.did import comparisons, pool
from pipelines.evaluation.estimate import EstimatorConfig, design, estimate_effects
from pipelines.evaluation.inference import chi2_sf
from pipelines.evaluation.outcomes import add_outcomes
from tests.evaluation.helpers import panel, register

OUTCOME = "log_value_added_per_fte"


def _data(cohorts: list[int], participants: int = 300, firms: int = 1500, seed: int = 3):
    reg = register(participants=participants, seed=seed).assign(
        treatment_year=lambda d: np.resize(cohorts, len(d))
    )
    # balanced (no exits): there the library's panel estimator and ours coincide
    return reg, panel(reg, firms=firms, effect_pct=5.0, seed=seed, exit_rate=0.0)


def _reference(reg: pd.DataFrame, data: pd.DataFrame, control_group: str, anticipation: int, **kw):
    from diff_diff import CallawaySantAnna

    long = add_outcomes(data)
    cohort = reg.set_index("cvr")["treatment_year"]
    frame = pd.DataFrame(
        {
            "id": long["cvr"].astype("int64"),
            "year": long["year"],
            "y": long[OUTCOME],
            "g": long["cvr"].map(cohort).fillna(0).astype(int),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CallawaySantAnna(
            control_group="never_treated" if control_group == "never" else "not_yet_treated",
            anticipation=anticipation,
            estimation_method="reg",
            base_period="universal",
            **kw,
        ).fit(frame, outcome="y", unit="id", time="year", first_treat="g")


def _config(**kw) -> EstimatorConfig:
    return EstimatorConfig(matched=False, outcomes=(OUTCOME,), group_types=("overall",), **kw)


@pytest.mark.slow  # the estimator and the library, three settings
@pytest.mark.parametrize(
    ("control_group", "anticipation"), [("never", 0), ("not-yet", 0), ("never", 1)]
)
def test_unmatched_effects_and_errors_equal_the_diff_diff_library(control_group, anticipation):
    reg, data = _data([2025, 2026, 2027])
    config = _config(control_group=control_group, anticipation=anticipation)
    ref = _reference(reg, data, control_group, anticipation, n_bootstrap=0)
    # group-time effects ATT(g, t)
    plan = design(data, reg, config)
    cells = comparisons(
        plan.wide, OUTCOME, plan.links, plan.firm_cohort, anticipation, control_group != "never"
    )
    everyone = np.ones(len(plan.wide.cvr), bool)
    compared = 0
    for cell in cells:
        ours = pool([cell], everyone)
        theirs = ref.group_time_effects[(cell.cohort, cell.year)]
        assert ours.estimate == pytest.approx(theirs["effect"], abs=1e-8)
        assert np.sqrt(np.sum(ours.influence**2)) == pytest.approx(theirs["se"], rel=1e-6)
        compared += 1
    assert compared == 15  # 6 + 5 + 4 cells of the three cohorts up to 2028
    # event-time effects and their errors (cohort shares enter the influence function)
    table = estimate_effects(data, reg, config).table.dropna(subset=["event_time", "std_error"])
    events = ref.aggregate("event_study").to_dataframe().set_index("event_time")
    for _, row in table.iterrows():
        theirs = events.loc[int(row["event_time"])]
        assert row["estimate"] == pytest.approx(theirs["att"], abs=1e-8)
        assert row["std_error"] == pytest.approx(theirs["se"], rel=1e-6)
    assert len(table) == 6


@pytest.mark.slow
def test_uniform_band_agrees_with_the_library_within_monte_carlo_error():
    """One cohort observed exactly at event times -3..3: both bands cover the same periods."""
    reg, data = _data([2025], participants=200, firms=1200, seed=5)
    data = data[data["year"].between(2022, 2028)]
    table = estimate_effects(data, reg, _config(bootstrap_draws=1999, seed=4)).table
    rows = table.dropna(subset=["band_upper"])
    critical = ((rows["band_upper"] - rows["estimate"]) / rows["std_error"]).to_numpy()
    assert np.allclose(critical, critical[0])  # one critical value for the group's event times
    assert len(rows) == 6
    ref = _reference(reg, data, "never", 0, n_bootstrap=1999, seed=4, cband=True)
    theirs = ref.aggregate("event_study").cband_crit_value
    assert 2.0 < critical[0] < 3.5
    # the 95 % quantile of a sup over 6 correlated t's from 1999 draws: Monte Carlo sd ~ 0.04
    assert critical[0] == pytest.approx(theirs, abs=0.15)


def test_matched_contrast_equals_the_mean_of_participants_own_contrasts():
    """Recomputed from the links with pandas: each participant's change minus the weighted,
    bias-corrected change of its own surviving matches (the correction's slope from a regression
    of the control pool's change with cell dummies, not the estimator's within-cell demeaning);
    a participant's weights renormalised to 1."""
    reg, data = _data([2026], participants=150, firms=1200, seed=7)
    config = EstimatorConfig(outcomes=(OUTCOME,), group_types=("overall",))
    plan = design(data, reg, config)
    gone = int(plan.wide.cvr[plan.links.control[0]])  # exits in 2027: out of that comparison
    data = data[~(data["cvr"].astype("int64").eq(gone) & data["year"].eq(2027))]
    plan = design(data, reg, config)
    long = add_outcomes(data).assign(cvr=lambda d: d["cvr"].astype("int64"))
    wide = long.pivot(index="cvr", columns="year", values=OUTCOME)
    dy = wide[2027] - wide[2025]
    links = plan.links
    pool = pd.DataFrame(links.pool_x, columns=[f"x{j}" for j in range(links.pool_x.shape[1])])
    pool["cell"] = links.pool_cell
    pool["dy"] = dy.reindex(plan.wide.cvr[links.pool]).to_numpy()
    pool = pool.dropna(subset=["dy"])
    features = [c for c in pool.columns if c.startswith("x")]
    design_matrix = np.hstack(
        [pool[features].to_numpy(), pd.get_dummies(pool["cell"], dtype=float).to_numpy()]
    )
    beta = np.linalg.lstsq(design_matrix, pool["dy"].to_numpy(), rcond=None)[0][: len(features)]
    pairs = pd.DataFrame(
        {
            "t": plan.wide.cvr[links.treated],
            "c": plan.wide.cvr[links.control],
            "w": links.weight,
            "shift": links.gap @ beta,
        }
    )
    pairs["dy_c"] = pairs["c"].map(dy)
    pairs = pairs.dropna(subset=["dy_c"])
    pairs["w"] = pairs["w"] / pairs.groupby("t")["w"].transform("sum")
    control_change = (pairs["w"] * (pairs["dy_c"] + pairs["shift"])).groupby(pairs["t"]).sum()
    by_hand = (dy.reindex(control_change.index) - control_change).mean()
    cells = comparisons(plan.wide, OUTCOME, links, plan.firm_cohort, 0, False)
    ours = next(c for c in cells if c.year == 2027)
    assert ours.tau.mean() == pytest.approx(by_hand, abs=1e-10)
    assert gone not in set(plan.wide.cvr[ours.link_control])
    plain = (pairs["w"] * pairs["dy_c"]).groupby(pairs["t"]).sum()
    assert abs(by_hand - (dy.reindex(plain.index) - plain).mean()) > 1e-6  # it corrects


def test_a_firm_missing_one_year_stays_in_every_other_comparison():
    """Unbalanced panel: a participant without 2028 leaves the t+2 comparison only."""
    reg, data = _data([2026], participants=150, firms=1200, seed=8)
    config = EstimatorConfig(outcomes=(OUTCOME,), group_types=("overall",))
    full = estimate_effects(data, reg, config).table.set_index("period")
    lost = reg["cvr"].iloc[:5]
    holes = estimate_effects(
        data[~(data["cvr"].isin(lost) & data["year"].eq(2028))], reg, config
    ).table.set_index("period")
    assert holes.loc["t+2", "firms_treated"] == full.loc["t+2", "firms_treated"] - 5
    assert holes.loc["t+1", "firms_treated"] == full.loc["t+1", "firms_treated"]
    assert holes.loc["t+1", "estimate"] == pytest.approx(full.loc["t+1", "estimate"], abs=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
def test_chi2_survival_matches_scipy(k):
    from scipy.stats import chi2

    for x in (0.1, 1.0, 4.2, 15.0):
        assert chi2_sf(x, k) == pytest.approx(chi2.sf(x, k), abs=1e-12)
