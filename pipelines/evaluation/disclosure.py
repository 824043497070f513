"""Disclosure control of the effect estimates: the rules, and an audit of what a reader can
work out.

**Primary suppression** (:func:`cell_reason`). A published number about firms is withheld when

* fewer than ``min_firms`` participating firms stand behind it (DST's count rule, "fewer than 3
  units");
* one participant carries more than ``max_share`` of it (DST's dominance rule, applied to what
  is published: an estimate is the mean of the participants' own contrasts
  ``tau_i = dy_i - sum_c w_ic dy_c``, and the share of participant i is ``|tau_i| / sum |tau|``);
* the comparison side is too thin: the effective number of controls (1 / sum w^2 of their
  normalised weights) is below ``min_firms``, or one control carries more than ``max_share`` of
  the comparison weight (a control matched to many participants counts once per weight, not
  once per firm).

**Secondary suppression** (:func:`audit`). Every published estimate is a linear function of
the participants' own contrasts, one per participant and period (``Cell.coords``/``coef``: a
cell's estimate is the mean of its participants' contrasts; ``overall`` and ``placebo`` average
periods). A reader who knows the method and which firms stand behind which cell (the register is
public; the audit assumes the reader knows all of it: overlapping clusters, groups of different
types that share or differ by a few firms, attrition) can form any linear combination of the
published estimates, i.e. any vector of the row space of the published cells' coefficient
matrix. The audit withholds published cells until that row space holds no withheld cell's
coefficients and no vector that touches fewer than ``min_firms`` firms. Such a vector takes the
same value on firms behind exactly the same cells with the same weights, so it is enough to test
the sets of fewer than ``min_firms`` such firms (a set of coordinates S is reached when the
largest singular value of the orthonormal row-space basis restricted to S is 1). Each complement
is, of the published cells the derivation reads, the one with the fewest firms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from pipelines.evaluation.did import PERIOD_CODES, sum_by

DEFAULT_MIN_FIRMS = 3
DEFAULT_MAX_SHARE = 0.5
TOLERANCE = 1e-9


@dataclass(frozen=True)
class DisclosureRule:
    min_firms: int = DEFAULT_MIN_FIRMS
    max_share: float = DEFAULT_MAX_SHARE

    def __post_init__(self) -> None:
        if self.min_firms < 1 or not 0 < self.max_share <= 1:
            raise ValueError("disclosure rule: min_firms >= 1 and 0 < max_share <= 1")


@dataclass
class Cell:
    """One published number and the firms behind it (kept inside the research environment)."""

    outcome: str
    group_type: str
    group_value: str
    period: str
    estimate: float  # NaN: not estimable (no number, nothing to protect)
    treated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    contribution: np.ndarray = field(default_factory=lambda: np.zeros(0))
    controls: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    control_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    coords: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))  # estimate = coef . contrasts
    reason: str = ""  # why it is withheld ("" = published)
    virtual: bool = False  # an 'all' the table does not carry, still tied to its groups
    known: bool = False  # withheld, yet a reader can tell its value (an outcome that does not
    # vary): it enters the identities as a published cell would

    @property
    def firms(self) -> int:
        return len(self.treated)

    @property
    def has_number(self) -> bool:
        return bool(np.isfinite(self.estimate))

    def label(self) -> str:
        return f"{self.group_type} {self.group_value} {self.period}"


def combination_reason(cells: list[Cell], rule: DisclosureRule) -> str:
    """Why the cells' estimates may not be published together ("" = they may): the count and
    dominance rules on the participants behind them, and the comparison side's rules."""
    _, contribution = sum_by(
        np.concatenate([c.treated for c in cells]),
        np.concatenate([c.contribution for c in cells]),
    )
    size = np.abs(contribution)
    if len(contribution) < rule.min_firms:
        return f"fewer than {rule.min_firms} firms"
    if size.sum() > 0 and size.max() / size.sum() > rule.max_share:
        return f"one firm carries more than {rule.max_share:.0%} of the estimate"
    _, weight = sum_by(
        np.concatenate([c.controls for c in cells]),
        np.concatenate([c.control_weight for c in cells]),
    )
    if weight.sum() <= 0:
        return "no comparison firms"
    weight = weight / weight.sum()
    if 1.0 / np.sum(weight**2) < rule.min_firms:
        return f"fewer than {rule.min_firms} effective comparison firms"
    if weight.max() > rule.max_share:
        return f"one comparison firm carries more than {rule.max_share:.0%} of the comparison"
    return ""


def cell_reason(cell: Cell, rule: DisclosureRule) -> str:
    """Primary suppression of one cell."""
    return combination_reason([cell], rule)


def audit(cells: list[Cell], rule: DisclosureRule) -> list[tuple[int, str]]:
    """Secondary suppression: (cell index, reason) to add, per outcome, until the published
    cells give away no withheld cell and nothing about fewer than ``min_firms`` firms. Cells'
    primary reasons must be set already.

    The audit decomposes thousands of small matrices: the BLAS library runs them on one thread,
    since threads that wait for a busy core cost far more than such matrices gain from them."""
    added: list[tuple[int, str]] = []
    with threadpool_limits(limits=1, user_api="blas"):
        for outcome in sorted({c.outcome for c in cells}):
            index = [i for i, c in enumerate(cells) if c.outcome == outcome]
            found = _audit_outcome([cells[i] for i in index], rule)
            added += [(index[k], why) for k, why in found]
    return added


