"""Effect estimates by outcome and group, with disclosure control applied before they leave.

Groups: all participating firms; each size group (FTE in the base year, which is also a
matching cell, so participants and their controls share it); each cluster (the cluster's
participants, with the firm's first entry into the programme as its treatment year: a firm in
two clusters is treated once, when it first joined). A participant's matched controls follow
it into every group it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.evaluation.did import (
    EVENT_WINDOW,
    METHOD,
    EventStudy,
    NotEstimableError,
    event_study,
)
from pipelines.evaluation.disclosure import DisclosureRule, cell_verdict
from pipelines.evaluation.matching import Matches, balance, match
from pipelines.evaluation.outcomes import OUTCOMES, SIZE_GROUPS, add_outcomes

Z95 = 1.959964
GROUP_TYPES = ("overall", "size_group", "cluster")
SHOWN_NUMBERS = (  # what a withheld cell does not show
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "firms_treated",
    "firms_compared",
    "pretrend_p_value",
)
COLUMNS = (
    "outcome",
    "group_type",
    "group_value",
    "period",
    "event_time",
    *SHOWN_NUMBERS,
    "suppressed",
    "suppression_reason",
    "method",
    "panel_source",
    "is_synthetic",
    "is_sample",
)


def period_label(event_time: int | None) -> str:
    """'t-3' .. 't+3' (years since entry) or 'overall'; never a bare '-3' a spreadsheet reads."""
    return "overall" if event_time is None else f"t{event_time:+d}"


@dataclass(frozen=True)
class EstimatorConfig:
    base_year: int  # the year before the programme: matching cells and features are taken here
    neighbours: int = 3
    growth_years: int = 9  # growth slopes over base_year-9..base_year (up to 10 years)
    rule: DisclosureRule = field(default_factory=DisclosureRule)
    outcomes: tuple[str, ...] = tuple(OUTCOMES)
    group_types: tuple[str, ...] = GROUP_TYPES
    matched: bool = True  # False: all never-participants as controls (the naive comparison)


@dataclass(frozen=True)
class Estimates:
    table: pd.DataFrame
    diagnostics: dict


def _cvr_numbers(cvr: pd.Series) -> np.ndarray:
    """CVRs as int64, each distinct text converted once (a panel repeats a firm every year);
    a missing or non-numeric CVR fails the conversion as it would row by row."""
    codes, distinct = pd.factorize(cvr, use_na_sentinel=False)
    return pd.Series(distinct).astype("int64").to_numpy()[codes]


def _groups(
    register: pd.DataFrame,
    firms: pd.DataFrame,
    types: tuple[str, ...],
) -> list[tuple[str, str, set[int]]]:
    groups: list[tuple[str, str, set[int]]] = []
    if "overall" in types:
        groups.append(("overall", "all", set(register["cvr"])))
    if "size_group" in types:
        size = firms.set_index("cvr")["size_group"]
        for name in SIZE_GROUPS:
            groups.append(("size_group", name, set(size.index[size == name])))
    if "cluster" in types:
        for cluster, rows in register.groupby("cluster_id", sort=True):
            groups.append(("cluster", str(cluster), set(rows["cvr"])))
    return groups


def _controls(
    matches: Matches, treated: set[int], participants: set[int], matched: bool
) -> pd.Series:
    """Control firm -> weight (the number of participants it stands in for, each 1/k)."""
    if not matched:
        others = matches.firms.loc[~matches.firms["cvr"].isin(participants), "cvr"]
        return pd.Series(1.0, index=pd.Index(others, name="cvr"))
    pairs = matches.pairs[matches.pairs["treated_cvr"].isin(treated)]
    return pairs.groupby("control_cvr")["weight"].sum()


def _group_rows(
    panel: pd.DataFrame,
    outcomes: tuple[str, ...],
    cohorts: pd.Series,
    controls: pd.Series,
    treated: set[int],
) -> pd.DataFrame:
    """The group's firms' rows with every outcome, cohort and weight: selected once per group,
    not once per outcome."""
    keep = panel["cvr"].isin(treated) | panel["cvr"].isin(controls.index)
    rows = panel.loc[keep, ["cvr", "year", *outcomes]]
    rows["cohort"] = rows["cvr"].map(cohorts.loc[cohorts.index.isin(treated)])
    rows["weight"] = rows["cvr"].map(controls).fillna(1.0)
    return rows


def _sample(rows: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One outcome's estimation data (cvr, year, y, cohort, weight) from the group's rows."""
    columns = {"cvr": "cvr", "year": "year", "y": outcome, "cohort": "cohort", "weight": "weight"}
    return pd.DataFrame({k: rows[c].to_numpy() for k, c in columns.items()}, index=rows.index)


