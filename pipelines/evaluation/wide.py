"""The firm panel as firms x years arrays: what matching and the comparisons index into.

One row per firm (CVRs as integers, ascending), one column per year; a year a firm has no row
in is NaN (absent). Built once per run, so a comparison of cohort g in year t is a column pick,
not a filter over millions of long rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.evaluation.outcomes import LOG_OUTCOMES, PANEL_OUTCOMES, add_outcomes

# why a firm is not in a comparison of an outcome in a year (diagnostics.json)
EXIT, NOT_POSITIVE, MISSING = "exit", "value_not_positive", "missing"


@dataclass(frozen=True)
class WidePanel:
    cvr: np.ndarray  # int64, ascending
    years: np.ndarray  # int, ascending, every year from the first to the last
    values: dict[str, np.ndarray]  # outcome or feature -> firms x years (NaN: undefined)
    present: np.ndarray  # firms x years: a row with FTE > 0 (the firm is active)
    industry: np.ndarray  # firms x years: industry code index (-1: no row)
    region: np.ndarray  # firms x years: region code (0: no row)
    industries: tuple[str, ...]  # what the industry code indexes

    def column(self, year: int) -> int | None:
        j = int(year - self.years[0])
        return j if 0 <= j < len(self.years) else None

    def index_of(self, cvrs: np.ndarray) -> np.ndarray:
        """Row numbers of the given CVRs (-1 for a CVR not in the panel)."""
        cvrs = np.asarray(cvrs, dtype=np.int64)
        if not len(self.cvr):
            return np.full(len(cvrs), -1)
        pos = np.clip(np.searchsorted(self.cvr, cvrs), 0, len(self.cvr) - 1)
        return np.where(self.cvr[pos] == cvrs, pos, -1)

    def why_missing(self, outcome: str, rows: np.ndarray, j: int) -> np.ndarray:
        """For each row with no value of ``outcome`` in column ``j``: exit, a value <= 0 in a
        log outcome, or missing (e.g. outside DST's R&D survey)."""
        absent = ~self.present[rows, j]
        reason = np.full(len(rows), MISSING, dtype=object)
        if outcome in LOG_OUTCOMES:
            reason[:] = NOT_POSITIVE
        reason[absent] = EXIT
        return reason


def to_wide(panel: pd.DataFrame) -> WidePanel:
    """The long panel (contract columns, CVR as text or integer) as firms x years arrays."""
    data = add_outcomes(panel)
    cvr = pd.Series(data["cvr"]).astype("int64").to_numpy()
    firms, row = np.unique(cvr, return_inverse=True)
    first, last = int(data["year"].min()), int(data["year"].max())
    years = np.arange(first, last + 1)
    col = data["year"].to_numpy(dtype=np.int64) - first
    shape = (len(firms), len(years))

    def spread(values: np.ndarray, fill: float | int, dtype) -> np.ndarray:
        out = np.full(shape, fill, dtype=dtype)
        out[row, col] = values
        return out

    names = [*PANEL_OUTCOMES, "fte"]
    values = {n: spread(data[n].to_numpy(dtype=float), np.nan, float) for n in names}
    present = spread((data["fte"].to_numpy(dtype=float) > 0), False, bool)
    values["survival"] = present.astype(float)  # 1 active, 0 exited (or not yet founded)
    industry_codes, industries = pd.factorize(data["industry"].astype(str), sort=True)
    return WidePanel(
        cvr=firms,
        years=years,
        values=values,
        present=present,
        industry=spread(industry_codes, -1, np.int32),
        region=spread(data["region"].to_numpy(dtype=np.int64), 0, np.int64),
        industries=tuple(industries),
    )