def _audit_outcome(cells: list[Cell], rule: DisclosureRule) -> list[tuple[int, str]]:
    numbered = [k for k, c in enumerate(cells) if c.has_number]
    if not numbered:
        return []
    coords = np.unique(np.concatenate([cells[k].coords for k in numbered]))
    matrix = np.zeros((len(cells), len(coords)))
    for k in numbered:
        np.add.at(matrix[k], np.searchsorted(coords, cells[k].coords), cells[k].coef)
    added: list[tuple[int, str]] = []
    accepted: set[bytes] = set()  # leaks only guessable cells give away: nothing to withhold
    while True:
        shown = [
            k for k in numbered if (not cells[k].reason or cells[k].known) and not cells[k].virtual
        ]
        published = matrix[shown]
        basis = _row_space(published)
        leak = _first_leak(cells, matrix, numbered, published, basis, coords, rule, accepted)
        if leak is None:
            return added
        target, label, key = leak
        weights, *_ = np.linalg.lstsq(published.T, target, rcond=None)
        reads = [shown[i] for i in np.flatnonzero(np.abs(weights) > 1e-9 * np.abs(weights).max())]
        candidates = [k for k in reads if not cells[k].reason]
        if not candidates:
            accepted.add(key)
            continue
        pick = min(candidates, key=lambda k: (cells[k].firms, k))
        cells[pick].reason = (
            f"withheld: the published cells would {label}"
            if label.startswith("single out")
            else f"withheld with {label}: the published cells would give it away"
        )
        added.append((pick, cells[pick].reason))


def _first_leak(
    cells: list[Cell],
    matrix: np.ndarray,
    numbered: list[int],
    published: np.ndarray,
    basis: np.ndarray,
    coords: np.ndarray,
    rule: DisclosureRule,
    accepted: set[bytes],
) -> tuple[np.ndarray, str, bytes] | None:
    """A withheld cell, or a combination about fewer than ``min_firms`` firms, that the row
    space of the published cells reaches: (its coefficients, what it is, a key)."""
    for k in numbered:
        cell = cells[k]
        if not cell.reason or cell.known or cell.virtual:
            continue
        row = matrix[k]
        rest = row - basis.T @ (basis @ row) if len(basis) else row
        key = f"cell {k}".encode()
        if np.linalg.norm(rest) <= 1e-8 * np.linalg.norm(row) and key not in accepted:
            return row, cell.label(), key
    firm = coords // PERIOD_CODES
    for columns in _small_sets(published, basis, coords, rule.min_firms):
        key = columns.tobytes()
        if key in accepted:
            continue
        vector = _reached(basis, columns)
        if vector is not None:
            who = len(np.unique(firm[columns]))
            return vector, f"single out {who} firm(s)", key
    return None


def _row_space(matrix: np.ndarray) -> np.ndarray:
    """Orthonormal basis (rows) of the row space."""
    if matrix.shape[0] == 0:
        return np.zeros((0, matrix.shape[1]))
    _, s, vt = np.linalg.svd(matrix, full_matrices=False)
    rank = int((s > TOLERANCE * max(s.max(initial=0.0), 1e-300)).sum())
    return vt[:rank]


def _reached(basis: np.ndarray, columns: np.ndarray) -> np.ndarray | None:
    """A row-space vector that lives on ``columns`` only, if there is one."""
    if not len(basis) or not len(columns):
        return None
    u, s, _ = np.linalg.svd(basis[:, columns], full_matrices=False)
    if s[0] < 1 - 1e-8:
        return None
    return u[:, 0] @ basis


def _small_sets(
    published: np.ndarray, basis: np.ndarray, coords: np.ndarray, min_firms: int
) -> list[np.ndarray]:
    """Column sets of fewer than ``min_firms`` firms that a row-space vector could live on.

    A row-space vector takes the same value on firms whose columns are identical, so the firms
    fall into blocks and a vector about fewer than ``min_firms`` firms lives on blocks of fewer
    firms than that: every such block, and every pair of one-firm blocks that could reach (by
    Weyl's inequality: the larger of their own reach plus their coupling)."""
    firm, period = coords // PERIOD_CODES, coords % PERIOD_CODES
    used = np.flatnonzero(np.abs(published).sum(axis=0) > 0)
    by_firm: dict[int, list[int]] = {}
    for column in used:
        by_firm.setdefault(int(firm[column]), []).append(int(column))
    blocks: dict[bytes, list[int]] = {}
    for f, cols in by_firm.items():
        signature = period[cols].tobytes() + np.round(published[:, cols], 12).tobytes()
        blocks.setdefault(signature, []).append(f)
    sets, singles = [], []
    for members in blocks.values():
        if len(members) < min_firms:
            columns = np.concatenate([by_firm[f] for f in members]).astype(np.int64)
            sets.append(columns)
            if len(members) == 1:
                singles.append(columns)
    if min_firms > 2 and len(singles) > 1 and len(basis):
        sets += _coupled_pairs(basis, singles)
    return sets


def _coupled_pairs(basis: np.ndarray, singles: list[np.ndarray], chunk: int = 256) -> list:
    """Pairs of one-firm blocks whose joint reach can be 1: max(reach_a, reach_b) + coupling."""
    columns = np.concatenate(singles)
    starts = np.cumsum([0] + [len(s) for s in singles[:-1]])
    part = basis[:, columns]
    reach = np.array([np.linalg.norm(basis[:, s], 2) ** 2 for s in singles])
    out = []
    for first in range(0, len(singles), chunk):
        block = singles[first : first + chunk]
        gram = basis[:, np.concatenate(block)].T @ part
        local = np.cumsum([0] + [len(s) for s in block[:-1]])
        square = np.add.reduceat(np.add.reduceat(gram**2, local, axis=0), starts, axis=1)
        for i, coupling in enumerate(np.sqrt(square)):
            a = first + i
            for b in np.flatnonzero(np.maximum(reach[a], reach) + coupling >= 1 - 1e-8):
                if b > a:
                    out.append(np.concatenate([singles[a], singles[b]]))
    return out
