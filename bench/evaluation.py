"""[6] The effect estimator on the 50,000-firm synthetic panel (as on DST's research machine).

The register (1,000 participating firms in 11 clusters, entering in the programme's years but
the last, like the programme sample) and the panel are generated into bench/data/evaluation/;
the generator and the estimator each run once in a fresh process, timed with peak RSS.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from bench.common import DATA_DIR, PYTHON, Figure, fresh_dir, log_tail, run_measured
from pipelines.constants import programme

BENCHMARK = "6 effect estimator, 50,000 firms x 2015-2028"
GOAL_S = 60.0
GOAL_RSS_MB = 2048.0
PARTICIPANTS = 1000


def _register(folder) -> str:
    from pipelines.evaluation.panel import _cvrs

    rng = np.random.default_rng(15)
    pd.DataFrame(
        {
            "cvr": _cvrs(PARTICIPANTS, set(), start=90_000_000),
            "cluster_id": [f"K{i % 11 + 1:02d}" for i in range(PARTICIPANTS)],
            "treatment_year": rng.choice(programme().years[:-1], PARTICIPANTS),
            "size_group_at_entry": np.where(
                rng.random(PARTICIPANTS) < 0.1, "large_enterprise", "smv"
            ),
            "programme_first_year": programme().first_year,
        }
    ).to_csv(folder / "register.csv", sep=";", index=False)
    return str(folder / "register.csv")


def bench_evaluation(log: Callable[[str], None]) -> list[Figure]:
    folder = DATA_DIR / "evaluation"
    folder.mkdir(parents=True, exist_ok=True)
    register = _register(folder)
    out = fresh_dir(folder / "out")
    log("    generating the synthetic panel")
    gen = run_measured(
        "evaluation_panel",
        [
            PYTHON,
            "-m",
            "pipelines.evaluation.panel",
            "--register",
            register,
            "--out",
            str(folder / "panel"),
        ],
    )
    log("    running the estimator (5 outcomes x overall, 4 size groups, 11 clusters)")
    est = run_measured(
        "evaluation_effects",
        [
            PYTHON,
            "-m",
            "pipelines.evaluation.effects",
            "--panel",
            str(folder / "panel"),
            "--register",
            register,
            "--out",
            str(out / "results"),
        ],
    )
    figures = []
    for key, name, m in (
        ("panel", "generate the panel (700,000 rows)", gen),
        ("estimator", "estimator: read, match, 80 fits, disclose, write", est),
    ):
        error = "" if m["rc"] == 0 else log_tail(m["log"])
        figures.append(
            Figure(
                f"evaluation.{key}_s",
                BENCHMARK,
                name,
                m["wall_s"],
                "s",
                *(("<", GOAL_S) if key == "estimator" else (None, None)),
                error=error,
            )
        )
        figures.append(
            Figure(
                f"evaluation.{key}.peak_rss_mb",
                BENCHMARK,
                f"  {key}: peak RSS",
                m["peak_rss_mb"],
                "MB",
                *(("<", GOAL_RSS_MB) if key == "estimator" else (None, None)),
                error=error,
            )
        )
    return figures
