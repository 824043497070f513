"""An outside reader of ``effect_estimates``: what can be worked out about withheld cells from
the published table alone.

The reader knows the method (docs/evaluation.md): within an outcome and period the groups of a
group type, weighted by their firm counts, add up to ``all``; ``overall`` is the mean of the
group's event times 0..+3; the firm counts of a group type add up to ``all``'s. It first solves
the counts for withheld ``firms_treated``, then the estimates, and reports every withheld cell
whose estimate is determined, and every determined combination of two withheld cells (or the
withheld part of an identity) whose firms it knows to be fewer than ``min_firms``.

Written independently of the audit that decides the suppression
(:mod:`pipelines.evaluation.disclosure`), so the one checks the other; the release gate runs it
on the published table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.evaluation.estimate import OVERLAPPING_CLUSTERS

POST = ("t+0", "t+1", "t+2", "t+3")
KEY = ["group_type", "group_value", "period"]


def _solve(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A solution of a x = b and a basis of the directions it leaves open (columns)."""
    if a.shape[0] == 0:
        return np.zeros(a.shape[1]), np.eye(a.shape[1])
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9 * max(s.max(initial=0.0), 1.0)).sum())
    return x, vt[rank:].T


def _relations(cells: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """(index of the 'all' cell, indices of a group type's cells) per period and group type;
    clusters only when the method does not say they overlap."""
    method = cells["method"] if "method" in cells else pd.Series([], dtype=str)
    overlap = method.astype(str).str.contains(OVERLAPPING_CLUSTERS, regex=False).any()
    out = []
    for period, rows in cells.groupby("period", sort=True):
        if period == "overall":
            continue
        total = rows.index[rows["group_type"].eq("overall")]
        if len(total) != 1:
            continue
        for kind, parts in rows[~rows["group_type"].eq("overall")].groupby("group_type"):
            if not (kind == "cluster" and overlap):
                out.append((int(total[0]), [int(i) for i in parts.index]))
    return out


def _counts(cells: pd.DataFrame, partitions: list[tuple[int, list[int]]]) -> pd.Series:
    """firms_treated as the reader knows it: published, or solved from the count identities."""
    known = cells["firms_treated"].astype(float)
    unknown = [i for i in cells.index if not np.isfinite(known[i])]
    if not unknown:
        return known
    col = {i: k for k, i in enumerate(unknown)}
    a, b = [], []
    for total, parts in partitions:
        row, rhs = np.zeros(len(unknown)), 0.0
        for i, sign in [(total, 1.0), *[(p, -1.0) for p in parts]]:
            if i in col:
                row[col[i]] += sign
            else:
                rhs -= sign * known[i]
        if row.any():
            a.append(row)
            b.append(rhs)
    x, null = _solve(np.array(a).reshape(-1, len(unknown)), np.array(b))
    out = known.copy()
    for i, k in col.items():
        if np.linalg.norm(null[k]) < 1e-9 and len(a):
            out[i] = round(float(x[k]))
    return out


def _consistent(
    cells: pd.DataFrame, partitions: list[tuple[int, list[int]]]
) -> list[tuple[int, list[int]]]:
    """The identities the published counts do not contradict (overlapping clusters' counts add
    up to more than 'all': no partition, no identity to use)."""
    published = cells["firms_treated"].astype(float)
    out = []
    for total, parts in partitions:
        if not np.isfinite(published[total]):
            out.append((total, parts))
            continue
        known = [published[p] for p in parts if np.isfinite(published[p])]
        unknown = len(parts) - len(known)
        rest = published[total] - sum(known)
        if (unknown == 0 and abs(rest) < 0.5) or (unknown > 0 and rest >= unknown):
            out.append((total, parts))
    return out


def findings(table: pd.DataFrame, min_firms: int = 3) -> pd.DataFrame:
    """What a reader can derive: one row per finding (programme, outcome, cells, firms or NaN,
    kind). Each programme generation's rows are read on their own: every identity the reader
    uses holds within one generation's estimates (its own 'all', its own groups)."""
    found: list[dict] = []
    programme = table["programme"] if "programme" in table else pd.Series("", index=table.index)
    for (generation, outcome), rows in table.groupby([programme, "outcome"], sort=True):
        found += [
            {"programme": generation, **finding}
            for finding in _outcome_findings(str(outcome), rows, min_firms)
        ]
    return pd.DataFrame(found, columns=["programme", "outcome", "cells", "firms", "finding"])


def _outcome_findings(outcome: str, rows: pd.DataFrame, min_firms: int) -> list[dict]:
    reasons = rows["suppression_reason"].fillna("").astype(str)
    shown = ~rows["suppressed"].astype(bool)
    zero = shown & rows["event_time"].notna() & rows["std_error"].isna() & rows["estimate"].eq(0)
    reference = set(rows.loc[zero, "period"])  # 0 by construction: no unknown
    usable = ~reasons.str.startswith("not estimable") & ~rows["period"].isin(reference)
    cells = rows[usable].reset_index(drop=True)
    withheld = [i for i in cells.index if bool(cells.loc[i, "suppressed"])]
    if not withheld:
        return []
    partitions = _consistent(cells, _relations(cells))
    firms = _counts(cells, partitions)
    # unknowns: x of each withheld cell; s (= firms x x) where its firms are unknown
    names = [("x", i) for i in withheld] + [("s", i) for i in withheld if not np.isfinite(firms[i])]
    col = {n: k for k, n in enumerate(names)}
    a, b, rows_cells = [], [], []  # rows_cells: (withheld cells, their firms together or NaN)
    value = cells["estimate"].astype(float)
    for total, parts in partitions:
        row, rhs, published = np.zeros(len(names)), 0.0, False
        hidden = []
        for i, sign in [(total, 1.0), *[(p, -1.0) for p in parts]]:
            if i in withheld:
                hidden.append(i)
                if np.isfinite(firms[i]):
                    row[col[("x", i)]] += sign * firms[i]
                else:
                    row[col[("s", i)]] += sign
            else:
                rhs -= sign * firms[i] * value[i]
                published = True
        if row.any():
            a.append(row)
            b.append(rhs)
            # the withheld groups' firms together follow from the count identity
            together = (
                firms[total] - sum(firms[p] for p in parts if p not in hidden)
                if total not in hidden
                else np.nan
            )
            rows_cells.append((hidden, together) if published else None)
    groups = cells.groupby(["group_type", "group_value"], sort=False)
    for _, group in groups:
        mean = group.index[group["period"].eq("overall")]
        events = group.index[group["period"].isin(POST)]
        if len(mean) != 1 or not len(events):
            continue
        row, rhs, published = np.zeros(len(names)), 0.0, False
        for i, coef in [(int(mean[0]), 1.0), *[(int(e), -1.0 / len(events)) for e in events]]:
            if i in withheld:
                row[col[("x", i)]] += coef
            else:
                rhs -= coef * value[i]
                published = True
        if row.any():
            a.append(row)
            b.append(rhs)
            hidden = [i for i in [int(mean[0]), *events] if i in withheld]
            together = max((firms[i] for i in hidden), default=np.nan)
            rows_cells.append((hidden, together) if published else None)
    matrix = np.array(a).reshape(-1, len(names))
    _, null = _solve(matrix, np.array(b))
    out: list[dict] = []

    def label(i: int) -> str:
        return " ".join(str(cells.loc[i, k]) for k in KEY)

    x_cols = [col[("x", i)] for i in withheld]
    open_rows = null[x_cols] if null.size else np.zeros((len(withheld), 0))
    norms = np.linalg.norm(open_rows, axis=1) if open_rows.size else np.zeros(len(withheld))
    for k, i in enumerate(withheld):
        if norms[k] < 1e-9 and len(a):
            out.append(
                {"outcome": outcome, "cells": label(i), "firms": firms[i], "finding": "derived"}
            )
    for k in range(len(withheld)):
        for m in range(k + 1, len(withheld)):
            if norms[k] < 1e-9 or norms[m] < 1e-9:
                continue
            pair = open_rows[[k, m]]
            if np.linalg.matrix_rank(pair, tol=1e-9) < 2:
                i, j = withheld[k], withheld[m]
                same_group = all(cells.loc[i, c] == cells.loc[j, c] for c in KEY[:2])
                n = max(firms[i], firms[j]) if same_group else firms[i] + firms[j]
                if np.isfinite(n) and n < min_firms:
                    out.append(
                        {
                            "outcome": outcome,
                            "cells": f"{label(i)} + {label(j)}",
                            "firms": n,
                            "finding": "combination behind too few firms",
                        }
                    )
    for entry in rows_cells:
        if entry is None:
            continue
        involved, n = entry
        if len(involved) >= 2 and np.isfinite(n) and n < min_firms:
            out.append(
                {
                    "outcome": outcome,
                    "cells": " + ".join(label(i) for i in involved),
                    "firms": n,
                    "finding": "combination behind too few firms",
                }
            )
    return out
