"""Outcomes and size groups derived from the firm panel (one definition, used everywhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# outcome -> (label, the panel amount whose cell total disclosure control looks at)
OUTCOMES: dict[str, tuple[str, str]] = {
    "log_value_added_per_fte": ("log value added per FTE (productivity)", "value_added_dkk"),
    "log_fte": ("log full-time equivalents (jobs)", "fte"),
    "log_turnover": ("log turnover", "turnover_dkk"),
    "export_share": ("export share of turnover", "export_dkk"),
    "rd_active": ("R&D active (own R&D expenditure > 0)", "rd_expenditure_dkk"),
}
SIZE_GROUPS = ("<10", "10-49", "50-249", "250+")
SIZE_EDGES = (10, 50, 250)


def size_group(fte: pd.Series) -> pd.Series:
    """DST's size groups by full-time equivalents: < 10, 10-49, 50-249, 250+."""
    codes = np.searchsorted(SIZE_EDGES, fte.to_numpy(dtype=float), side="right")
    return pd.Series(np.asarray(SIZE_GROUPS, dtype=object)[codes], index=fte.index).where(
        fte.notna()
    )


def add_outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with one column per outcome; NaN where an outcome is undefined (log of <= 0)."""
    out = panel.copy()
    fte = out["fte"].where(out["fte"] > 0)
    va = out["value_added_dkk"].where(out["value_added_dkk"] > 0)
    turnover = out["turnover_dkk"].where(out["turnover_dkk"] > 0)
    out["log_value_added_per_fte"] = np.log(va / fte)
    out["log_fte"] = np.log(fte)
    out["log_turnover"] = np.log(turnover)
    out["export_share"] = (out["export_dkk"] / turnover).clip(0, 1)
    out["rd_active"] = (out["rd_expenditure_dkk"] > 0).astype("float64")
    return out
