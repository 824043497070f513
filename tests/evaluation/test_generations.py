"""One evaluation per programme generation: each generation's controls never include another
generation's participants, a firm in both is flagged, 2021-2024 is matched in 2019, and each
generation's estimates are read on their own by the outside reader."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pipelines.constants import generation
from pipelines.evaluation.attack import findings
from pipelines.evaluation.effects import register_programme
from pipelines.evaluation.estimate import EstimatorConfig, design
from pipelines.evaluation.generations import (
    also_in,
    generation_config,
    own_rows,
    programmes,
    run_generation,
)
from pipelines.evaluation.register import RegisterError
from pipelines.synthetic.firm_panel import _cvrs
from tests.evaluation.helpers import panel, register

SHARED = 6  # firms of 2021-2024 taking part in 2025-2028 too


@pytest.fixture(scope="module")
def two() -> pd.DataFrame:
    """Participants of both generations: 2021-2024 entering 2021-2023, 2025-2028 entering
    2025-2027, the first few 2021-2024 firms again in 2025-2028."""
    later = register(participants=150, clusters=2, seed=3)
    earlier = register(participants=150, clusters=2, seed=4).assign(
        programme="2021-2024",
        cvr=_cvrs(150, set(later["cvr"]), start=91_000_000),
        programme_first_year=2021,
        programme_last_year=2024,
    )
    earlier["treatment_year"] -= 4
    again = earlier.head(SHARED).assign(
        programme="2025-2028", programme_first_year=2025, programme_last_year=2028
    )
    return pd.concat([earlier, later, again], ignore_index=True)


@pytest.fixture(scope="module")
def data(two: pd.DataFrame) -> pd.DataFrame:
    return panel(two, firms=3000)


def _quick(config: EstimatorConfig) -> EstimatorConfig:
    """One outcome, all firms only: the diagnostics in a second."""
    return replace(config, outcomes=("log_fte",), group_types=("overall",))


def _control_cvrs(data: pd.DataFrame, reg: pd.DataFrame, config: EstimatorConfig) -> set[str]:
    """Every firm of the control pools (the matched controls are drawn from them)."""
    plan = design(data, reg, config)
    rows = np.concatenate([np.concatenate([m.pool, m.control]) for m in plan.matches.values()])
    return {str(c) for c in plan.wide.cvr[np.unique(rows)]}


@pytest.mark.parametrize("programme", ["2021-2024", "2025-2028"])
def test_no_control_takes_part_in_another_generation(two, data, programme):
    own = own_rows(two, programme)
    others = set(two.loc[two["programme"] != programme, "cvr"]) - set(own["cvr"])
    matching = generation(programme).latest_matching_year
    # without the exclusion the other generation's participants are "never treated" here
    alone = _control_cvrs(data, own, EstimatorConfig(latest_matching_year=matching))
    assert alone & others
    config = generation_config(two, programme, matching)
    assert not _control_cvrs(data, own, config) & others
    assert config.exclude == {int(c) for c in two.loc[two["programme"] != programme, "cvr"]}


def test_a_firm_in_both_generations_is_a_participant_of_each_and_flagged(two, data):
    for programme, other in (("2021-2024", "2025-2028"), ("2025-2028", "2021-2024")):
        config = generation_config(two, programme, generation(programme).latest_matching_year)
        table, diagnostics = run_generation(data, two, programme, _quick(config))
        assert set(table["programme"]) == {programme}
        assert diagnostics["programme"] == programme
        assert diagnostics["participants"] == own_rows(two, programme)["cvr"].nunique()
        assert diagnostics["also_in_generation"] == {other: SHARED}
        assert diagnostics["treated_before"] == SHARED  # found in the exclusion list


def test_2021_2024_is_matched_in_2019(two, data):
    """2020 is a COVID year: the generation file caps the matching year at 2019, and the
    diagnostics say so for every cohort; 2025-2028 matches each cohort in g-1."""
    assert generation("2021-2024").latest_matching_year == 2019
    assert generation("2025-2028").latest_matching_year is None
    config = generation_config(two, "2021-2024", 2019)
    _, diagnostics = run_generation(data, two, "2021-2024", _quick(config))
    assert diagnostics["latest_matching_year"] == 2019
    cohorts = diagnostics["cohorts"]
    assert sorted(cohorts) == ["2021", "2022", "2023"]
    assert {c["matching_year"] for c in cohorts.values()} == {2019}
    assert {int(g): c["base_year"] for g, c in cohorts.items()} == {
        2021: 2020,
        2022: 2021,
        2023: 2022,
    }


def test_helpers_name_the_generations_and_their_overlap(two):
    assert programmes(two) == ["2021-2024", "2025-2028"]
    assert also_in(two, "2025-2028") == {"2021-2024": SHARED}
    assert len(own_rows(two, "2025-2028")) == 150 + SHARED


def test_the_cli_labels_one_generation_and_refuses_two(two):
    assert register_programme(own_rows(two, "2021-2024"), None) == "2021-2024"
    assert register_programme(own_rows(two, "2021-2024"), "2021-2024") == "2021-2024"
    assert register_programme(two.drop(columns="programme"), "2021-2024") == "2021-2024"
    assert register_programme(two.drop(columns="programme"), None) == ""
    with pytest.raises(RegisterError, match="holds the generations 2021-2024, 2025-2028"):
        register_programme(two, None)
    with pytest.raises(RegisterError, match="--programme 2025-2028, but"):
        register_programme(own_rows(two, "2021-2024"), "2025-2028")


def test_the_outside_reader_reads_each_generation_on_its_own():
    """A withheld cluster that 'all' and the other clusters give away is found in its own
    generation's rows, next to another generation's (read together, two 'all' cells per
    period would hide the identity)."""
    rows = []
    for programme in ("2021-2024", "2025-2028"):
        for value, firms, estimate in (("all", 30, 0.02), ("K01", 10, 0.01), ("K02", 20, 0.025)):
            rows.append(
                {
                    "programme": programme,
                    "outcome": "log_fte",
                    "group_type": "overall" if value == "all" else "cluster",
                    "group_value": value,
                    "period": "t+1",
                    "event_time": 1,
                    "estimate": estimate,
                    "std_error": 0.01,
                    "firms_treated": firms,
                    "suppressed": False,
                    "suppression_reason": "",
                    "method": "",
                }
            )
    table = pd.DataFrame(rows)
    assert findings(table).empty
    planted = table["programme"].eq("2025-2028") & table["group_value"].eq("K01")
    table.loc[planted, ["estimate", "std_error", "firms_treated"]] = np.nan
    table.loc[planted, ["suppressed", "suppression_reason"]] = [True, "fewer than 3 firms"]
    found = findings(table)
    assert list(found["programme"]) == ["2025-2028"]
    assert list(found["cells"]) == ["cluster K01 t+1"]
