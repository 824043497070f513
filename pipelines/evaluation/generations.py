"""One evaluation per programme generation, from a register that holds several.

Each generation is its own evaluation and its own publication: its own cohorts, its own latest
matching year, and control pools without any other generation's participants (a firm helped by
another generation is not "untreated": the estimator's ``exclude``). A participant of this
generation found in another generation's register stays a participant; it is counted per
generation (``also_in_generation`` in ``diagnostics.json``). The caller hands over each
generation's latest matching year, so this module reads no configuration of the pipeline and
runs inside DST's research environment as the rest of the package does.
"""

from __future__ import annotations

import pandas as pd

from pipelines.evaluation.effects import run
from pipelines.evaluation.estimate import EstimatorConfig


def programmes(register: pd.DataFrame) -> list[str]:
    """The generations the register holds, in order."""
    return sorted(register["programme"].astype(str).unique())


def own_rows(register: pd.DataFrame, programme: str) -> pd.DataFrame:
    """The register of one generation."""
    return register[register["programme"].astype(str) == programme].reset_index(drop=True)


def other_participants(register: pd.DataFrame, programme: str) -> frozenset[int]:
    """CVRs taking part in any other generation: never controls of this one."""
    others = register.loc[register["programme"].astype(str) != programme, "cvr"]
    return frozenset(int(c) for c in others)


def also_in(register: pd.DataFrame, programme: str) -> dict[str, int]:
    """Per other generation, how many of this generation's firms take part in it too (from
    the registers, which are published: no count of DST's data)."""
    own = set(own_rows(register, programme)["cvr"].astype(str))
    return {
        other: len(own & set(own_rows(register, other)["cvr"].astype(str)))
        for other in programmes(register)
        if other != programme
    }


def generation_config(
    register: pd.DataFrame, programme: str, latest_matching_year: int | None
) -> EstimatorConfig:
    """The estimator's settings for one generation: its latest matching year (2019 for
    2021-2024: 2020 is a COVID year), the other generations' participants excluded."""
    return EstimatorConfig(
        latest_matching_year=latest_matching_year,
        exclude=other_participants(register, programme),
    )


def run_generation(
    panel: pd.DataFrame, register: pd.DataFrame, programme: str, config: EstimatorConfig
) -> tuple[pd.DataFrame, dict]:
    """``effect_estimates`` of one generation (rows labelled with it) and its diagnostics."""
    own = own_rows(register, programme)
    table, diagnostics = run(
        panel, own, config, is_sample=bool(own["is_sample"].any()), programme=programme
    )
    diagnostics["also_in_generation"] = also_in(register, programme)
    return table, diagnostics