def _disclosed(
    sample: pd.DataFrame, magnitude: pd.Series, rule: DisclosureRule, periods: list[int | None]
) -> dict[str, dict]:
    """Per period: firms on each side and why disclosure control withholds it ("" = shown).

    Both sides are cells of their own: the participants behind an estimate and the firms they
    are compared with must each pass the rule.
    """
    cvr = sample["cvr"].to_numpy()
    _, firm_rows = np.unique(cvr, return_index=True)
    firm_rows.sort()  # each firm's first row, in the sample's order (as drop_duplicates keeps)
    cohort = sample["cohort"].to_numpy(dtype=float)[firm_rows]
    values = magnitude.reindex(cvr[firm_rows]).to_numpy(dtype=float)
    first, last = sample["year"].min(), sample["year"].max()
    treated = ~np.isnan(cohort)
    n_c, _, why_c = cell_verdict(values[~treated], rule)  # the same side in every period
    verdicts = {}
    for period in periods:
        with np.errstate(invalid="ignore"):
            reach = (
                cohort <= last
                if period is None
                else ((cohort + period >= first) & (cohort + period <= last))
            )
        n_t, _, why_t = cell_verdict(values[treated & reach], rule)
        reasons = sorted({why_t, why_c} - {""})
        verdicts[period_label(period)] = {
            "firms_treated": n_t,
            "firms_compared": n_c,
            "suppression_reason": "; ".join(reasons),
        }
    return verdicts


def _rows(study: EventStudy | None, verdicts: dict[str, dict]) -> list[dict]:
    by_event = {}  # event time -> (estimate, std_error): a dict, not a .loc per period
    if study is not None:
        events = study.events
        by_event = dict(
            zip(
                events["event_time"].tolist(),
                zip(events["estimate"].to_numpy(), events["std_error"].to_numpy(), strict=True),
                strict=True,
            )
        )
    rows = []
    for period in [*range(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1), None]:
        key = period_label(period)
        est, se = (np.nan, np.nan)
        if study is not None and period is None:
            est, se = study.overall
        elif period in by_event:
            est, se = by_event[period]
        verdict = verdicts.get(key, {"suppression_reason": ""})
        reason = verdict["suppression_reason"]
        if np.isnan(est) and not reason:
            reason = "not estimable: no cohort observed at this event time"
        shown = not reason
        p_value = study.pretrend_p_value if study is not None else None
        rows.append(
            {
                "period": key,
                "event_time": period,
                "estimate": est if shown else np.nan,
                "std_error": se if shown else np.nan,
                "ci_lower": est - Z95 * se if shown else np.nan,
                "ci_upper": est + Z95 * se if shown else np.nan,
                "firms_treated": verdict["firms_treated"] if shown else np.nan,
                "firms_compared": verdict["firms_compared"] if shown else np.nan,
                "pretrend_p_value": p_value if shown and p_value is not None else np.nan,
                "suppressed": not shown,
                "suppression_reason": reason,
            }
        )
    return rows


def _withheld(reason: str, periods: list[int | None]) -> list[dict]:
    return _rows(None, {period_label(p): {"suppression_reason": reason} for p in periods})


def _estimate(
    sample: pd.DataFrame,
    treated: set[int],
    magnitude: pd.Series,
    last_year: int,
    config: EstimatorConfig,
) -> list[dict]:
    """The rows of one outcome and group; too few participants: all withheld, nothing fitted."""
    periods = [*range(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1), None]
    if len(treated) < config.rule.min_firms:
        return _withheld(f"fewer than {config.rule.min_firms} firms", periods)
    try:
        study = event_study(sample, last_year)
    except NotEstimableError as exc:
        return _withheld(f"not estimable: {exc}", periods)
    return _rows(study, _disclosed(study.sample, magnitude, config.rule, periods))


POST_PERIODS = tuple(period_label(t) for t in range(0, EVENT_WINDOW[1] + 1))


