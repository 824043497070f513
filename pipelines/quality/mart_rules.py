"""The gate's rules of one mart each, beyond the base every mart gets (:mod:`suites`).

Each function adds ``_check_*`` columns (rules relating rows to each other: parts adding up to
their whole, grants against the allocation) and returns the expectations that judge them.
Programme rules are judged per generation: each generation's allocation, period and rules come
from ``config/generations/<id>.yaml`` (:func:`pipelines.constants.generations`), and a rule that
was not in force in a generation (the SME funding cap, the overhead norm: ``None``) is not
applied there. Tolerances come from ``config/programme.yaml``, the size groups from dbt's seed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipelines.constants import Programme, generations, programme, size_groups


def _rounding_tolerance(total: pd.Series) -> pd.Series:
    """DST's rounding: an absolute margin (mio. kr.) or a share of the total, the larger."""
    t = programme().tolerances
    return pd.concat(
        [
            pd.Series(t.dst_rounding_mio_dkk, index=total.index),
            t.dst_rounding_relative * total.abs(),
        ],
        axis=1,
    ).max(axis=1)


def _allocation_text(g: Programme) -> str:
    if not g.allocation_approximate:
        return f"{g.id}: {g.allocation_dkk / 1e6:g} mio. kr."
    about = f"about {g.allocation_dkk / 1e6:g} mio. kr."
    return f"{g.id}: {about}, within {g.allocation_tolerance_pct:g} %"


def _allocation_rule() -> str:
    return (
        "each generation's cluster grants add up to its allocation ("
        + "; ".join(_allocation_text(g) for g in generations())
        + ")"
    )


def _allocation_gap(programmes: pd.Series, grants: pd.Series) -> pd.Series:
    """How far the grants miss the allocation of the row's generation, beyond the slack of an
    approximate one (inf for an undeclared generation)."""
    allocation = {g.id: float(g.allocation_dkk) for g in generations()}
    slack = {g.id: g.allocation_slack_dkk for g in generations()}
    gap = (grants.astype(float) - programmes.map(allocation).astype(float)).abs()
    return (gap - programmes.map(slack).astype(float)).clip(lower=0).fillna(float("inf"))


def _allocation_check(gx, column: str) -> list:
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=0,
            max_value=programme().tolerances.amount_dkk,
            meta={"rule": _allocation_rule()},
        )
    ]


def _outside_period(programmes: pd.Series, years: pd.Series) -> pd.Series:
    """1 where the year lies outside its generation's period (or the generation is unknown)."""
    first = programmes.map({g.id: g.first_year for g in generations()})
    last = programmes.map({g.id: g.last_year for g in generations()})
    inside = (years >= first) & (years <= last)
    return (~inside.fillna(False).astype(bool)).astype(int)


def _period_rule(what: str) -> str:
    periods = ", ".join(g.period_label for g in generations())
    return f"{what} within its generation's period ({periods})"


def _zero(gx, column: str, rule: str):
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column, min_value=0, max_value=0, meta={"rule": rule}
    )


def _every_generation(gx) -> list:
    return [
        gx.expectations.ExpectColumnDistinctValuesToEqualSet(
            column="programme",
            value_set=[g.id for g in generations()],
            meta={"rule": "every declared programme generation is present, and no other"},
        )
    ]


def _shares_add_up(
    df: pd.DataFrame, gx, columns: tuple[str, ...], parts: str, min_count: int = 1
) -> tuple[pd.DataFrame, list]:
    """Per year, each share column of ``columns`` sums to 100 within the tolerance."""
    df = df.copy()
    expectations = []
    for column in columns:
        check = f"_check_{column}_sum_minus_100"
        sums = df.groupby("year")[column].transform(lambda s: s.sum(min_count=min_count))
        df[check] = (sums - 100).abs()
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=check,
                min_value=0,
                max_value=programme().tolerances.share_sum_pct_points,
                meta={
                    "rule": f"{parts} add up to the total ({column} sums to 100 within rounding)"
                },
            )
        )
    return df, expectations


def _smv_rd_share(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    # a year missing a size group is not summed (NaN): only complete years must add up
    return _shares_add_up(
        df, gx, ("share_of_total_pct",), "size groups", min_count=len(size_groups().all)
    )


def _smv_rd_share_summary(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    gap = (
        df["smv_rd_current_mio_dkk"]
        + df["large_rd_current_mio_dkk"]
        - df["total_rd_current_mio_dkk"]
    ).abs()
    df["_check_smv_plus_large_minus_total_beyond_rounding"] = (
        gap - _rounding_tolerance(df["total_rd_current_mio_dkk"])
    ).clip(lower=0)
    return df, [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_smv_plus_large_minus_total_beyond_rounding",
            min_value=0,
            max_value=0,
            meta={"rule": "SMV + large = total within DST's rounding"},
        ),
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="smv_share_pct",
            mostly=0.5,
            meta={"rule": "most years have an SMV share (suppression is the exception)"},
        ),
    ]


