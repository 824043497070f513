"""Effect estimates by outcome, group and period, disclosure-controlled before they leave.

Each entry cohort is matched in its own base year to its own controls
(:mod:`pipelines.evaluation.matching`), every cohort-time comparison is taken on the firms
observed in both years (:mod:`pipelines.evaluation.did`), and each group pools its
participants' contrasts. Groups: all participants; size group (FTE in the cohort's matching
year); cluster (a firm in two clusters is in both, treated once, when it first joined); kind of
participation; new to R&D; tercile of the funding received. A participant's matched controls
follow it into every group it belongs to. Periods: event times -3..+3, ``overall`` (mean of
0..+3) and ``placebo`` (entry pretended two years early, matched again in that pretend base
year).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pipelines.evaluation import inference
from pipelines.evaluation.did import (
    EVENT_WINDOW,
    POST_EVENTS,
    Links,
    Pooled,
    average,
    comparisons,
    pool,
)
from pipelines.evaluation.disclosure import Cell, DisclosureRule, audit, cell_reason
from pipelines.evaluation.groups import GROUP_TYPES, firm_groups
from pipelines.evaluation.matching import FEATURES, CohortMatch, features, match_cohort
from pipelines.evaluation.outcomes import OUTCOMES
from pipelines.evaluation.wide import WidePanel, to_wide

PLACEBO_SHIFT = 2  # the placebo pretends entry this many years early
SHOWN_NUMBERS = (  # what a withheld cell does not show
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "band_lower",
    "band_upper",
    "mde",
    "firms_treated",
    "firms_compared",
    "controls_effective",
    "pretrend_p_value",
    "breakdown_mbar",
)
COLUMNS = (
    "programme",  # the programme generation (each generation's table is its own publication)
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
NOT_ESTIMABLE = "not estimable"
# said in 'method' when a firm took part through several clusters: it is in each of them, so the
# clusters' estimates do not add up to 'all' (pipelines.evaluation.attack reads it)
OVERLAPPING_CLUSTERS = (
    "; clusters overlap (a firm in several is in each; they do not add up to all)"
)


def period_label(event_time: int | None) -> str:
    """'t-3' .. 't+3' (years since entry) or 'overall'; never a bare '-3' a spreadsheet reads."""
    return "overall" if event_time is None else f"t{event_time:+d}"


EVENT_PERIODS = tuple(period_label(e) for e in range(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1))
PERIODS = (*EVENT_PERIODS, "overall", "placebo")


@dataclass(frozen=True)
class EstimatorConfig:
    neighbours: int = 3
    anticipation: int = 0  # years before entry in which participants may already react
    control_group: str = "never"  # never | not-yet (Callaway-Sant'Anna's two control groups)
    latest_matching_year: int | None = None  # cap on the matching year (e.g. 2019 before COVID)
    rule: DisclosureRule = field(default_factory=DisclosureRule)
    outcomes: tuple[str, ...] = tuple(OUTCOMES)
    group_types: tuple[str, ...] = GROUP_TYPES
    matched: bool = True  # False: every control-pool firm, unweighted (the naive comparison)
    exclude: frozenset[int] = frozenset()  # CVRs never used as controls (earlier programmes)
    bootstrap_draws: int = 999
    seed: int = 20250101

    def __post_init__(self) -> None:
        if self.control_group not in ("never", "not-yet"):
            raise ValueError("control_group: never or not-yet")
        if self.anticipation < 0 or self.neighbours < 1 or self.bootstrap_draws < 1:
            raise ValueError("anticipation >= 0, neighbours >= 1, bootstrap_draws >= 1")

    @property
    def reference_event(self) -> int:
        return -1 - self.anticipation

    def method(self) -> str:
        controls = "never-treated" if self.control_group == "never" else "not-yet-treated"
        matching = (
            f"each cohort matched in its own base year to its own {controls} controls (exact "
            f"cells + {self.neighbours} nearest neighbours on pre-period levels and growth)"
            if self.matched
            else f"all {controls} firms as controls, unmatched (naive)"
        )
        return (
            f"Callaway-Sant'Anna ATT(g,t), {matching}, base year g-1-{self.anticipation}, "
            "unbalanced panel, firm-clustered influence-function SEs, multiplier-bootstrap "
            f"uniform bands ({self.bootstrap_draws} draws)"
        )


@dataclass(frozen=True)
class Estimates:
    table: pd.DataFrame
    diagnostics: dict
    cells: list[Cell]  # what stands behind every cell (for audits; never published)


@dataclass(frozen=True)
class Design:
    wide: WidePanel
    firm_cohort: np.ndarray  # per panel row: entry year, inf for never-participants
    links: Links
    placebo_links: Links
    matches: dict[int, CohortMatch]
    matching_year: dict[int, int]


def _cohorts(register: pd.DataFrame) -> pd.Series:
    cvr = register["cvr"].astype("int64")
    return register.groupby(cvr)["treatment_year"].min().astype(int)


def _links(parts: list[tuple[int, int, int, CohortMatch]]) -> Links:
    """(cohort, base year, real entry year, matches) of every cohort as one set of links."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        none = np.zeros((0, 0))
        return Links(
            treated=empty,
            control=empty,
            weight=np.zeros(0),
            cell=empty,
            cohort=empty,
            base=empty,
            entry=empty,
            gap=none,
            pool=empty,
            pool_x=none,
            pool_cell=empty,
            pool_cohort=empty,
        )

    def each(value: int, m: CohortMatch) -> np.ndarray:
        return np.full(len(m.treated), value)

    cohort = np.concatenate([each(g, m) for g, _, _, m in parts])
    raw_cell = np.concatenate([m.cell for *_, m in parts])
    _, cell = np.unique(np.column_stack([cohort, raw_cell]), axis=0, return_inverse=True)
    return Links(
        treated=np.concatenate([m.treated for *_, m in parts]),
        control=np.concatenate([m.control for *_, m in parts]),
        weight=np.concatenate([m.weight for *_, m in parts]),
        cell=cell.ravel(),
        cohort=cohort,
        base=np.concatenate([each(b, m) for _, b, _, m in parts]),
        entry=np.concatenate([each(e, m) for _, _, e, m in parts]),
        gap=np.concatenate([m.gap for *_, m in parts]),
        pool=np.concatenate([m.pool for *_, m in parts]),
        pool_x=np.concatenate([m.pool_x for *_, m in parts]),
        pool_cell=np.concatenate([m.pool_cell for *_, m in parts]),
        pool_cohort=np.concatenate([np.full(len(m.pool), g) for g, _, _, m in parts]),
    )


