"""The estimator against independent computations: a hand-computed 2x2, a TWFE event study,
the ``differences`` library's Callaway-Sant'Anna ATT(g,t), and scipy's chi-squared."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.evaluation.did import cell_effects, chi2_sf, event_study
from pipelines.evaluation.outcomes import add_outcomes
from tests.evaluation.helpers import panel, register


def _sample(cohorts: list[int], firms: int = 1500, seed: int = 3) -> pd.DataFrame:
    reg = register(participants=300, seed=seed).assign(
        treatment_year=lambda d: np.resize(cohorts, len(d))
    )
    data = add_outcomes(panel(reg, firms=firms, effect_pct=5.0, seed=seed))
    cohort = reg.set_index("cvr")["treatment_year"]
    return pd.DataFrame(
        {
            "cvr": data["cvr"],
            "year": data["year"],
            "cohort": data["cvr"].map(cohort).astype(float),
            "weight": 1.0,
            "y": data["log_value_added_per_fte"],
        }
    )


def test_single_cohort_equals_hand_computed_2x2():
    sample = _sample([2026])
    study = event_study(sample, 2028)
    wide = sample.pivot(index="cvr", columns="year", values="y")
    treated = sample.drop_duplicates("cvr").set_index("cvr")["cohort"].notna()
    change = wide[2027] - wide[2025]
    by_hand = change[treated].mean() - change[~treated].mean()
    got = study.events.set_index("event_time").loc[1, "estimate"]
    assert got == pytest.approx(by_hand, abs=1e-12)


@pytest.mark.slow  # the estimator against a TWFE regression
def test_single_cohort_equals_twfe_event_study():
    sample = _sample([2026]).query("year >= 2023")
    study = event_study(sample, 2028)
    firms = pd.get_dummies(sample["cvr"].astype(str), drop_first=False, dtype=float)
    years = pd.get_dummies(sample["year"], drop_first=True, dtype=float)
    rel = sample["year"] - sample["cohort"]
    events = pd.DataFrame({f"e{e}": (rel == e).astype(float) for e in (-3, -2, 0, 1, 2)})
    x = np.hstack([firms.to_numpy(), years.to_numpy(), events.to_numpy()])
    beta = np.linalg.lstsq(x, sample["y"].to_numpy(), rcond=None)[0][-5:]
    ours = study.events.set_index("event_time").loc[[-3, -2, 0, 1, 2], "estimate"].to_numpy()
    np.testing.assert_allclose(ours, beta, atol=1e-9)


@pytest.mark.slow  # the estimator against the differences library
def test_staggered_cells_and_errors_match_the_differences_library():
    from differences import ATTgt

    sample = _sample([2025, 2026, 2027]).query("year >= 2022")
    study = event_study(sample, 2028)
    ours = study.cells.set_index(["cohort", "year"])
    frame = sample.assign(firm=pd.factorize(sample["cvr"])[0]).set_index(["firm", "year"])
    att = ATTgt(data=frame[["cohort", "y"]], cohort_column="cohort", base_period="universal")
    att.filter_gt(base_period="universal", relative_period_start=-3, relative_period_end=3)
    att.fit(formula="y", est_method="reg", control_group="never_treated", progress_bar=False)
    theirs = att.results().droplevel("base_period")
    theirs.columns = [c[-1] for c in theirs.columns]
    theirs.index = pd.MultiIndex.from_arrays(
        [theirs.index.get_level_values(i).astype(int) for i in (0, 1)], names=["cohort", "year"]
    )
    ours.index = pd.MultiIndex.from_arrays(
        [ours.index.get_level_values(i).astype(int) for i in (0, 1)], names=["cohort", "year"]
    )
    joined = ours.join(theirs[["ATT", "std_error"]], how="inner", rsuffix="_lib")
    assert len(joined) == len(ours) == len(theirs[theirs["std_error"] > 0])
    np.testing.assert_allclose(joined["estimate"], joined["ATT"], atol=1e-10)
    np.testing.assert_allclose(joined["std_error"], joined["std_error_lib"], rtol=0.01)


def test_influence_functions_give_firm_clustered_errors():
    sample = _sample([2026], firms=800)
    table, psi = cell_effects(sample.query("year >= 2023"))
    assert psi.shape == (sample["cvr"].nunique(), len(table))
    assert np.allclose(psi.sum(axis=0), 0, atol=1e-12)  # influence functions are centred


def test_cell_effects_refuse_a_firm_year_twice():
    sample = _sample([2026], firms=800).query("year >= 2023")
    twice = pd.concat([sample, sample.iloc[[5]]])
    with pytest.raises(ValueError, match="firm and year more than once"):
        cell_effects(twice)


def test_cell_effects_do_not_depend_on_row_order():
    sample = _sample([2025, 2026], firms=800).query("year >= 2022")
    shuffled = sample.sample(frac=1.0, random_state=1)
    table, psi = cell_effects(sample)
    table_s, psi_s = cell_effects(shuffled)
    pd.testing.assert_frame_equal(table, table_s)
    assert np.array_equal(psi, psi_s)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
def test_chi2_survival_matches_scipy(k):
    from scipy.stats import chi2

    for x in (0.1, 1.0, 4.2, 15.0):
        assert chi2_sf(x, k) == pytest.approx(chi2.sf(x, k), abs=1e-12)
