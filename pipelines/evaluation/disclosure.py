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

**Secondary suppression** (:func:`audit`). Published cells are tied by identities a reader can
use: within each outcome and period, the groups of a group type weighted by their firm counts
add up to ``all`` (size groups, kinds of participation, new to R&D, funding terciles, and
clusters, which the audit treats as a partition even where firms overlap); and ``overall`` is
the mean of the group's event times 0..+3. The audit solves that linear system for the withheld
cells (null space of the withheld part) and adds secondary suppression until no withheld cell is
determined, and no determined combination of withheld cells (a pair, or the withheld part of an
identity that also involves published cells) stands behind fewer than ``min_firms`` firms or
fails the dominance or comparison rules. Each complement is the published cell with the fewest
firms among the published cells the derivation reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_MIN_FIRMS = 3
DEFAULT_MAX_SHARE = 0.5
PARTITIONS = ("size_group", "cluster", "participation_kind", "new_to_rd", "funding_tercile")
OVERALL_EVENTS = ("t+0", "t+1", "t+2", "t+3")
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


def _sum_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=values, minlength=len(unique))


def combination_reason(cells: list[Cell], coef: np.ndarray, rule: DisclosureRule) -> str:
    """Why the combination sum_k coef_k x estimate_k may not be known ("" = it may)."""
    _, contribution = _sum_by(
        np.concatenate([c.treated for c in cells]),
        np.concatenate([k * c.contribution for c, k in zip(cells, coef, strict=True)]),
    )
    size = np.abs(contribution)
    behind = len(
        np.unique(np.concatenate([c.treated for c, k in zip(cells, coef, strict=True) if k]))
    )
    if behind < rule.min_firms:
        return f"fewer than {rule.min_firms} firms"
    if size.sum() > 0 and size.max() / size.sum() > rule.max_share:
        return f"one firm carries more than {rule.max_share:.0%} of the estimate"
    _, weight = _sum_by(
        np.concatenate([c.controls for c in cells]),
        np.concatenate([abs(k) * c.control_weight for c, k in zip(cells, coef, strict=True)]),
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
    return combination_reason([cell], np.ones(1), rule)


def relations(cells: list[Cell]) -> list[dict[int, float]]:
    """The identities a reader can use, as {cell index: coefficient} summing to 0."""
    where = {(c.outcome, c.group_type, c.group_value, c.period): i for i, c in enumerate(cells)}
    out: list[dict[int, float]] = []
    keys = {(c.outcome, c.period) for c in cells if c.has_number}
    for outcome, period in sorted(keys):
        total = where.get((outcome, "overall", "all", period))
        if total is None or not cells[total].has_number or period == "overall":
            continue
        for kind in PARTITIONS:
            parts = [
                i
                for i, c in enumerate(cells)
                if c.outcome == outcome
                and c.period == period
                and c.group_type == kind
                and c.has_number
            ]
            if parts:
                row = {total: float(cells[total].firms)}
                row.update({i: -float(cells[i].firms) for i in parts})
                out.append(row)
    groups = {(c.outcome, c.group_type, c.group_value) for c in cells}
    for outcome, kind, value in sorted(groups):
        mean = where.get((outcome, kind, value, "overall"))
        events = [where.get((outcome, kind, value, p)) for p in OVERALL_EVENTS]
        events = [i for i in events if i is not None and cells[i].has_number]
        if mean is not None and cells[mean].has_number and events:
            row = {mean: 1.0}
            row.update({i: -1.0 / len(events) for i in events})
            out.append(row)
    return out


def _null_space(matrix: np.ndarray) -> np.ndarray:
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1])
    _, s, vt = np.linalg.svd(matrix)
    rank = int((s > TOLERANCE * max(s.max(initial=0.0), 1.0)).sum())
    return vt[rank:].T