def _pool_rows(
    firm_cohort: np.ndarray, cohort: int, base: int, excluded: np.ndarray, config: EstimatorConfig
) -> np.ndarray:
    """The control pool of ``cohort`` (base year ``base``): never-participants (and, with
    not-yet-treated controls, other cohorts' participants still untreated then), never an
    excluded firm."""
    eligible = np.isinf(firm_cohort)
    if config.control_group == "not-yet":
        eligible |= (firm_cohort - config.anticipation > base) & (firm_cohort != cohort)
    return np.flatnonzero(eligible & ~excluded)


def _unmatched(treated: np.ndarray, pool_rows: np.ndarray) -> CohortMatch:
    """Every pool firm as a control of every participant (the naive comparison)."""
    k = len(pool_rows)
    return CohortMatch(
        treated=np.repeat(treated, k),
        control=np.tile(pool_rows, len(treated)),
        weight=np.full(len(treated) * k, 1.0 / max(k, 1)),
        cell=np.zeros(len(treated) * k, dtype=np.int64),
        gap=np.zeros((len(treated) * k, 0)),
        pool=np.zeros(0, dtype=np.int64),
        pool_x=np.zeros((0, 0)),
        pool_cell=np.zeros(0, dtype=np.int64),
        unmatched_no_data=0,
        unmatched_no_control=len(treated) if k == 0 else 0,
    )


def features_until(cohort: int) -> int:
    """The last year the matching features of ``cohort`` come from: the year before its event
    window. No year an estimate is taken in is matched on, so a transitory high or low matched
    on cannot come back as an effect (regression to the mean), and the pre-entry estimates are
    an honest test of the matching, not zero by construction."""
    return cohort + EVENT_WINDOW[0] - 1


