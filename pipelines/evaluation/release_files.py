"""The release's ``evaluation/`` folder: per programme generation, the DST submission package
(``dst_submission/<generation>/``) and the event-study figures (``figures/<generation>/``).

Built from the tables exactly as published (the release's own DuckDB copy), so the packages and
figures can never disagree with ``participant_register`` and ``effect_estimates``. Each
generation is its own submission and its own publication: its register goes to DST on its own,
and is the other generation's exclusion list there (docs/evaluation.md).
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


def _by_programme(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(p): rows for p, rows in table.groupby("programme", sort=True)}


def write_evaluation_files(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    register = tables.get("participant_register")
    if register is not None:
        for programme, rows in _by_programme(register).items():
            notice = SAMPLE_NOTICE if rows["is_sample"].astype(bool).any() else None
            write_submission(rows, folder / "dst_submission" / programme, notice)
    estimates = tables.get("effect_estimates")
    if estimates is not None:
        for programme, rows in _by_programme(estimates).items():
            synthetic = rows["is_synthetic"].astype(bool).any()
            event_study_figures(
                rows, folder / "figures" / programme, SYNTHETIC_BANNER if synthetic else None
            )