def derivable(
    cells: list[Cell], rows: list[dict[int, float]], withheld: list[int]
) -> list[tuple[list[int], np.ndarray, list[int]]]:
    """Combinations of withheld cells a reader can determine from the published ones:
    single cells, pairs, and the withheld part of each identity that involves a published cell.
    Combinations fixed by the identities alone (every cell in them withheld) tell nothing and
    are left out. Each comes with the published cells its derivation uses."""
    if not withheld:
        return []
    col = {i: k for k, i in enumerate(withheld)}
    a_w = np.zeros((len(rows), len(withheld)))
    a_p = np.zeros((len(rows), len(cells)))
    for r, row in enumerate(rows):
        for i, v in row.items():
            if i in col:
                a_w[r, col[i]] = v
            else:
                a_p[r, i] = v
    null = _null_space(a_w)  # directions the published cells leave open
    informative = (a_p != 0).any(axis=1)  # identities that involve a published cell
    structural = _null_space(a_p.T)  # combinations of identities free of published cells
    struct_rows = a_w.T @ structural if structural.size else np.zeros((len(withheld), 0))
    found: list[tuple[list[int], np.ndarray, list[int]]] = []

    def used(members: list[int], coef: np.ndarray) -> list[int]:
        """The published cells the cheapest derivation of the combination reads."""
        target = np.zeros(len(withheld))
        target[[col[i] for i in members]] = coef
        y, *_ = np.linalg.lstsq(a_w.T, target, rcond=None)
        weight = a_p.T @ y
        return [int(i) for i in np.flatnonzero(np.abs(weight) > 1e-9 * np.abs(weight).max())]

    def carries_data(coef: np.ndarray) -> bool:
        if struct_rows.shape[1] == 0:
            return True
        fit, *_ = np.linalg.lstsq(struct_rows, coef, rcond=None)
        return bool(np.linalg.norm(struct_rows @ fit - coef) > 1e-7 * np.linalg.norm(coef))

    norms = np.einsum("ij,ij->i", null, null) if null.size else np.zeros(len(withheld))
    for k, i in enumerate(withheld):
        unit = np.zeros(len(withheld))
        unit[k] = 1.0
        if norms[k] < TOLERANCE and carries_data(unit):
            found.append(([i], np.ones(1), used([i], np.ones(1))))
    gram = null @ null.T if null.size else np.zeros((len(withheld), len(withheld)))
    for k in range(len(withheld)):
        if norms[k] < TOLERANCE:
            continue
        for m in range(k + 1, len(withheld)):
            if norms[m] < TOLERANCE:
                continue
            det = gram[k, k] * gram[m, m] - gram[k, m] ** 2
            if det < TOLERANCE * gram[k, k] * gram[m, m]:
                coef = np.zeros(len(withheld))
                coef[k], coef[m] = gram[k, m] / gram[k, k], -1.0
                if carries_data(coef):
                    pair = [withheld[k], withheld[m]]
                    found.append((pair, coef[[k, m]], used(pair, coef[[k, m]])))
    for r in np.flatnonzero(informative):
        nz = np.flatnonzero(a_w[r])
        if len(nz) >= 2:
            found.append(
                ([withheld[k] for k in nz], a_w[r, nz], [int(i) for i in np.flatnonzero(a_p[r])])
            )
    return found


def audit(cells: list[Cell], rule: DisclosureRule) -> list[tuple[int, str]]:
    """Secondary suppression: (cell index, reason) to add, per outcome, until nothing withheld
    can be derived. Cells' primary reasons must be set already."""
    added: list[tuple[int, str]] = []
    for outcome in sorted({c.outcome for c in cells}):
        index = [i for i, c in enumerate(cells) if c.outcome == outcome]
        local = [cells[i] for i in index]
        rows = relations(local)
        while True:
            withheld = [
                k
                for k, c in enumerate(local)
                if c.has_number and (c.reason or c.virtual) and not c.known
            ]
            problem = None
            for members, coef, reads in derivable(local, rows, withheld):
                if all(local[k].virtual for k in members):
                    continue
                if len(members) == 1 or combination_reason([local[k] for k in members], coef, rule):
                    problem = (members, reads)
                    break
            if problem is None:
                break
            members, reads = problem
            shown = [i for i in reads if not local[i].reason and not local[i].virtual]
            if not shown:
                # derived from cells a reader can guess (an outcome that does not vary) only:
                # as guessable as they are, and nothing to withhold would change that
                for k in members:
                    local[k].known = True
                continue
            k = min(shown, key=lambda i: (local[i].firms, i))
            names = ", ".join(local[m].label() for m in members if not local[m].virtual) or "all"
            local[k].reason = f"withheld with {names}: the published cells would give it away"
            added.append((index[k], local[k].reason))
    return added
