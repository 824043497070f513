"""Small generated registers and panels: big enough to estimate, small enough for seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects
from pipelines.synthetic.firm_panel import PanelSpec, _cvrs, generate_panel

PLANTED = float(np.log(1.05))  # +5 % productivity


def register(participants: int = 400, clusters: int = 3, seed: int = 7) -> pd.DataFrame:
    """Participants with entry years 2025-2027, spread over clusters, all SMEs."""
    rng = np.random.default_rng(seed)
    cvrs = _cvrs(participants, set(), start=90_000_000)
    return pd.DataFrame(
        {
            "programme": "2025-2028",
            "cvr": cvrs,
            "cluster_id": [f"K{i % clusters + 1:02d}" for i in range(participants)],
            "treatment_year": rng.choice([2025, 2026, 2027], participants),
            "size_group_at_entry": "smv",
            "programme_first_year": 2025,
            "programme_last_year": 2028,
            "projects": 1,
            "funding_received_dkk": 100000.0,
            "own_contribution_dkk": 50000.0,
            "participation_kind": "innovation_project",
            "new_to_rd": False,
            "is_sample": True,
        }
    )


def panel(reg: pd.DataFrame, **spec) -> pd.DataFrame:
    settings = {"firms": 6000, "industries": 2, "seed": 11, "selection": 0.0, **spec}
    return generate_panel(reg, PanelSpec(**settings))


def productivity(reg: pd.DataFrame, data: pd.DataFrame, matched: bool = True) -> pd.DataFrame:
    """The overall productivity rows, indexed by period."""
    config = EstimatorConfig(
        outcomes=("log_value_added_per_fte",),
        group_types=("overall",),
        matched=matched,
    )
    return estimate_effects(data, reg, config).table.set_index("period")
