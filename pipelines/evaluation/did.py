"""Staggered difference-in-differences: Callaway-Sant'Anna group-time effects on matched links.

ATT(g, t) for entry cohort g and year t compares the change of the outcome from the cohort's
base year b = g-1-anticipation to t between cohort g's participants and *their own* matched
controls. A firm enters the comparison when it is observed in b and in t (an unbalanced panel:
no firm is dropped for a year outside the comparison); each participant's surviving controls'
weights are renormalised to 1, and a participant with no surviving control leaves the
comparison. Each control's change is bias-corrected for what the matching left unbalanced
(:func:`_bias_correction`). So ATT(g,t) is the mean over participants of their own contrast
``tau_i = dy_i - sum_c w_ic dy_c``, and a group's estimate is the mean over its participants:
the groups' estimates weighted by their firm counts add up to the total exactly (which the
disclosure audit relies on).

Inference: the estimate is a stratified (exact-cell) difference of weighted means, so its
influence function is, per firm, ``(dy_i - m_C,s - theta) / n`` for a participant in cell s
and ``-W_c (dy_c - m_C,s) / n`` for a control carrying weight W_c, with m_C,s the cell's
weighted control mean. Cell-level shocks (an industry's boom) cancel inside the cell instead
of inflating the errors. Event-time effects pool the cohorts' participants (the cohort shares
enter the influence function as in CS's aggregation); ``overall`` is the mean of event times
0..3, ``placebo`` the mean of the pretend-entry comparisons. One influence value per firm and
period gives firm-clustered covariances across periods, which the multiplier bootstrap
(:mod:`pipelines.evaluation.inference`) draws from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.evaluation.wide import WidePanel

EVENT_WINDOW = (-3, 3)
POST_EVENTS = (0, 1, 2, 3)  # what 'overall' averages
NEVER = np.inf  # cohort of a firm that never takes part


@dataclass(frozen=True)
class Links:
    """All cohorts' matched links (panel rows), each link tagged with its cohort and cell."""

    treated: np.ndarray
    control: np.ndarray
    weight: np.ndarray
    cell: np.ndarray  # stratum: unique across cohorts
    cohort: np.ndarray  # entry year of the link's participant (the comparison it belongs to)
    base: np.ndarray  # the DiD base year of that cohort
    entry: np.ndarray  # the participant's real entry year (the placebo's cohort is earlier)
    gap: np.ndarray  # participant's minus control's features (0 columns: no bias correction)
    pool: np.ndarray  # each cohort's matchable control pool (panel rows), its features, cells
    pool_x: np.ndarray
    pool_cell: np.ndarray
    pool_cohort: np.ndarray


@dataclass(frozen=True)
class Comparison:
    """One cohort g and year t of one outcome: who entered it and each participant's contrast."""

    cohort: int
    year: int
    event_time: int
    treated: np.ndarray  # panel rows of participants in the comparison
    tau: np.ndarray  # their contrasts
    dy_treated: np.ndarray
    cell_treated: np.ndarray
    link_treated: np.ndarray  # kept links: participant row, control row, weight, cell, dy_c
    link_control: np.ndarray
    link_weight: np.ndarray  # renormalised: a participant's weights sum to 1
    link_cell: np.ndarray
    link_dy: np.ndarray  # the control's change, bias-corrected for this participant
    link_gap: np.ndarray  # participant's minus control's features (links x features)
    score_rows: np.ndarray  # the pool firms the correction's regression is fitted on
    score: np.ndarray  # their terms of the regression (rows x features)
    regression_inverse: np.ndarray  # inverse of the regression's weighted cross-product matrix