def design(panel: pd.DataFrame, register: pd.DataFrame, config: EstimatorConfig) -> Design:
    """Match every cohort (and its placebo) to its own controls."""
    wide = to_wide(panel)
    cohorts = _cohorts(register)
    rows = wide.index_of(cohorts.index.to_numpy())
    firm_cohort = np.full(len(wide.cvr), np.inf)
    firm_cohort[rows[rows >= 0]] = cohorts.to_numpy()[rows >= 0]
    excluded = np.isin(wide.cvr, np.fromiter(config.exclude, dtype=np.int64))
    excluded &= np.isinf(firm_cohort)  # a participant stays a participant
    real, placebo, matches, years = [], [], {}, {}
    for g in sorted(set(cohorts.to_numpy().tolist())):
        treated = np.flatnonzero(firm_cohort == g)
        for shift, target in ((0, real), (PLACEBO_SHIFT, placebo)):
            base = g - shift - 1 - config.anticipation
            year = (
                base
                if config.latest_matching_year is None
                else min(base, config.latest_matching_year - shift)
            )
            pool_rows = _pool_rows(firm_cohort, g, base, excluded, config)
            until = features_until(g - shift)
            found = (
                match_cohort(wide, treated, pool_rows, year, until, config.neighbours)
                if config.matched
                else _unmatched(treated, pool_rows)
            )
            target.append((g - shift, base, g, found))
            if shift == 0:
                matches[g], years[g] = found, year
    return Design(wide, firm_cohort, _links(real), _links(placebo), matches, years)


@dataclass
class _GroupResult:
    """One outcome and group before disclosure control: a Pooled per period (None: not
    estimable) and the group-level statistics."""

    periods: dict[str, Pooled | None]
    se: dict[str, float]
    band: float
    pretrend: float | None
    breakdown: float


def _group_result(
    by_event: dict[int, list],
    placebo_by_event: dict[int, list],
    member: np.ndarray,
    multipliers: inference.Multipliers,
    config: EstimatorConfig,
) -> _GroupResult:
    reference = config.reference_event
    periods: dict[str, Pooled | None] = {}
    for e in range(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1):
        if e != reference:
            periods[period_label(e)] = pool(by_event.get(e, []), member)
    post = [periods.get(period_label(e)) for e in POST_EVENTS]
    periods["overall"] = average([p for p in post if p is not None])
    placebo = [pool(parts, member, placebo=True) for parts in placebo_by_event.values()]
    periods["placebo"] = average([p for p in placebo if p is not None])
    se = {k: inference.std_error(p) for k, p in periods.items() if p is not None}
    events = [
        periods[period_label(e)]
        for e in range(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1)
        if e != reference and periods.get(period_label(e)) is not None
    ]
    band = inference.band_critical_value(events, multipliers) if events else float("nan")
    pre = {
        e: periods[period_label(e)]
        for e in range(EVENT_WINDOW[0], reference)
        if periods.get(period_label(e)) is not None
    }
    pretrend = inference.wald_p_value(list(pre.values()))
    overall = periods["overall"]
    breakdown = (
        inference.breakdown_mbar(
            overall.estimate, se["overall"], {e: p.estimate for e, p in pre.items()}, reference
        )
        if overall is not None
        else float("nan")
    )
    # the influence functions are spent: keep only what the table and the audit read
    empty = np.zeros(0)
    slim = {
        k: None if p is None else replace(p, firms=empty, influence=empty)
        for k, p in periods.items()
    }
    return _GroupResult(slim, se, band, pretrend, breakdown)


def _cell(outcome: str, kind: str, value: str, period: str, pooled: Pooled | None) -> Cell:
    if pooled is None:
        return Cell(outcome, kind, value, period, float("nan"))
    return Cell(
        outcome,
        kind,
        value,
        period,
        pooled.estimate,
        pooled.treated,
        pooled.contribution,
        pooled.controls,
        pooled.control_weight,
        pooled.coords,
        pooled.coef,
    )


def _row(cell: Cell, result: _GroupResult) -> dict:
    pooled = result.periods.get(cell.period)
    event = None if cell.period in ("overall", "placebo") else int(cell.period[1:])
    row = {
        "outcome": cell.outcome,
        "group_type": cell.group_type,
        "group_value": cell.group_value,
        "period": cell.period,
        "event_time": event,
        **dict.fromkeys(SHOWN_NUMBERS, np.nan),
        "suppressed": bool(cell.reason),
        "suppression_reason": cell.reason,
    }
    if cell.reason or pooled is None:
        return row
    se = result.se[cell.period]
    est = pooled.estimate
    row.update(
        estimate=est,
        std_error=se,
        ci_lower=est - inference.Z95 * se,
        ci_upper=est + inference.Z95 * se,
        mde=inference.MDE_FACTOR * se,
        firms_treated=pooled.firms_treated,
        firms_compared=len(pooled.controls),
        controls_effective=1.0 / float(np.sum(pooled.control_weight**2)),
    )
    if event is not None and np.isfinite(result.band):
        row.update(band_lower=est - result.band * se, band_upper=est + result.band * se)
    return row


