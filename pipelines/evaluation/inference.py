"""Inference from the firm-level influence functions: errors, uniform bands, tests, power.

* Standard errors: the square root of the summed squared influence values (firm-clustered:
  one value per firm and period).
* Uniform 95 % bands over the event times of an outcome and group: a multiplier bootstrap
  (Rademacher weights, one per firm, the same draw across periods so their covariance is kept;
  seeded) of the sup-t statistic, as Callaway and Sant'Anna's ``did`` does with ``cband``.
* Pre-trend test: a Wald test that the pre-entry event-time effects are all zero.
* Minimum detectable effect at 80 % power, 5 % two-sided: (z_0.975 + z_0.8) x SE.
* Rambachan-Roth relative magnitudes: the post-entry trend difference may change from one year
  to the next by up to M-bar times the largest change seen before entry. The identified set of
  the mean of event times 0..3 is the estimate +- 2.5 M-bar x that largest pre-entry change
  (the bias can grow by one step a year: 1, 2, 3, 4 steps at event times 0..3), and its robust
  CI adds the sampling error. ``breakdown_mbar`` is the largest M-bar at which that CI still
  excludes 0 (0 when the CI already covers 0).
"""

from __future__ import annotations

import math

import numpy as np

from pipelines.evaluation.did import Pooled

Z95 = 1.959963984540054
Z80 = 0.8416212335729143
MDE_FACTOR = Z95 + Z80
BAND_LEVEL = 0.95


def std_error(period: Pooled) -> float:
    return float(np.sqrt(np.sum(period.influence**2)))


def covariance(periods: list[Pooled]) -> np.ndarray:
    """Firm-clustered covariance of several periods' estimates (of one outcome and group)."""
    firms = np.unique(np.concatenate([p.firms for p in periods]))
    psi = np.zeros((len(firms), len(periods)))
    for k, p in enumerate(periods):
        psi[np.searchsorted(firms, p.firms), k] = p.influence
    return psi.T @ psi


class Multipliers:
    """One Rademacher weight per firm and bootstrap draw, fixed for a run (seeded)."""

    def __init__(self, rows: np.ndarray, draws: int, seed: int) -> None:
        self.rows = np.unique(rows)
        rng = np.random.default_rng(seed)
        signs = rng.integers(0, 2, (draws, len(self.rows)), dtype=np.int8) * 2 - 1
        self.weights = signs.astype(float)  # draws x firms: one matrix product per group

    def draw(self, periods: list[Pooled]) -> np.ndarray:
        """Bootstrap draws (draws x periods) of the periods' estimation errors."""
        dense = np.zeros((len(self.rows), len(periods)))
        for k, p in enumerate(periods):
            dense[np.searchsorted(self.rows, p.firms), k] = p.influence
        return self.weights @ dense


def band_critical_value(periods: list[Pooled], multipliers: Multipliers) -> float:
    """The sup-t critical value giving 95 % simultaneous coverage over ``periods``, never below
    the pointwise one: a band narrower than a period's own CI would cover it less than alone
    (with few firms, a binary outcome's multiplier draws can spread less than its analytic
    error)."""
    se = np.array([std_error(p) for p in periods])
    use = se > 0
    if not use.any():
        return float("nan")
    draws = multipliers.draw([p for p, u in zip(periods, use, strict=True) if u])
    t_max = np.max(np.abs(draws) / se[use], axis=1)
    return max(float(np.quantile(t_max, BAND_LEVEL)), Z95)


def wald_p_value(periods: list[Pooled]) -> float | None:
    """p-value of the joint test that the periods' effects are all zero (None: nothing to
    test)."""
    if not periods:
        return None
    est = np.array([p.estimate for p in periods])
    cov = covariance(periods)
    stat = float(est @ np.linalg.pinv(cov) @ est)
    return chi2_sf(stat, int(np.linalg.matrix_rank(cov)))


def breakdown_mbar(
    overall: float, overall_se: float, pre_effects: dict[int, float], reference: int
) -> float:
    """Largest relative magnitude M-bar at which the robust CI of ``overall`` (mean of event
    times 0..3) excludes 0; NaN without pre-entry periods to learn the trend changes from."""
    if not pre_effects:
        return float("nan")
    margin = abs(overall) - Z95 * overall_se
    if not math.isfinite(margin) or margin <= 0:
        return 0.0
    path = {**pre_effects, reference: 0.0}
    times = sorted(path)
    changes = [abs(path[b] - path[a]) for a, b in zip(times, times[1:], strict=False)]
    largest = max(changes, default=0.0)
    steps = np.mean([e - reference for e in range(0, 4)])  # 1..4 steps after the reference
    return float(margin / (steps * largest)) if largest > 0 else float("nan")


def chi2_sf(x: float, k: int) -> float:
    """P(X > x) for X ~ chi-squared with k degrees of freedom (closed form for integer k).

    Written out so the estimator needs no scipy (a heavy import for one function).
    """
    if k < 1:
        return float("nan")
    half = x / 2
    if k % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, k // 2):
            term *= half / i
            total += term
        return float(math.exp(-half) * total)
    total = math.erfc(math.sqrt(half))
    term = math.sqrt(2 * x / math.pi) * math.exp(-half)  # k = 3; each further 2 df: x/(2j+1)
    for j in range(1, (k - 1) // 2 + 1):
        total += term
        term *= x / (2 * j + 1)
    return float(total)
