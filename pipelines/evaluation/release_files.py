"""The release's ``evaluation/`` folder: DST submission package and event-study figures.

Built from the tables exactly as published (the release's own DuckDB copy), so the package and
figures can never disagree with ``participant_register`` and ``effect_estimates``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.evaluation.figures import SYNTHETIC_BANNER, event_study_figures
from pipelines.evaluation.submission import write_submission

SAMPLE_NOTICE = (
    "SAMPLE: built from the generated programme sample, not from the cluster "
    "organisations' reports. Do not submit to Statistics Denmark."
)


def write_evaluation_files(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    register = tables.get("participant_register")
    if register is not None:
        notice = SAMPLE_NOTICE if register["is_sample"].astype(bool).any() else None
        write_submission(register, folder / "dst_submission", notice)
    estimates = tables.get("effect_estimates")
    if estimates is not None and len(estimates):
        synthetic = estimates["is_synthetic"].astype(bool).any()
        event_study_figures(estimates, folder / "figures", SYNTHETIC_BANNER if synthetic else None)
