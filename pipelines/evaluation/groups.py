"""The groups effects are reported for, each a set of participants (panel rows).

Every group type but ``cluster`` partitions the participants (each firm has one size group,
one kind of participation, ...), so its groups' estimates weighted by their firm counts add up
to ``all``. Clusters partition them only when no firm took part through two clusters; the
disclosure audit treats them as a partition either way (a reader may assume it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.evaluation.outcomes import SIZE_GROUPS, size_code
from pipelines.evaluation.wide import WidePanel

GROUP_TYPES = (
    "overall",
    "size_group",
    "cluster",
    "participation_kind",
    "new_to_rd",
    "funding_tercile",
)
TERCILES = ("low", "middle", "high")


def _per_firm(register: pd.DataFrame) -> pd.DataFrame:
    """One row per participating firm: its first entry's attributes and its total funding."""
    reg = register.assign(cvr=register["cvr"].astype("int64"))
    first = reg.sort_values(["cvr", "treatment_year"], kind="stable").drop_duplicates("cvr")
    firms = first.set_index("cvr")
    out = pd.DataFrame(index=firms.index)
    if "participation_kind" in reg.columns:
        innovation = reg["participation_kind"].astype(str).eq("innovation_project")
        out["participation_kind"] = np.where(
            innovation.groupby(reg["cvr"]).any().reindex(out.index),
            "innovation_project",
            "other_activity",
        )
    if "new_to_rd" in reg.columns:
        flag = firms["new_to_rd"].astype(str).str.lower().isin(["true", "1"])
        out["new_to_rd"] = np.where(flag, "true", "false")
    if "funding_received_dkk" in reg.columns:
        out["funding"] = (
            pd.to_numeric(reg["funding_received_dkk"], errors="coerce").groupby(reg["cvr"]).sum()
        )
    return out


def firm_groups(
    register: pd.DataFrame,
    wide: WidePanel,
    firm_cohort: np.ndarray,
    matching_year: dict[int, int],
    analysed: np.ndarray,
    types: tuple[str, ...],
) -> list[tuple[str, str, np.ndarray]]:
    """(group type, value, boolean mask over panel rows) for every group of ``types``.

    ``analysed`` marks the participants that were matched (funding terciles are cut among them).
    """
    n = len(wide.cvr)
    participant = np.isfinite(firm_cohort)
    out: list[tuple[str, str, np.ndarray]] = []
    if "overall" in types:
        out.append(("overall", "all", participant.copy()))
    if "size_group" in types:
        size = np.full(n, -1)
        for g, year in matching_year.items():
            rows = np.flatnonzero(firm_cohort == g)
            j = wide.column(year)
            if j is not None:
                size[rows] = size_code(wide.values["fte"][rows, j])
        for code, name in enumerate(SIZE_GROUPS):
            out.append(("size_group", name, participant & (size == code)))
    rows_of = pd.Series(np.arange(n), index=wide.cvr)
    if "cluster" in types:
        reg = register.assign(cvr=register["cvr"].astype("int64"))
        for cluster, members in reg.groupby("cluster_id", sort=True):
            mask = np.zeros(n, bool)
            mask[rows_of.reindex(members["cvr"]).dropna().astype(int).to_numpy()] = True
            out.append(("cluster", str(cluster), mask & participant))
    firms = _per_firm(register)
    index = rows_of.reindex(firms.index)
    in_panel = index.notna().to_numpy()
    firm_rows = index.dropna().astype(int).to_numpy()
    for kind in ("participation_kind", "new_to_rd"):
        if kind in types and kind in firms.columns:
            values = firms[kind].to_numpy()[in_panel]
            for value in sorted(set(values)):
                mask = np.zeros(n, bool)
                mask[firm_rows[values == value]] = True
                out.append((kind, value, mask))
    if "funding_tercile" in types and "funding" in firms.columns:
        funding = np.full(n, np.nan)
        funding[firm_rows] = firms["funding"].to_numpy(dtype=float)[in_panel]
        cut_among = funding[analysed & participant]
        cut_among = cut_among[np.isfinite(cut_among)]
        if len(cut_among):
            edges = np.quantile(cut_among, [1 / 3, 2 / 3])
            tercile = np.searchsorted(edges, funding, side="right")
            for code, name in enumerate(TERCILES):
                out.append(
                    (
                        "funding_tercile",
                        name,
                        participant & np.isfinite(funding) & (tercile == code),
                    )
                )
    return out