def comparisons(
    wide: WidePanel,
    outcome: str,
    links: Links,
    firm_cohort: np.ndarray,
    anticipation: int,
    not_yet: bool,
    events: tuple[int, ...] = tuple(range(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1)),
    max_year: float = np.inf,
) -> list[Comparison]:
    """Every cohort-time comparison of ``outcome`` (event times ``events``, years <=
    ``max_year``)."""
    y = wide.values[outcome]
    out: list[Comparison] = []
    for g in np.unique(links.cohort):
        at = links.cohort == g
        base = int(links.base[at][0])
        jb = wide.column(base)
        if jb is None:
            continue
        t_rows, c_rows = links.treated[at], links.control[at]
        w, cell = links.weight[at], links.cell[at]
        gap = links.gap[at]
        in_pool = links.pool_cohort == g
        p_rows, p_x, p_cell = links.pool[in_pool], links.pool_x[in_pool], links.pool_cell[in_pool]
        p_alive = np.ones(len(p_rows), bool)
        alive = np.ones(len(c_rows), bool)
        j_entry = wide.column(int(links.entry[at][0]))
        if outcome == "survival" and j_entry is not None:
            # a participant is alive when it enters; so must its controls be, or survival up to
            # entry would count as an effect (immortal time)
            alive = wide.present[c_rows, j_entry] & wide.present[t_rows, j_entry]
            p_alive = wide.present[p_rows, j_entry]
        for e in events:
            t = int(g) + e
            jt = wide.column(t)
            if t == base or jt is None or t > max_year:
                continue
            dy = y[:, jt] - y[:, jb]
            dy_c = dy[c_rows]
            ok_c = np.isfinite(dy_c) & alive
            if not_yet:  # a later participant is a control only while untreated
                ok_c &= firm_cohort[c_rows] - anticipation > max(t, base)
            w_ok = np.where(ok_c, w, 0.0)
            participants, first = np.unique(t_rows, return_index=True)
            pos = np.searchsorted(participants, t_rows)
            total = np.bincount(pos, weights=w_ok, minlength=len(participants))
            dy_t = dy[participants]
            ok_t = np.isfinite(dy_t) & (total > 0)
            keep = ok_c & ok_t[pos]
            wn = w[keep] / total[pos[keep]]
            dy_p = dy[p_rows]
            ok_p = np.isfinite(dy_p) & p_alive
            if not_yet:
                ok_p &= firm_cohort[p_rows] - anticipation > max(t, base)
            correction = _bias_correction(
                dy_p[ok_p], p_x[ok_p], np.ones(int(ok_p.sum())), p_cell[ok_p]
            )
            adjusted = dy_c[keep] + gap[keep] @ correction.beta
            control_mean = np.bincount(
                pos[keep], weights=wn * adjusted, minlength=len(participants)
            )
            out.append(
                Comparison(
                    cohort=int(g),
                    year=t,
                    event_time=e,
                    treated=participants[ok_t],
                    tau=(dy_t - control_mean)[ok_t],
                    dy_treated=dy_t[ok_t],
                    cell_treated=cell[first][ok_t],
                    link_treated=t_rows[keep],
                    link_control=c_rows[keep],
                    link_weight=wn,
                    link_cell=cell[keep],
                    link_dy=adjusted,
                    link_gap=gap[keep],
                    score_rows=p_rows[ok_p],
                    score=correction.score,
                    regression_inverse=correction.inverse,
                )
            )
    return out


@dataclass(frozen=True)
class Correction:
    beta: np.ndarray  # features
    score: np.ndarray  # links x features: w_l x~_l e_l (x~: within-cell features, e: residual)
    inverse: np.ndarray  # (sum_l w_l x~_l x~_l')^-1


def _bias_correction(
    dy: np.ndarray, x: np.ndarray, weight: np.ndarray, cell: np.ndarray
) -> Correction:
    """Abadie and Imbens' (2011) bias correction of matching: each control's change is moved by
    beta'(x_participant - x_control), with beta the within-cell regression of the change of the
    cohort's control pool on the matching features. What the nearest neighbours leave
    unbalanced on the features is then adjusted for, not left in the estimate. The regression's
    own sampling error enters the influence functions (:func:`pool`), through ``score`` and
    ``inverse``."""
    k = x.shape[1]
    if k == 0 or len(dy) <= 3 * k:
        return Correction(np.zeros(k), np.zeros((len(dy), k)), np.zeros((k, k)))
    _, inverse = np.unique(cell, return_inverse=True)
    total = np.bincount(inverse, weights=weight)

    def within(v: np.ndarray) -> np.ndarray:
        means = np.bincount(inverse, weights=weight * v) / total
        return v - means[inverse]

    xs = np.column_stack([within(x[:, j]) for j in range(k)])
    ys = within(dy)
    cross = (xs * weight[:, None]).T @ xs
    cross_inverse = np.linalg.pinv(cross)
    beta = cross_inverse @ ((xs * weight[:, None]).T @ ys)
    score = xs * (weight * (ys - xs @ beta))[:, None]
    return Correction(beta, score, cross_inverse)


@dataclass(frozen=True)
class Pooled:
    """A published period of one group: the estimate, its influence function (sparse, by
    firm), and who stands behind it (for disclosure control)."""

    estimate: float
    firms: np.ndarray  # panel rows with a nonzero influence value (participants, controls)
    influence: np.ndarray  # aligned with ``firms``
    treated: np.ndarray  # participants (panel rows) behind it
    contribution: np.ndarray  # each participant's share of the estimate (sums to it)
    controls: np.ndarray  # control panel rows
    control_weight: np.ndarray  # their weights, normalised to sum to 1
    # the estimate as a linear function of the participants' contrasts, one coordinate per
    # participant and period (see :func:`coordinate`): estimate = sum coef x contrast
    coords: np.ndarray
    coef: np.ndarray

    @property
    def firms_treated(self) -> int:
        return len(self.treated)