def withhold_complements(table: pd.DataFrame) -> pd.DataFrame:
    """Secondary suppression: withhold the published cells that would give a withheld one away.

    A withheld cell must not be recoverable from the cells around it:

    * 'overall' is the average of t+0..t+3, so with one of those withheld, it goes too;
    * the clusters (and the size groups) split the participants behind 'all', whose estimate
      is the average of theirs weighted by ``firms_treated`` (and 'all' is known from the size
      groups even when withheld): with one group withheld for an outcome and period, the
      published group with the fewest firms goes too (the two are then only known together).

    Cells withheld as not estimable hold no number to recover. Repeated until nothing changes.
    """
    table = table.copy()
    while True:
        before = int(table["suppressed"].sum())
        withheld = table["suppressed"] & ~table["suppression_reason"].str.startswith("not estim")
        group = ["outcome", "group_type", "group_value"]
        post = withheld & table["period"].isin(POST_PERIODS)
        gone = table[post].drop_duplicates(group).set_index(group)["period"]
        overall = table["period"].eq("overall") & ~table["suppressed"]
        for index in table.index[overall]:
            key = tuple(table.loc[index, group])
            if key in gone.index:
                _withhold(
                    table,
                    [index],
                    f"withheld with {gone.loc[key]}: the average of t+0..t+3 would give it away",
                )
        for (outcome, period), _ in table.groupby(["outcome", "period"], sort=False):
            for group_type in ("cluster", "size_group"):
                cells = table[
                    table["outcome"].eq(outcome)
                    & table["period"].eq(period)
                    & table["group_type"].eq(group_type)
                ]
                hidden = cells[withheld.loc[cells.index]]
                shown = cells[~cells["suppressed"]]
                if len(hidden) == 1 and len(shown):
                    smallest = shown["firms_treated"].idxmin()
                    _withhold(
                        table,
                        [smallest],
                        f"withheld with {group_type} {hidden['group_value'].iloc[0]}: with the "
                        "total and the other groups it would give that one away",
                    )
        if int(table["suppressed"].sum()) == before:
            return table


def _withhold(table: pd.DataFrame, index: list, reason: str) -> None:
    table.loc[index, list(SHOWN_NUMBERS)] = np.nan
    table.loc[index, "suppressed"] = True
    table.loc[index, "suppression_reason"] = reason


def estimate_effects(
    panel: pd.DataFrame,
    register: pd.DataFrame,
    config: EstimatorConfig,
) -> Estimates:
    """``effect_estimates`` rows for every outcome x group x period, disclosure-controlled."""
    # CVRs as integers inside the estimator: membership tests on numbers are fast, and no CVR
    # leaves it (the output holds counts only)
    panel = add_outcomes(panel)  # a copy of its own, so the CVR column can be replaced in place
    panel["cvr"] = _cvr_numbers(panel["cvr"])
    register = register.assign(cvr=register["cvr"].astype("int64"))
    cohorts = register.groupby("cvr")["treatment_year"].min().astype(float)
    participants = set(cohorts.index)
    matches = match(panel, participants, config.base_year, config.neighbours, config.growth_years)
    linked = participants & set(panel["cvr"])
    analysed = (
        set(matches.pairs["treated_cvr"]) if config.matched else (linked - set(matches.unmatched))
    )
    last_year = int(panel["year"].max())
    base = panel[panel["year"] == config.base_year].set_index("cvr")
    if config.matched:  # only participants and their matches are ever estimated on
        panel = panel[panel["cvr"].isin(participants | set(matches.pairs["control_cvr"]))]
    records = []
    for group_type, value, members in _groups(register, matches.firms, config.group_types):
        treated = members & analysed
        controls = _controls(matches, treated, participants, config.matched)
        group = _group_rows(panel, config.outcomes, cohorts, controls, treated)
        for outcome in config.outcomes:
            sample = _sample(group, outcome)
            rows = _estimate(sample, treated, base[OUTCOMES[outcome][1]], last_year, config)
            records += [
                {"outcome": outcome, "group_type": group_type, "group_value": value, **row}
                for row in rows
            ]
    table = withhold_complements(pd.DataFrame.from_records(records))
    table["method"] = (
        METHOD.format(k=config.neighbours)
        if config.matched
        else METHOD.split(",")[0] + ", all never-participants as controls (naive)"
    )
    diagnostics = {
        "participants": len(participants),
        "linked_to_panel": len(linked),
        "matched": int(matches.pairs["treated_cvr"].nunique()),
        "not_matched": len(linked - set(matches.pairs["treated_cvr"])),
        "not_in_panel": len(participants - linked),
        "distinct_controls": int(matches.pairs["control_cvr"].nunique()),
        "base_year": config.base_year,
        "neighbours": config.neighbours,
        "balance": balance(matches.firms, matches.pairs, participants).round(4).to_dict()
        if len(matches.pairs)
        else {},
    }
    return Estimates(table, diagnostics)