def _reference_row(outcome: str, kind: str, value: str, shown: bool, reference: int) -> dict:
    """The reference year: 0 by construction, shown when any period of the group is."""
    return {
        "outcome": outcome,
        "group_type": kind,
        "group_value": value,
        "period": period_label(reference),
        "event_time": reference,
        **dict.fromkeys(SHOWN_NUMBERS, np.nan),
        "estimate": 0.0 if shown else np.nan,
        "suppressed": not shown,
        "suppression_reason": "" if shown else "withheld with every other period of the group",
    }


def estimate_effects(
    panel: pd.DataFrame,
    register: pd.DataFrame,
    config: EstimatorConfig,
) -> Estimates:
    """``effect_estimates`` rows for every outcome x group x period, disclosure-controlled."""
    plan = design(panel, register, config)
    wide, links = plan.wide, plan.links
    analysed = np.zeros(len(wide.cvr), bool)
    analysed[links.treated] = True
    types = ("overall", *[t for t in config.group_types if t != "overall"])
    groups = firm_groups(register, wide, plan.firm_cohort, plan.matching_year, analysed, types)
    multipliers = inference.Multipliers(
        np.concatenate(
            [
                part
                for chosen in (links, plan.placebo_links)
                for part in (chosen.treated, chosen.control, chosen.pool)
            ]
        ),
        config.bootstrap_draws,
        config.seed,
    )
    not_yet = config.control_group == "not-yet"
    placebo_events = tuple(range(0, PLACEBO_SHIFT - config.anticipation))
    cells: list[Cell] = []
    results: dict[tuple[str, str, str], _GroupResult] = {}
    for outcome in config.outcomes:
        by_event: dict[int, list] = {}
        for c in comparisons(wide, outcome, links, plan.firm_cohort, config.anticipation, not_yet):
            by_event.setdefault(c.event_time, []).append(c)
        placebo_by_event: dict[int, list] = {}
        for c in comparisons(
            wide,
            outcome,
            plan.placebo_links,
            plan.firm_cohort,
            config.anticipation,
            not_yet,
            events=placebo_events,
        ):
            placebo_by_event.setdefault(c.event_time, []).append(c)
        for kind, value, member in groups:
            result = _group_result(
                by_event, placebo_by_event, member & analysed, multipliers, config
            )
            results[(outcome, kind, value)] = result
            for period, pooled in result.periods.items():
                cell = _cell(outcome, kind, value, period, pooled)
                cell.virtual = kind == "overall" and "overall" not in config.group_types
                if pooled is None:
                    cell.reason = f"{NOT_ESTIMABLE}: no participant observed with a control"
                else:
                    cell.reason = cell_reason(cell, config.rule)
                    if not cell.reason and result.se[period] == 0:
                        cell.reason = f"{NOT_ESTIMABLE}: the outcome does not vary"
                        cell.known = True  # no inference, but a reader may guess its value
                cells.append(cell)
    for index, reason in audit(cells, config.rule):
        cells[index].reason = reason
    table = _table(cells, results, config)
    if (
        "cluster" in config.group_types
        and register.groupby("cvr")["cluster_id"].nunique().gt(1).any()
    ):
        table["method"] += OVERLAPPING_CLUSTERS
    return Estimates(table, _diagnostics(plan, register, config, cells), cells)


def _table(
    cells: list[Cell], results: dict[tuple[str, str, str], _GroupResult], config: EstimatorConfig
) -> pd.DataFrame:
    records: list[dict] = []
    by_group: dict[tuple[str, str, str], list[Cell]] = {}
    for cell in cells:
        if not cell.virtual:
            by_group.setdefault((cell.outcome, cell.group_type, cell.group_value), []).append(cell)
    for key, group in by_group.items():
        result = results[key]
        rows = {c.period: _row(c, result) for c in group}
        shown = [p for p, r in rows.items() if not r["suppressed"]]
        pre_shown = all(
            not rows[period_label(e)]["suppressed"]
            for e in range(EVENT_WINDOW[0], config.reference_event)
            if period_label(e) in rows and result.periods.get(period_label(e)) is not None
        )
        for period, row in rows.items():
            if row["suppressed"]:
                continue
            if pre_shown and result.pretrend is not None:
                row["pretrend_p_value"] = result.pretrend
            if period == "overall" and pre_shown:
                row["breakdown_mbar"] = result.breakdown
        if EVENT_WINDOW[0] <= config.reference_event:
            rows[period_label(config.reference_event)] = _reference_row(
                *key, bool(shown), config.reference_event
            )
        records += [rows[p] for p in PERIODS if p in rows]
    table = pd.DataFrame.from_records(records)
    table["method"] = config.method()
    return table


