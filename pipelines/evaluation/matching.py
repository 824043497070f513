"""Each entry cohort's own comparison group: exact cells plus nearest neighbours.

Cohort g is matched on what was known before it: every participant of the cohort gets its ``k``
nearest firms of the cohort's control pool (with replacement) in the same exact cell, 2-digit
industry x size group x region in the matching year (the base year g-1-anticipation, or an
earlier year the caller caps it at). Within the cell the distance is Euclidean on standardised
outcome features taken from the years *before the cohort's event window* (up to g-4), so no year
an estimate is taken in is matched on:

* the average level of log productivity and log turnover over three years: a single year's
  level carries that year's luck, and a control chosen to equal a participant's lucky year
  regresses back afterwards (an effect from nothing);
* the yearly growth (OLS slope over up to ten years, at least four) of log productivity and log
  FTE, weighing double: the selection an evaluation of business support fears most is that
  firms already on the way up join. The slopes are noisy; each is shrunk toward its own group's
  mean (participants', controls') by its reliability (empirical Bayes), so that equal matched
  slopes mean equal expected growth, not a control whose growth was only measured high.

What the neighbours leave unbalanced is adjusted for in the comparisons (bias-corrected
matching, :func:`pipelines.evaluation.did.comparisons`). Controls are never pooled across
cohorts: a control matched for cohort 2026 stands in for cohort 2026's participants only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.evaluation.outcomes import size_code
from pipelines.evaluation.wide import WidePanel

FEATURES = ("lp_level", "lt_level", "lp_slope", "lf_slope")
FEATURE_WEIGHTS = np.array([1.0, 0.5, 2.0, 1.0])
LEVEL_YEARS = 3  # the level is averaged over the matching year and the two before it
SLOPE_YEARS = 10  # growth over up to ten years up to the matching year ...
MIN_SLOPE_YEARS = 4  # ... from at least four


@dataclass(frozen=True)
class CohortMatch:
    """Links of one cohort: each participant's controls with weight 1/k, and its cell."""

    treated: np.ndarray  # panel row of the participant, one per link
    control: np.ndarray  # panel row of the control, one per link
    weight: np.ndarray  # 1/k of the participant's links
    cell: np.ndarray  # the exact cell of the link (shared by participant and control)
    gap: np.ndarray  # participant's minus control's features (links x FEATURES)
    pool: np.ndarray  # every matchable control-pool firm (panel rows): the bias correction's
    pool_x: np.ndarray  # regression is fitted on them, with their features
    pool_cell: np.ndarray  # and cells
    unmatched_no_data: int  # participants without the features (too young, missing years)
    unmatched_no_control: int  # participants with no control in their cell


