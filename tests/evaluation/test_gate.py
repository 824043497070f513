"""The release gate on effect_estimates: a table that gives a withheld cell away is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.evaluation.estimate import EstimatorConfig, estimate_effects
from tests.evaluation.helpers import panel, register


@pytest.fixture(scope="module")
def estimates() -> pd.DataFrame:
    reg = register(participants=240, clusters=4, seed=12)
    config = EstimatorConfig(outcomes=("log_fte",), group_types=("overall", "cluster"))
    table = estimate_effects(panel(reg, firms=2000), reg, config).table
    return table.assign(
        programme="2025-2028", panel_source="synthetic", is_synthetic=True, is_sample=True
    )


def _failures(table: pd.DataFrame, tmp_path) -> list[str]:
    from pipelines.catalog import published_marts
    from pipelines.quality.gx_runner import validate_mart

    mart = {m.name: m for m in published_marts()}["effect_estimates"]
    columns = [c.name for c in mart.columns]
    result = validate_mart(mart, table[columns], tmp_path / "gx")
    return [o.column for o in result.failures]


@pytest.mark.slow  # Great Expectations in its own process
def test_the_gate_passes_the_estimators_table_and_refuses_a_derivable_cell(estimates, tmp_path):
    assert _failures(estimates, tmp_path) == []
    planted = estimates.copy()
    cell = planted["group_value"].eq("K02") & planted["period"].eq("t+1")
    numbers = ["estimate", "std_error", "ci_lower", "ci_upper", "band_lower", "band_upper", "mde"]
    planted.loc[cell, [*numbers, "firms_treated", "firms_compared", "controls_effective"]] = np.nan
    planted.loc[cell, ["suppressed", "suppression_reason"]] = [True, "fewer than 3 firms"]
    # K02 alone withheld: 'all' and the other clusters give it away
    assert _failures(planted, tmp_path) == ["_check_withheld_cells_a_reader_derives"]
