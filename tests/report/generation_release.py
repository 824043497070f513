"""A copy of a published release for the generations and effects pages, its report rebuilt.

Until ``effect_estimates`` carries ``programme`` in every release, the copy gets the column by
hand (its rows as the oldest generation's, whose effects exist in time); either way two cells
are withheld by hand with their numbers left in place, so a test can see that the page never
shows a withheld cell's numbers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from pipelines.report import build_report

GENERATION = "2021-2024"  # the generation whose effects the copy holds
WITHHELD_OVERALL = ("log_fte", "fewer than 3 firms")  # an overall cell withheld by hand
WITHHELD_EVENT = (
    "log_turnover",
    "t+1",
    "withheld with t+2: the published cells would give it away",
)


def release_with_generations(release: Path, target: Path) -> Path:
    """``release`` copied to ``target`` with effects per generation, its report rebuilt."""
    shutil.copytree(release, target, ignore=shutil.ignore_patterns("report"))
    with duckdb.connect(str(target / "klynge.duckdb")) as con:
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns"
                " where table_name = 'effect_estimates'"
            ).fetchall()
        }
        if "programme" not in columns:
            con.execute(
                "create or replace table effect_estimates as"
                f" select '{GENERATION}'::varchar as programme, * from effect_estimates"
            )
        outcome, reason = WITHHELD_OVERALL
        con.execute(
            "update effect_estimates set suppressed = true, suppression_reason = ?"
            " where programme = ? and group_type = 'overall' and group_value = 'all'"
            " and outcome = ? and period = 'overall'",
            [reason, GENERATION, outcome],
        )
        outcome, period, reason = WITHHELD_EVENT
        con.execute(
            "update effect_estimates set suppressed = true, suppression_reason = ?"
            " where programme = ? and group_type = 'overall' and group_value = 'all'"
            " and outcome = ? and period = ?",
            [reason, GENERATION, outcome, period],
        )
    build_report(target, json.loads((target / "manifest.json").read_text(encoding="utf-8")))
    return target