def _smv_business_share(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    return _shares_add_up(df, gx, ("firms_share_pct",), "size classes")


def _cluster_outcomes(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    grants = df.groupby(["programme", "year"])["grant_dkk"].transform("sum")
    df["_check_cluster_grants_minus_allocation"] = _allocation_gap(df["programme"], grants)
    df["_check_year_outside_generation"] = _outside_period(df["programme"], df["year"])
    return df, [
        *_allocation_check(gx, "_check_cluster_grants_minus_allocation"),
        _zero(gx, "_check_year_outside_generation", _period_rule("year")),
        *_every_generation(gx),
    ]


def _cluster_programme_summary(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    df["_check_grant_minus_allocation"] = _allocation_gap(df["programme"], df["grant_dkk"])
    periods = {g.id: {*(str(y) for y in g.years), "total"} for g in generations()}
    df["_check_period_not_of_generation"] = [
        int(period not in periods.get(prog, ()))
        for prog, period in zip(df["programme"], df["period"], strict=True)
    ]
    return df, [
        *_allocation_check(gx, "_check_grant_minus_allocation"),
        _zero(
            gx,
            "_check_period_not_of_generation",
            _period_rule("one row per year") + " plus each generation's total",
        ),
        *_every_generation(gx),
    ]


def _price_index(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    base = df.loc[df["is_base_year"].astype(bool), "deflator"]
    df["_check_base_year_rows"] = len(base)
    df["_check_base_deflator_gap"] = (
        (df["base_year_deflator"] - base.iloc[0]).abs() if len(base) == 1 else float("inf")
    )
    df["_check_deflator_minus_gdp_ratio"] = (
        df["deflator"] - df["gdp_current_mio_dkk"] / df["gdp_chained_mio_dkk"]
    ).abs()
    return df, [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_base_year_rows",
            min_value=1,
            max_value=1,
            meta={"rule": "exactly one row is the base year"},
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_base_deflator_gap",
            min_value=0,
            max_value=1e-12,
            meta={"rule": "base_year_deflator is the base year's deflator"},
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_deflator_minus_gdp_ratio",
            min_value=0,
            max_value=1e-12,
            meta={"rule": "deflator = GDP current / chained prices"},
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="deflator", min_value=0, strict_min=True, meta={"rule": "deflator positive"}
        ),
    ]


def _cluster_programme_totals(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    grants = df.groupby("programme")["grant_dkk"].transform("sum")
    df["_check_grants_minus_allocation"] = _allocation_gap(df["programme"], grants)
    rules = [c for c in df.columns if c.startswith("findings_") and c != "findings_total"]
    df["_check_findings_total_minus_rules"] = df["findings_total"] - df[rules].sum(axis=1)
    df["_check_distinct_smv_above_participations"] = (
        df["smv_funded"] - df["smv_participations"]
    ).clip(lower=0)
    # the cap applies only where it was in force: breaches counted there, NULL elsewhere
    capped = (
        df["programme"]
        .map({g.id: g.smv_funding_cap_pct is not None for g in generations()})
        .fillna(False)
        .astype(bool)
    )
    df["_check_breaches_where_no_cap_or_none_where_cap"] = (
        (capped & df["smv_funding_rate_breaches"].isna())
        | (~capped & df["smv_funding_rate_breaches"].notna())
    ).astype(int)
    return df, [
        *_allocation_check(gx, "_check_grants_minus_allocation"),
        _zero(gx, "_check_findings_total_minus_rules", "findings by rule add up to findings_total"),
        _zero(
            gx,
            "_check_distinct_smv_above_participations",
            "distinct SMEs funded never exceed SME participations",
        ),
        _zero(
            gx,
            "_check_breaches_where_no_cap_or_none_where_cap",
            "SME funding-rate breaches counted only where the cap was in force (NULL elsewhere)",
        ),
        *_every_generation(gx),
    ]


def _rule_limits() -> dict[str, dict[str, float | None]]:
    """Each finding rule's limit per generation (None: not a rule then)."""
    return {
        "smv_funding_rate_above_max": {g.id: g.smv_funding_cap_pct for g in generations()},
        "overhead_share_above_norm": {g.id: g.overhead_norm_pct for g in generations()},
    }


def _quality_findings(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    """The cap and the norm are checked only in generations where they were in force: a breach
    row carries that generation's limit; a generation without the rule has exactly one
    ``not_checked`` row for it and no breach."""
    df = df.copy()
    limits = _rule_limits()
    warning = df["severity"] == "warning"
    wrong_limit = pd.Series(0, index=df.index)
    for rule, by_generation in limits.items():
        of_rule = warning & (df["rule"] == rule)
        expected = df["programme"].map(by_generation)
        wrong_limit |= (of_rule & ((df["threshold"] - expected).abs() > 1e-9)).astype(int)
        wrong_limit |= (of_rule & expected.isna()).astype(int)
    df["_check_breach_of_a_rule_not_in_force_or_other_limit"] = wrong_limit
    not_checked = df.loc[df["severity"] == "not_checked"]
    expected_rows = {(g, r) for r, by in limits.items() for g, lim in by.items() if lim is None}
    found = [tuple(x) for x in not_checked[["programme", "rule"]].itertuples(index=False)]
    df["_check_not_checked_rows_unlike_the_rules"] = int(sorted(found) != sorted(expected_rows))
    return df, [
        _zero(
            gx,
            "_check_breach_of_a_rule_not_in_force_or_other_limit",
            "a breach only of a rule in force in its generation, at that generation's limit",
        ),
        _zero(
            gx,
            "_check_not_checked_rows_unlike_the_rules",
            "one not_checked row for each generation and rule not in force then, and no other",
        ),
    ]


def _participant_register(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    df["_check_treatment_year_outside_period"] = _outside_period(
        df["programme"], df["treatment_year"]
    )
    first = df["programme"].map({g.id: g.first_year for g in generations()})
    last = df["programme"].map({g.id: g.last_year for g in generations()})
    df["_check_period_not_the_generations"] = (
        (df["programme_first_year"] != first) | (df["programme_last_year"] != last)
    ).astype(int)
    return df, [
        _zero(gx, "_check_treatment_year_outside_period", _period_rule("treatment year")),
        _zero(
            gx,
            "_check_period_not_the_generations",
            "programme_first_year and programme_last_year are the generation's period",
        ),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="cvr", regex=r"^[1-9][0-9]{7}$", meta={"rule": "CVR is 8 digits"}
        ),
    ]


def _programme_generations(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    """Every generation has every measure once; a measure is comparable or says why not, in
    both languages, and its comparability is one answer for all generations."""
    df = df.copy()
    comparable = df["comparable"].astype("boolean")
    has_reason = df["comparable_reason_da"].notna() & df["comparable_reason_en"].notna()
    any_reason = df["comparable_reason_da"].notna() | df["comparable_reason_en"].notna()
    df["_check_reason_unlike_comparable"] = (
        (
            ((comparable == False) & ~has_reason) | ((comparable == True) & any_reason)  # noqa: E712
        )
        .fillna(True)
        .astype(int)
    )
    n_generations = len(generations())
    df["_check_measure_not_in_every_generation"] = (
        df.groupby("measure")["programme"].transform("nunique") != n_generations
    ).astype(int)
    df["_check_comparable_differs_between_generations"] = (
        df.groupby("measure")["comparable"].transform("nunique") != 1
    ).astype(int)
    current = df.loc[df["is_current_programme"].astype(bool), "programme"].unique()
    df["_check_current_programme_rows"] = int(list(current) != [programme().id])
    return df, [
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="comparable", meta={"rule": "every measure says whether it is comparable"}
        ),
        _zero(
            gx,
            "_check_reason_unlike_comparable",
            "a reason (Danish and English) exactly when a measure is not comparable",
        ),
        _zero(gx, "_check_measure_not_in_every_generation", "every measure in every generation"),
        _zero(
            gx,
            "_check_comparable_differs_between_generations",
            "a measure is comparable in all generations or in none",
        ),
        _zero(
            gx,
            "_check_current_programme_rows",
            "the current generation (programme.yaml) is the one marked current",
        ),
        *_every_generation(gx),
    ]


WITHOUT_GRANT_TYPE = ("not_reported", "several")  # programme_grant_types' row without one


def _programme_grant_types(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    """Each generation has a row per grant type it declares and one for its projects without
    one (``not_reported`` if it never reported grant types: its declared grant types' counts
    are then NULL; ``several`` if it did); its shares add up to 100."""
    df = df.copy()
    declared = {g.id: {t.id for t in g.grant_types} for g in generations()}
    rows = df.groupby("programme")["grant_type"].agg(set)
    unlike = {
        prog: int(not any(found == declared.get(prog, set()) | {w} for w in WITHOUT_GRANT_TYPE))
        for prog, found in rows.items()
    }
    df["_check_grant_types_unlike_the_declaration"] = df["programme"].map(unlike)
    not_reported = df["programme"].isin(
        df.loc[df["grant_type"] == "not_reported", "programme"].unique()
    )
    unknown = not_reported & (df["grant_type"] != "not_reported")
    df["_check_counts_null_unlike_not_reported"] = (
        (unknown != df["projects"].isna()) | (unknown != df["cluster_funding_dkk"].isna())
    ).astype(int)
    sums = df.groupby("programme")["share_of_cluster_funding_pct"].transform(
        lambda s: s.sum() if s.notna().any() else float("nan")
    )
    # a generation without cluster funding has no shares (NULL): nothing to add up
    df["_check_shares_sum_minus_100"] = (sums - 100).abs().fillna(0)
    return df, [
        _zero(
            gx,
            "_check_grant_types_unlike_the_declaration",
            "each generation's declared grant types, plus one row not_reported or several",
        ),
        _zero(
            gx,
            "_check_counts_null_unlike_not_reported",
            "projects and funding NULL exactly for the declared grant types of a generation "
            "that never reported them",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_shares_sum_minus_100",
            min_value=0,
            max_value=programme().tolerances.share_sum_pct_points,
            meta={
                "rule": "each generation's grant types add up to its cluster funding "
                "(share_of_cluster_funding_pct sums to 100 within rounding)"
            },
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="share_of_cluster_funding_pct",
            min_value=0,
            max_value=100,
            meta={"rule": "share within 0-100"},
        ),
        *_every_generation(gx),
    ]


def _effect_estimates(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    from pipelines.evaluation.attack import findings
    from pipelines.evaluation.disclosure import DEFAULT_MIN_FIRMS

    df = df.copy()
    shown = ~df["suppressed"].astype(bool)
    numbers = df[["estimate", "firms_treated", "firms_compared"]].notna().any(axis=1)
    outside = (df["estimate"] < df["ci_lower"]) | (df["estimate"] > df["ci_upper"])
    narrow = (df["band_lower"] > df["ci_lower"]) | (df["band_upper"] < df["ci_upper"])
    few = (
        (df["firms_treated"] < DEFAULT_MIN_FIRMS)
        | (df["firms_compared"] < DEFAULT_MIN_FIRMS)
        | (df["controls_effective"] < DEFAULT_MIN_FIRMS)
    )
    derived = findings(df, DEFAULT_MIN_FIRMS)
    df["_check_withheld_cell_with_numbers"] = (~shown & numbers).astype(int)
    df["_check_estimate_outside_its_ci"] = (shown & outside.fillna(False)).astype(int)
    df["_check_band_inside_the_ci"] = (shown & narrow.fillna(False)).astype(int)
    df["_check_published_cell_below_min_firms"] = (shown & few.fillna(False)).astype(int)
    df["_check_withheld_cells_a_reader_derives"] = len(derived)
    checks = (
        ("_check_withheld_cell_with_numbers", "withheld cells carry no numbers"),
        ("_check_estimate_outside_its_ci", "estimate inside its confidence interval"),
        ("_check_band_inside_the_ci", "the uniform band contains the pointwise CI"),
        (
            "_check_published_cell_below_min_firms",
            f"disclosure control: published cells have at least {DEFAULT_MIN_FIRMS} firms "
            "and effective comparison firms",
        ),
        (
            "_check_withheld_cells_a_reader_derives",
            "disclosure audit: no withheld cell can be worked out from the published ones",
        ),
    )
    return df, [
        *[
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=c, min_value=0, max_value=0, meta={"rule": rule}
            )
            for c, rule in checks
        ],
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="programme",
            value_set=[g.id for g in generations()],
            meta={"rule": "estimates of a declared programme generation, each on its own"},
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="pretrend_p_value", min_value=0, max_value=1, meta={"rule": "p-value within 0-1"}
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="mde",
            min_value=0,
            strict_min=True,
            meta={"rule": "minimum detectable effect > 0"},
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="breakdown_mbar", min_value=0, meta={"rule": "breakdown M-bar >= 0"}
        ),
    ]


MART_RULES: dict[str, Callable[[pd.DataFrame, object], tuple[pd.DataFrame, list]]] = {
    "smv_rd_share": _smv_rd_share,
    "smv_rd_share_summary": _smv_rd_share_summary,
    "smv_business_share": _smv_business_share,
    "price_index": _price_index,
    "cluster_outcomes": _cluster_outcomes,
    "cluster_programme_totals": _cluster_programme_totals,
    "cluster_programme_summary": _cluster_programme_summary,
    "participant_register": _participant_register,
    "quality_findings": _quality_findings,
    "programme_generations": _programme_generations,
    "programme_grant_types": _programme_grant_types,
    "effect_estimates": _effect_estimates,
}
