"""The comparison group: exact cells plus nearest neighbours on pre-period outcomes.

Every participant is matched to its ``k`` nearest never-participating firms (with replacement)
in the same exact cell: 2-digit industry, size group and region in the base year (the year
before the programme starts, so before every cohort's entry). Within the cell the distance is
Euclidean on standardised pre-period outcomes: the level of log productivity and log turnover
in the base year and the yearly growth (OLS slope) of log productivity and log FTE over the
``growth_years`` before it, from at least 4 years (a slope over several years is far less noisy
than a two-point change, so the matched firms share the participants' growth, not only its
luck); the growth features weigh double. Matching directly on pre-period growth is what
removes the selection the evaluation fears most (firms that were already growing join); a
propensity score would have to model that same growth and adds a specification to defend, and
cells are small enough for exact distances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.evaluation.outcomes import size_group

CELL = ("industry", "size_group", "region")
FEATURES = ("lp_base", "lt_base", "lp_slope", "lf_slope")
# The growth features carry the selection the design must remove, so they weigh double.
FEATURE_WEIGHTS = np.array([1.0, 0.5, 2.0, 1.0])
MIN_SLOPE_YEARS = 4


@dataclass(frozen=True)
class Matches:
    pairs: pd.DataFrame  # treated_cvr, control_cvr, weight (1/k of the treated firm)
    unmatched: tuple[int, ...]  # participants without data to match on or no control in cell
    firms: pd.DataFrame  # one row per firm: cvr, cell, size_group and the matching features


def _slopes(
    panel: pd.DataFrame, first: int, last: int, column: str, min_years: int = MIN_SLOPE_YEARS
) -> pd.Series:
    """Per firm OLS slope of ``column`` on year over the years it has in ``first..last``."""
    rows = panel.loc[panel["year"].between(first, last), ["cvr", "year", column]].dropna()
    rows = rows[rows.groupby("cvr")["year"].transform("size") >= min_years]
    means = rows.groupby("cvr")[["year", column]].transform("mean")  # one grouping, both means
    t = rows["year"] - means["year"]
    y = rows[column] - means[column]
    sums = pd.DataFrame({"cvr": rows["cvr"], "ty": t * y, "tt": t * t}).groupby("cvr").sum()
    return sums["ty"] / sums["tt"]


def baseline(panel: pd.DataFrame, base_year: int, growth_years: int) -> pd.DataFrame:
    """One row per firm with its base-year cell and the pre-period features (NaN if missing)."""
    base = panel[panel["year"] == base_year].set_index("cvr")
    first = base_year - growth_years
    firms = pd.DataFrame(
        {
            "industry": base["industry"],
            "region": base["region"],
            "size_group": size_group(base["fte"]),
            "lp_base": base["log_value_added_per_fte"],
            "lt_base": base["log_turnover"],
            "lp_slope": _slopes(panel, first, base_year, "log_value_added_per_fte"),
            "lf_slope": _slopes(panel, first, base_year, "log_fte"),
        }
    )
    firms.index.name = "cvr"
    return firms.reset_index()


def _nearest(
    treated: np.ndarray, t_cvr: np.ndarray, controls: np.ndarray, c_cvr: np.ndarray, k: int
) -> list[tuple[int, int, float]]:
    dist = ((treated[:, None, :] - controls[None, :, :]) ** 2).sum(axis=2)
    take = min(k, len(controls))
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :take]
    return [
        (int(tc), int(c_cvr[j]), 1.0 / take)
        for tc, row in zip(t_cvr, nearest, strict=True)
        for j in row
    ]


def match(
    panel: pd.DataFrame,
    treated_cvrs: set[int],
    base_year: int,
    neighbours: int = 3,
    growth_years: int = 9,
) -> Matches:
    """Match each participant to its nearest never-participants within its exact cell."""
    firms = baseline(panel, base_year, growth_years)
    complete = firms.dropna(subset=[*CELL, *FEATURES])
    is_treated = complete["cvr"].isin(treated_cvrs)
    scale = complete[list(FEATURES)].std().replace(0, 1).to_numpy()
    features = complete[list(FEATURES)].to_numpy() / scale * FEATURE_WEIGHTS
    cvrs = complete["cvr"].to_numpy()
    cells = complete.groupby(list(CELL), sort=True).indices
    treated_mask = is_treated.to_numpy()
    pairs: list[tuple[int, int, float]] = []
    for rows in cells.values():
        t, c = rows[treated_mask[rows]], rows[~treated_mask[rows]]
        if len(t) and len(c):
            pairs += _nearest(features[t], cvrs[t], features[c], cvrs[c], neighbours)
    frame = pd.DataFrame(pairs, columns=["treated_cvr", "control_cvr", "weight"])
    matched = set(frame["treated_cvr"])
    unmatched = tuple(sorted(c for c in treated_cvrs if c not in matched))
    return Matches(frame, unmatched, firms)


def balance(firms: pd.DataFrame, pairs: pd.DataFrame, participants: set[int]) -> pd.DataFrame:
    """Standardised mean differences of the features: participants vs all others and vs matched."""
    indexed = firms.set_index("cvr")[list(FEATURES)]
    treated = indexed.loc[pairs["treated_cvr"].unique()]
    others = indexed[~indexed.index.isin(participants)].dropna()
    controls = indexed.loc[pairs["control_cvr"]]
    w = pairs["weight"].to_numpy()
    sd = np.sqrt((treated.var() + others.var()) / 2).replace(0, 1)
    matched_mean = controls.mul(w, axis=0).sum() / w.sum()
    return pd.DataFrame(
        {
            "smd_all_firms": (treated.mean() - others.mean()) / sd,
            "smd_matched": (treated.mean() - matched_mean) / sd,
        }
    )