PERIOD_CODES = 32  # coordinate = panel row x PERIOD_CODES + period code


def coordinate(rows: np.ndarray, event: int, placebo: bool = False) -> np.ndarray:
    """One code per participant and period: event times 0..6 (t-3..t+3), placebo 16.."""
    return rows.astype(np.int64) * PERIOD_CODES + (16 if placebo else 3) + event


def pool(parts: list[Comparison], member: np.ndarray, placebo: bool = False) -> Pooled | None:
    """Pool comparisons (one event time: every cohort reaching it) over the participants in
    ``member`` (a boolean mask over panel rows). None when no participant is left."""
    sel = [(c, member[c.treated], member[c.link_treated]) for c in parts]
    n = sum(int(m.sum()) for _, m, _ in sel)
    if n == 0:
        return None
    tau = np.concatenate([c.tau[m] for c, m, _ in sel])
    theta = float(tau.sum() / n)
    rows, values, c_rows, c_weight = [], [], [], []
    for c, m, lm in sel:
        if not m.any():
            continue
        # the cell's weighted control mean (the participants' controls in that cell)
        cells, inverse = np.unique(
            np.concatenate([c.cell_treated[m], c.link_cell[lm]]), return_inverse=True
        )
        k = int(m.sum())
        link_cell = inverse[k:]
        num = np.bincount(link_cell, c.link_weight[lm] * c.link_dy[lm], len(cells))
        den = np.bincount(link_cell, c.link_weight[lm], len(cells))
        mean_c = num / np.where(den > 0, den, 1.0)
        rows += [c.treated[m], c.link_control[lm]]
        values += [
            (c.dy_treated[m] - mean_c[inverse[:k]] - theta) / n,
            -c.link_weight[lm] * (c.link_dy[lm] - mean_c[link_cell]) / n,
        ]
        if c.score.shape[1] and c.score.any():
            # the correction's slope is estimated on the cohort's control pool: its error moves
            # this group's estimate by -(mean weighted gap)' (beta_hat - beta)
            gap = (c.link_weight[lm, None] * c.link_gap[lm]).sum(axis=0) / n
            rows.append(c.score_rows)
            values.append(-(c.score @ (c.regression_inverse @ gap)))
        c_rows.append(c.link_control[lm])
        c_weight.append(c.link_weight[lm])
    firms, influence = sum_by(np.concatenate(rows), np.concatenate(values))
    controls, weight = sum_by(np.concatenate(c_rows), np.concatenate(c_weight))
    treated = np.concatenate([c.treated[m] for c, m, _ in sel])
    coords = coordinate(treated, parts[0].event_time, placebo)
    return Pooled(
        theta,
        firms,
        influence,
        treated,
        tau / n,
        controls,
        weight / weight.sum(),
        coords,
        np.full(len(coords), 1.0 / n),
    )


def average(periods: list[Pooled]) -> Pooled | None:
    """The mean of several periods of one group (``overall``, ``placebo``)."""
    if not periods:
        return None
    k = len(periods)
    firms, influence = sum_by(
        np.concatenate([p.firms for p in periods]),
        np.concatenate([p.influence for p in periods]) / k,
    )
    treated, contribution = sum_by(
        np.concatenate([p.treated for p in periods]),
        np.concatenate([p.contribution for p in periods]) / k,
    )
    controls, weight = sum_by(
        np.concatenate([p.controls for p in periods]),
        np.concatenate([p.control_weight for p in periods]) / k,
    )
    estimate = float(np.mean([p.estimate for p in periods]))
    coords = np.concatenate([p.coords for p in periods])
    coef = np.concatenate([p.coef for p in periods]) / k
    return Pooled(estimate, firms, influence, treated, contribution, controls, weight, coords, coef)


def sum_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (panel rows: non-negative integers) in order, and each one's summed
    values, added in the order given. Many keys (every firm of a cohort's control pool, many
    times over) are counted into an array as long as the panel rather than sorted; a few are
    sorted. Both add the same values in the same order."""
    if len(keys) == 0:
        return keys.astype(np.int64), values.astype(float)
    size = int(keys.max()) + 1
    if len(keys) * 8 < size:
        unique, inverse = np.unique(keys, return_inverse=True)
        return unique, np.bincount(inverse, weights=values, minlength=len(unique))
    unique = np.flatnonzero(np.bincount(keys, minlength=size))
    return unique, np.bincount(keys, weights=values, minlength=size)[unique]
