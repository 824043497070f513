"""Small seeded panels built to break a matched staggered DiD estimator (simulation tests).

``simulate(kind, ...)`` returns ``(panel, register)`` in the panel contract: one row per
firm-year 2015-2030, entry cohorts 2025, 2026 and 2027 (so every cohort reaches t+3), and a
planted effect of ``effect`` on log productivity (log value added per FTE) from event time +1 on.
Log productivity is ``a_i + b_i (year - 2015) + common year shock + e_it (+ effect)`` and
log FTE ``f_i + c_i (year - 2015) + noise``; each ``kind`` adds one threat:

* ``industry_shocks``: cohort 2025's participants come from industries 10/16, 2026's from
  20/22, 2027's from 25/26 (controls spread over all six); every industry has its own random
  walk of yearly shocks, and the later cohorts' industries (20, 22, 25, 26) boom from 2027 on
  (+0.03 a year extra growth for every firm in them, participants and controls alike).
* ``selection_growth``: participants grow 0.02 a year faster in log productivity (and 0.01 in
  log FTE) before and after joining; no effect from that beyond the planted one.
* ``noisy_level``: participants' permanent productivity level is 0.2 log higher and every
  firm-year carries large transitory noise (sd 0.15); no differential trend.
* ``exits``: firms exit (their rows stop) with a hazard of about 3.5 % a year, higher for
  low-productivity firm-years (participants only after their entry year: they were active when
  they joined); about 3 % of firm-years have negative value added, more often low-productivity
  ones, which leaves log productivity undefined in those years.

Small enough (a few thousand firms) that one estimate with one outcome and one group takes well
under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synthetic.firm_panel import _cvrs

KINDS = ("industry_shocks", "selection_growth", "noisy_level", "exits")
FIRST_YEAR, LAST_YEAR = 2015, 2030
COHORTS = (2025, 2026, 2027)
INDUSTRIES = ("10", "16", "20", "22", "25", "26")
COHORT_INDUSTRIES = {2025: ("10", "16"), 2026: ("20", "22"), 2027: ("25", "26")}
BOOM_INDUSTRIES = ("20", "22", "25", "26")  # the later cohorts' industries
BOOM_FROM, BOOM_GROWTH = 2027, 0.03
REGIONS = (81, 82, 83, 84, 85)
REGION_WEIGHTS = (0.11, 0.23, 0.22, 0.14, 0.30)
PLANTED = float(np.log(1.08))


def simulate(
    kind: str,
    firms: int = 3000,
    participants: int = 300,
    effect: float = PLANTED,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel, register) of one kind of panel; deterministic for its arguments."""
    if kind not in KINDS:
        raise ValueError(f"kind: one of {KINDS}")
    rng = np.random.default_rng([KINDS.index(kind), seed])
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    n, t = firms, len(years)
    part = np.arange(n) < participants
    cohort = np.full(n, np.nan)
    cohort[part] = rng.permutation(np.resize(COHORTS, participants))

    industry = rng.choice(INDUSTRIES, n)
    if kind == "industry_shocks":
        for g, own in COHORT_INDUSTRIES.items():
            at = cohort == g
            industry[at] = rng.choice(own, int(at.sum()))
    region = rng.choice(REGIONS, n, p=REGION_WEIGHTS)

    since = (years - FIRST_YEAR)[None, :].astype(float)
    event = years[None, :] - cohort[:, None]  # NaN for never-participants
    level = rng.normal(np.log(650_000), 0.35, n) + np.where(
        part & (kind == "noisy_level"), 0.2, 0.0
    )
    trend = rng.normal(0.015, 0.01, n) + np.where(part & (kind == "selection_growth"), 0.02, 0.0)
    noise_sd = 0.15 if kind == "noisy_level" else 0.05
    year_shock = np.cumsum(rng.normal(0, 0.02, t))
    lp = level[:, None] + trend[:, None] * since + year_shock[None, :]
    lp = lp + rng.normal(0, noise_sd, (n, t))
    if kind == "industry_shocks":
        codes = np.searchsorted(INDUSTRIES, industry)
        walks = np.cumsum(rng.normal(0, 0.03, (len(INDUSTRIES), t)), axis=1)
        boom = (
            np.isin(INDUSTRIES, BOOM_INDUSTRIES)[:, None]
            * BOOM_GROWTH
            * np.clip(years - (BOOM_FROM - 1), 0, None)
        )
        lp = lp + (walks + boom)[codes]
    lp = lp + np.where(event >= 1, effect, 0.0)

    log_fte0 = np.clip(rng.normal(2.5, 0.9, n), np.log(1.0), np.log(240))
    fte_trend = rng.normal(0.01, 0.02, n) + np.where(part & (kind == "selection_growth"), 0.01, 0.0)
    lf = log_fte0[:, None] + fte_trend[:, None] * since + rng.normal(0, 0.04, (n, t))
    fte = np.round(np.exp(lf), 1).clip(0.5, None)
    value_added = np.exp(lp) * fte
    va_share = rng.uniform(0.25, 0.55, n)
    turnover = value_added / va_share[:, None]

    alive = np.ones((n, t), bool)
    if kind == "exits":
        z = (lp - lp.mean(axis=0)) / lp.std(axis=0)
        hazard = np.clip(0.03 * np.exp(-0.8 * z), 0, 0.5)
        may_exit = np.where(part[:, None], event >= 1, True) & (years[None, :] > FIRST_YEAR)
        exits = may_exit & (rng.random((n, t)) < hazard)
        alive = np.cumsum(exits, axis=1) == 0
        negative = rng.random((n, t)) < np.clip(0.026 * np.exp(-0.6 * z), 0, 0.5)
        value_added = np.where(negative, -rng.uniform(0.05, 0.5, (n, t)) * value_added, value_added)

    export_share = np.where(rng.random(n) < 0.45, 0.0, rng.beta(2, 3, n))
    in_rd_survey = rng.random(n) < 0.5
    rd = np.where(rng.random((n, t)) < np.where(part, 0.5, 0.12)[:, None], 0.03 * turnover, 0.0)
    rd = np.where(in_rd_survey[:, None], np.round(rd), np.nan)

    cvr = np.concatenate(
        [_cvrs(participants, set(), start=90_000_000), _cvrs(n - participants, set())]
    )
    firm, col = np.nonzero(alive)
    panel = pd.DataFrame(
        {
            "cvr": cvr[firm],
            "year": years[col],
            "fte": fte[firm, col],
            "turnover_dkk": np.round(turnover[firm, col]),
            "value_added_dkk": np.round(value_added[firm, col]),
            "export_dkk": np.round(turnover[firm, col] * export_share[firm]),
            "rd_expenditure_dkk": rd[firm, col],
            "industry": industry[firm],
            "region": region[firm],
            "is_synthetic": True,
        }
    )
    register = pd.DataFrame(
        {
            "cvr": cvr[:participants],
            "cluster_id": [f"K{i % 3 + 1:02d}" for i in range(participants)],
            "treatment_year": cohort[:participants].astype(int),
            "size_group_at_entry": "smv",
            "participation_kind": "innovation_project",
            "new_to_rd": False,
            "funding_received_dkk": 100_000.0,
        }
    )
    return panel, register