def _smd(treated: np.ndarray, controls: np.ndarray, weight: np.ndarray | None = None) -> float:
    t, c = treated[np.isfinite(treated)], controls[np.isfinite(controls)]
    if weight is not None:
        w = weight[np.isfinite(controls)]
    if len(t) < 2 or len(c) < 2:
        return float("nan")
    sd = np.sqrt((t.var() + c.var()) / 2) or 1.0
    mean_c = np.average(c, weights=w) if weight is not None and w.sum() > 0 else c.mean()
    return float((t.mean() - mean_c) / sd)


def _balance(plan: Design, g: int, config: EstimatorConfig) -> dict:
    """Standardised mean differences in the cohort's matching year, participants vs their
    pool (before) and vs their weighted matches (after): on the features matched on, and on
    what was not matched on (export share, R&D active); region and industry as the largest
    difference in shares (0 by construction: they are exact cells)."""
    wide, m = plan.wide, plan.matches[g]
    j = wide.column(plan.matching_year[g])
    treated = np.unique(m.treated)
    pool_rows = np.flatnonzero(np.isinf(plan.firm_cohort))
    out: dict[str, dict[str, float]] = {}
    year, until = plan.matching_year[g], features_until(g)
    f_t, _, _ = features(wide, treated, year, until)
    f_p, _, _ = features(wide, pool_rows, year, until)
    f_c, _, _ = features(wide, m.control, year, until)
    for k, name in enumerate(FEATURES):
        out[name] = {
            "smd_before": _smd(f_t[:, k], f_p[:, k]),
            "smd_after": _smd(f_t[:, k], f_c[:, k], m.weight),
        }
    for name in ("export_share", "rd_active"):
        values = wide.values[name][:, j]
        out[name] = {
            "smd_before": _smd(values[treated], values[pool_rows]),
            "smd_after": _smd(values[treated], values[m.control], m.weight),
        }
    for name, codes in (("region", wide.region[:, j]), ("industry", wide.industry[:, j])):
        gaps = []
        for matched, w in ((pool_rows, None), (m.control, m.weight)):
            levels = np.union1d(codes[treated], codes[matched])
            share_t = np.array([(codes[treated] == v).mean() for v in levels])
            weights = np.ones(len(matched)) if w is None else w
            share_c = np.array([weights[codes[matched] == v].sum() / weights.sum() for v in levels])
            gaps.append(float(np.abs(share_t - share_c).max()) if len(levels) else float("nan"))
        out[name] = {"largest_share_gap_before": gaps[0], "largest_share_gap_after": gaps[1]}
    return {k: {n: round(v, 4) for n, v in d.items()} for k, d in out.items()}


def _attrition(plan: Design, outcome: str) -> dict[str, int]:
    """Matched firms (participants and controls) missing from at least one of their
    comparisons of ``outcome``, by the reason at the first such year."""
    wide, links = plan.wide, plan.links
    first_reason: dict[int, str] = {}
    for g in np.unique(links.cohort):
        at = links.cohort == g
        base = int(links.base[at][0])
        firms = np.unique(np.concatenate([links.treated[at], links.control[at]]))
        for year in range(base, int(g) + EVENT_WINDOW[1] + 1):
            j = wide.column(year)
            if j is None:
                continue
            lost = firms[~np.isfinite(wide.values[outcome][firms, j])]
            lost = lost[[f not in first_reason for f in lost.tolist()]]
            for f, why in zip(lost.tolist(), wide.why_missing(outcome, lost, j), strict=True):
                first_reason[f] = why
    counts: dict[str, int] = {}
    for why in first_reason.values():
        counts[why] = counts.get(why, 0) + 1
    return counts