def _slope(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row OLS slope on the column index over the observed columns, the residual variance
    and the sum of squared centred years (NaN: fewer than 4 observed years)."""
    seen = np.isfinite(values)
    n = seen.sum(axis=1)
    t = np.broadcast_to(np.arange(values.shape[1], dtype=float), values.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.where(seen, t, 0).sum(axis=1) / n
        y_mean = np.where(seen, values, 0).sum(axis=1) / n
        dt = np.where(seen, t - t_mean[:, None], 0.0)
        dy = np.where(seen, values - y_mean[:, None], 0.0)
        sxx = (dt * dt).sum(axis=1)
        slope = (dt * dy).sum(axis=1) / sxx
        resid = np.where(seen, dy - slope[:, None] * dt, 0.0)
        variance = (resid**2).sum(axis=1) / (n - 2)
    enough = n >= MIN_SLOPE_YEARS
    nan = np.nan
    return np.where(enough, slope, nan), np.where(enough, variance, nan), np.where(enough, sxx, nan)


def shrink(slope: np.ndarray, variance: np.ndarray, sxx: np.ndarray) -> np.ndarray:
    """Empirical-Bayes slopes within one group of firms: each estimate pulled toward the group's
    mean by its reliability tau^2 / (tau^2 + se^2). A participant and a control with the same
    noisy slope do not have the same expected true growth when participants grow faster on
    average; after shrinking within each group, equal values mean equal expected growth. The
    noise variance is pooled over the group (se^2 = pooled residual variance / the firm's sum of
    squared centred years): a firm's own residual variance from a handful of years is itself so
    noisy that the firms it happens to make look precise would be shrunk too little."""
    ok = np.isfinite(slope) & np.isfinite(variance) & np.isfinite(sxx)
    if ok.sum() < 2:
        return slope
    se2 = float(variance[ok].mean()) / sxx
    mean = float(slope[ok].mean())
    tau2 = max(float(slope[ok].var() - se2[ok].mean()), 1e-12)
    return mean + tau2 / (tau2 + se2) * (slope - mean)


def _net_of_year(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows' values less each year's mean over all firms: a year every firm shares (a
    boom, a crisis) is neither growth nor noise of any one firm, and left in it would make every
    firm's slope look noisier than it is (and the slopes be shrunk too much)."""
    seen = np.isfinite(values)
    count = seen.sum(axis=0)
    year_mean = np.where(seen, values, 0.0).sum(axis=0) / np.maximum(count, 1)
    return values[rows] - year_mean[None, :]


def _mean_observed(values: np.ndarray) -> np.ndarray:
    """Per row mean over the observed columns (NaN where none is)."""
    seen = np.isfinite(values)
    n = seen.sum(axis=1)
    total = np.where(seen, values, 0.0).sum(axis=1)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def features(
    wide: WidePanel, rows: np.ndarray, year: int, until: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features: rows x FEATURES, exact cell key per row (-1: cannot be matched), and per slope
    its residual variance and sum of squared centred years: rows x 2 x 2). The cell is taken in
    ``year``; the outcome features from the years up to ``until`` only."""
    j, end = wide.column(year), wide.column(until)
    empty = np.full((len(rows), len(FEATURES)), np.nan)
    if j is None or end is None:
        return empty, np.full(len(rows), -1), np.full((len(rows), 2, 2), np.nan)
    lp, lt, lf = (
        _net_of_year(wide.values[name], rows)
        for name in ("log_value_added_per_fte", "log_turnover", "log_fte")
    )
    lo_level, lo_slope = max(0, end - LEVEL_YEARS + 1), max(0, end - SLOPE_YEARS + 1)
    lp_slope, *lp_noise = _slope(lp[:, lo_slope : end + 1])
    lf_slope, *lf_noise = _slope(lf[:, lo_slope : end + 1])
    table = np.column_stack(
        [
            _mean_observed(lp[:, lo_level : end + 1]),
            _mean_observed(lt[:, lo_level : end + 1]),
            lp_slope,
            lf_slope,
        ]
    )
    table[~np.isfinite(lp[:, j]) | ~np.isfinite(lt[:, j])] = np.nan  # observed in the base year
    industry = wide.industry[rows, j].astype(np.int64)
    region = wide.region[rows, j]
    size = size_code(wide.values["fte"][rows, j])
    ok = (industry >= 0) & (region > 0) & (size >= 0) & np.isfinite(table).all(axis=1)
    cell = np.where(ok, (industry * 1000 + region) * 10 + size, -1)
    return table, cell, np.stack([np.column_stack(lp_noise), np.column_stack(lf_noise)], axis=1)


def match_cohort(
    wide: WidePanel, treated: np.ndarray, pool: np.ndarray, year: int, until: int, k: int
) -> CohortMatch:
    """Match the cohort's participants (panel rows) to ``pool`` (panel rows) in the cells of
    ``year`` on features from the years up to ``until``."""
    rows = np.concatenate([treated, pool])
    table, cell, noise = features(wide, rows, year, until)
    usable = cell >= 0
    for group in (np.arange(len(rows)) < len(treated), np.arange(len(rows)) >= len(treated)):
        for column, which in ((2, 0), (3, 1)):
            variance, sxx = noise[group, which, 0], noise[group, which, 1]
            table[group, column] = shrink(table[group, column], variance, sxx)
    scale = np.nanstd(table[usable], axis=0) if usable.any() else np.ones(len(FEATURES))
    table = table / np.where(scale > 0, scale, 1.0) * FEATURE_WEIGHTS
    is_treated = np.arange(len(rows)) < len(treated)
    t_ok, c_ok = is_treated & usable, ~is_treated & usable
    links: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    no_control = 0
    order = np.argsort(cell, kind="stable")
    bounds = np.flatnonzero(np.diff(cell[order])) + 1
    for members in np.split(order, bounds):
        if cell[members[0]] < 0:
            continue
        t, c = members[t_ok[members]], members[c_ok[members]]
        if not len(t):
            continue
        if not len(c):
            no_control += len(t)
            continue
        dist = ((table[t][:, None, :] - table[c][None, :, :]) ** 2).sum(axis=2)
        take = min(k, len(c))
        nearest = np.argsort(dist, axis=1, kind="stable")[:, :take]
        links.append((np.repeat(t, take), c[nearest].ravel(), np.full(len(t) * take, 1 / take)))
    if links:
        t_idx, c_idx, weight = (np.concatenate(parts) for parts in zip(*links, strict=True))
    else:
        t_idx, c_idx, weight = np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    return CohortMatch(
        treated=rows[t_idx],
        control=rows[c_idx],
        weight=weight,
        cell=cell[t_idx],
        gap=table[t_idx] - table[c_idx],
        pool=rows[c_ok],
        pool_x=table[c_ok],
        pool_cell=cell[c_ok],
        unmatched_no_data=int((is_treated & ~usable).sum()),
        unmatched_no_control=no_control,
    )
