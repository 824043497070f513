"""[6] The effect estimator as on DST's research machine: the 50,000-firm synthetic panel and a
register-sized one (300,000 firms x 15 years).

The register (1,000 participating firms in 11 clusters, entering in the programme's years but
the last, like the programme sample) and the panels are generated into bench/data/evaluation/;
the generator and the estimator (every outcome and group, 999 bootstrap draws) each run once in
a fresh process, timed with peak RSS. The reference measured in the same run is reading and
checking the same panel against its contract (what any estimator must do first): the
estimator's time is also given as a ratio to it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from bench.common import DATA_DIR, PYTHON, Figure, fresh_dir, log_tail, run_measured
from pipelines.constants import programme

BENCHMARK = "6 effect estimator"
# (label, firms, first year, goal s, goal peak RSS MB)
SCALES = (
    ("50k", 50_000, 2015, 30.0, 1024.0),
    ("300k", 300_000, 2014, 300.0, 8192.0),
)
PARTICIPANTS = 1000
READ_PANEL = (
    "import sys; from pathlib import Path; from pipelines.evaluation.contract import read_panel; "
    "print(len(read_panel(Path(sys.argv[1]))))"
)


def _register(folder) -> str:
    from pipelines.synthetic.firm_panel import _cvrs

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


def _scale(
    folder, register: str, label: str, firms: int, first_year: int, log: Callable[[str], None]
) -> tuple[dict, dict, dict]:
    panel = folder / f"panel_{label}"
    log(f"    generating the synthetic panel ({firms:,} firms from {first_year})")
    gen = run_measured(
        f"evaluation_panel_{label}",
        [
            PYTHON,
            "-m",
            "pipelines.synthetic.firm_panel",
            "--register",
            register,
            "--out",
            str(panel),
            "--firms",
            str(firms),
            "--first-year",
            str(first_year),
        ],
    )
    log("    reading and checking the panel (the reference)")
    read = run_measured(f"evaluation_read_{label}", [PYTHON, "-c", READ_PANEL, str(panel)])
    log("    running the estimator (6 outcomes x 6 group types, 999 bootstrap draws)")
    out = fresh_dir(folder / f"out_{label}")
    est = run_measured(
        f"evaluation_effects_{label}",
        [
            PYTHON,
            "-m",
            "pipelines.evaluation.effects",
            "--panel",
            str(panel),
            "--register",
            register,
            "--out",
            str(out / "results"),
        ],
    )
    return gen, read, est


def bench_evaluation(log: Callable[[str], None]) -> list[Figure]:
    folder = DATA_DIR / "evaluation"
    folder.mkdir(parents=True, exist_ok=True)
    register = _register(folder)
    figures = []
    for label, firms, first_year, goal_s, goal_mb in SCALES:
        gen, read, est = _scale(folder, register, label, firms, first_year, log)
        error = "" if est["rc"] == 0 and read["rc"] == 0 else log_tail(est["log"])
        name = f"{firms:,} firms x {first_year}-{programme().last_year}"
        figures += [
            Figure(
                f"evaluation.{label}.panel_s",
                BENCHMARK,
                f"{name}: generate the panel",
                gen["wall_s"],
                "s",
                error="" if gen["rc"] == 0 else log_tail(gen["log"]),
            ),
            Figure(
                f"evaluation.{label}.estimator_s",
                BENCHMARK,
                f"{name}: estimator (read, match, estimate, bootstrap, audit, write)",
                est["wall_s"],
                "s",
                "<=",
                goal_s,
                error=error,
            ),
            Figure(
                f"evaluation.{label}.estimator.peak_rss_mb",
                BENCHMARK,
                f"  {label}: estimator peak RSS",
                est["peak_rss_mb"],
                "MB",
                "<",
                goal_mb,
                error=error,
            ),
            Figure(
                f"evaluation.{label}.estimator_over_read",
                BENCHMARK,
                f"  {label}: estimator / reading and checking the panel (same run)",
                est["wall_s"] / read["wall_s"] if read["wall_s"] else None,
                "x",
                note=f"reference {read['wall_s']:.1f} s",
                error=error,
            ),
        ]
    return figures