def _diagnostics(
    plan: Design, register: pd.DataFrame, config: EstimatorConfig, cells: list[Cell]
) -> dict:
    cohorts = _cohorts(register)
    participants = cohorts.index.to_numpy()
    linked = plan.wide.index_of(participants) >= 0
    matched = np.unique(plan.links.treated)
    no_data = sum(m.unmatched_no_data for m in plan.matches.values())
    no_control = sum(m.unmatched_no_control for m in plan.matches.values())
    excluded = np.fromiter(config.exclude, dtype=np.int64)
    per_cohort = {}
    for g, m in plan.matches.items():
        weight = pd.Series(m.weight).groupby(m.control).sum().to_numpy()
        share = weight / weight.sum() if len(weight) else weight
        entry = {
            "base_year": g - 1 - config.anticipation,
            "matching_year": plan.matching_year[g],
            "features_until": features_until(g),
            "participants": int((cohorts == g).sum()),
            "matched": int(len(np.unique(m.treated))),
            "not_matched_no_data": m.unmatched_no_data,
            "not_matched_no_control": m.unmatched_no_control,
            "distinct_controls": int(len(np.unique(m.control))),
            "controls_effective": round(float(1 / np.sum(share**2)), 1) if len(share) else 0.0,
        }
        if entry["matched"] >= config.rule.min_firms and config.matched:
            entry["balance"] = _balance(plan, g, config)
        per_cohort[str(g)] = entry
    return _mask_small_counts(
        {
            "participants": int(len(participants)),
            "linked_to_panel": int(linked.sum()),
            "not_in_panel": int((~linked).sum()),
            "matched": int(len(matched)),
            "not_matched": int(no_data + no_control),
            "not_matched_no_data": int(no_data),
            "not_matched_no_control": int(no_control),
            "treated_before": int(np.isin(participants, excluded).sum()),
            "excluded_from_controls": int(
                np.isin(plan.wide.cvr[np.isinf(plan.firm_cohort)], excluded).sum()
            ),
            "distinct_controls": int(len(np.unique(plan.links.control))),
            "neighbours": config.neighbours,
            "anticipation": config.anticipation,
            "latest_matching_year": config.latest_matching_year,
            "control_group": config.control_group,
            "bootstrap_draws": config.bootstrap_draws,
            "seed": config.seed,
            "cohorts": per_cohort,
            "attrition": {o: _attrition(plan, o) for o in config.outcomes},
            "withheld": {
                "primary": sum(
                    1
                    for c in cells
                    if c.reason
                    and not c.reason.startswith(("withheld", NOT_ESTIMABLE))
                    and not c.virtual
                ),
                "secondary": sum(
                    1 for c in cells if c.reason.startswith("withheld") and not c.virtual
                ),
                "not_estimable": sum(
                    1 for c in cells if c.reason.startswith(NOT_ESTIMABLE) and not c.virtual
                ),
            },
        },
        config.rule.min_firms,
    )


WITHHELD_COUNT = "withheld (it would give a count below the minimum away)"
# counts of firms found in DST's registers that add up to a total a reader knows: when one is
# small, all are shown as a range (the others would give it away)
_COUNT_IDENTITIES = (
    ("linked_to_panel", "not_in_panel"),
    ("matched", "not_matched", "not_matched_no_data", "not_matched_no_control"),
)


def _mask_small_counts(diagnostics: dict, min_firms: int) -> dict:
    """Counts of firms between 1 and ``min_firms`` - 1 leave as '<3', and the counts they add up
    with as 'withheld' (the count rule applies to diagnostics.json as to the estimates)."""
    small = f"<{min_firms}"

    def is_small(value: object) -> bool:
        return isinstance(value, int) and 0 < value < min_firms

    def mask(d: dict, identities: tuple[tuple[str, ...], ...]) -> None:
        for names in identities:
            if any(is_small(d.get(n)) for n in names):
                for n in names:
                    if n in d and d[n] != 0:
                        d[n] = small if is_small(d[n]) else WITHHELD_COUNT
        for key in ("excluded_from_controls", "distinct_controls"):
            if is_small(d.get(key)):
                d[key] = small

    mask(diagnostics, _COUNT_IDENTITIES)
    for cohort in diagnostics["cohorts"].values():
        mask(cohort, _COUNT_IDENTITIES[1:])
    for counts in diagnostics["attrition"].values():
        for reason, n in counts.items():
            if is_small(n):
                counts[reason] = small
    return diagnostics
