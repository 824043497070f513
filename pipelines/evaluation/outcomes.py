"""Outcomes and size groups derived from the firm panel (one definition, used everywhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# outcome -> label. survival is not a panel column: a firm is active in a year when it has a row
# with FTE > 0 (pipelines/evaluation/wide.py).
OUTCOMES: dict[str, str] = {
    "log_value_added_per_fte": "log value added per FTE (productivity)",
    "log_fte": "log full-time equivalents (jobs)",
    "log_turnover": "log turnover",
    "export_share": "export share of turnover",
    "rd_active": "R&D active (own R&D expenditure > 0; firms in DST's R&D survey only)",
    "survival": "survival (the firm is active: in the panel with FTE > 0)",
}
LOG_OUTCOMES = frozenset({"log_value_added_per_fte", "log_fte", "log_turnover"})
PANEL_OUTCOMES = tuple(o for o in OUTCOMES if o != "survival")  # computed per panel row
SIZE_GROUPS = ("<10", "10-49", "50-249", "250+")
SIZE_EDGES = (10, 50, 250)


def size_group(fte: pd.Series) -> pd.Series:
    """DST's size groups by full-time equivalents: < 10, 10-49, 50-249, 250+."""
    codes = np.searchsorted(SIZE_EDGES, fte.to_numpy(dtype=float), side="right")
    return pd.Series(np.asarray(SIZE_GROUPS, dtype=object)[codes], index=fte.index).where(
        fte.notna()
    )


def size_code(fte: np.ndarray) -> np.ndarray:
    """Index into SIZE_GROUPS of each FTE figure (-1 where FTE is missing)."""
    codes = np.searchsorted(SIZE_EDGES, np.nan_to_num(fte, nan=0.0), side="right")
    return np.where(np.isnan(fte), -1, codes)


def add_outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with one column per outcome; NaN where an outcome is undefined: the log of a
    value <= 0, and R&D where the firm was not in DST's R&D survey (``rd_expenditure_dkk``
    empty), which is unknown, not 'no R&D'."""
    out = panel.copy()
    fte = out["fte"].where(out["fte"] > 0)
    va = out["value_added_dkk"].where(out["value_added_dkk"] > 0)
    turnover = out["turnover_dkk"].where(out["turnover_dkk"] > 0)
    out["log_value_added_per_fte"] = np.log(va / fte)
    out["log_fte"] = np.log(fte)
    out["log_turnover"] = np.log(turnover)
    out["export_share"] = (out["export_dkk"] / turnover).clip(0, 1)
    rd = out["rd_expenditure_dkk"].astype("float64")
    out["rd_active"] = (rd > 0).astype("float64").where(rd.notna())
    return out
