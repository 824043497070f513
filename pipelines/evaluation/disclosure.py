"""Disclosure control: the one rule for every published cell built from firms' data.

A cell is withheld when fewer than ``min_firms`` firms contribute to it, or when one firm holds
more than ``max_share`` of the cell's total (the dominance rule): either would let a reader
infer a single firm's figures. DST's research service applies the same rules to everything that
leaves it; the per-cluster programme tables can call :func:`disclosure_control` too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_MIN_FIRMS = 3
DEFAULT_MAX_SHARE = 0.5


@dataclass(frozen=True)
class DisclosureRule:
    min_firms: int = DEFAULT_MIN_FIRMS
    max_share: float = DEFAULT_MAX_SHARE

    def __post_init__(self) -> None:
        if self.min_firms < 1 or not 0 < self.max_share <= 1:
            raise ValueError("disclosure rule: min_firms >= 1 and 0 < max_share <= 1")


def cell_verdict(
    values: np.ndarray,
    rule: DisclosureRule = DisclosureRule(),
) -> tuple[int, float, str]:
    """One cell from its firms' values (one per firm): (firms, top share, reason or "")."""
    amounts = np.abs(np.nan_to_num(np.asarray(values, dtype=float)))
    total = amounts.sum()
    top = float(amounts.max() / total) if len(amounts) and total > 0 else 0.0
    return len(amounts), top, _reason(len(amounts), top, rule)


def _reason(firms: int, top_share: float, rule: DisclosureRule) -> str:
    if firms < rule.min_firms:
        return f"fewer than {rule.min_firms} firms"
    if top_share > rule.max_share:
        return f"one firm holds more than {rule.max_share:.0%} of the cell total"
    return ""


def disclosure_control(
    contributions: pd.DataFrame,
    cell: list[str],
    firm: str,
    value: str,
    rule: DisclosureRule = DisclosureRule(),
) -> pd.DataFrame:
    """One row per cell: ``firms``, ``top_share``, ``suppressed`` and ``suppression_reason``.

    ``contributions`` has one row per firm and cell (a firm listed twice in a cell is summed);
    ``value`` is what the cell adds up (turnover, FTE, funding); its absolute value is used, so
    a firm with a large loss dominates a cell as much as one with a large profit.
    """
    per_firm = (
        contributions.assign(_v=contributions[value].abs().fillna(0))
        .groupby([*cell, firm], dropna=False, sort=False)["_v"]
        .sum()
        .reset_index()
    )
    grouped = per_firm.groupby(cell, dropna=False, sort=False)["_v"]
    out = pd.DataFrame({"firms": grouped.size(), "total": grouped.sum(), "top": grouped.max()})
    out["top_share"] = (out["top"] / out["total"].where(out["total"] > 0)).fillna(0.0)
    out["suppression_reason"] = [
        _reason(int(f), float(t), rule) for f, t in zip(out["firms"], out["top_share"], strict=True)
    ]
    out["suppressed"] = out["suppression_reason"] != ""
    return out.drop(columns=["total", "top"]).reset_index()
