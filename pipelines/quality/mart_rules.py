"""The gate's rules of one mart each, beyond the base every mart gets (:mod:`suites`).

Each function adds ``_check_*`` columns (rules relating rows to each other: parts adding up to
their whole, grants against the allocation) and returns the expectations that judge them.
Limits and tolerances come from ``config/programme.yaml`` (:mod:`pipelines.constants`), the
size groups from dbt's seed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipelines.constants import programme, size_groups


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


def _allocation_rule() -> str:
    return f"cluster grants add up to the {programme().allocation_dkk / 1e6:g} mio. kr. allocation"


def _allocation_bounds() -> dict[str, float]:
    p = programme()
    return {
        "min_value": p.allocation_dkk - p.tolerances.amount_dkk,
        "max_value": p.allocation_dkk + p.tolerances.amount_dkk,
    }


def _within_period(gx, column: str) -> list:
    p = programme()
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=p.first_year,
            max_value=p.last_year,
            meta={"rule": f"{column} within the programme period {p.period_label}"},
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
    df["_check_cluster_grants_total"] = (
        df.groupby("year")["grant_2025_2028_dkk"].transform("sum").astype(float)
    )
    return df, [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_cluster_grants_total",
            **_allocation_bounds(),
            meta={"rule": _allocation_rule()},
        ),
        *_within_period(gx, "year"),
    ]


def _cluster_programme_summary(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    p = programme()
    return df, [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="grant_2025_2028_dkk", **_allocation_bounds(), meta={"rule": _allocation_rule()}
        ),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="period",
            value_set=[*(str(y) for y in p.years), "total"],
            meta={"rule": f"one row per programme year {p.period_label} plus the total"},
        ),
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
    df["_check_grants_total"] = df["grant_2025_2028_dkk"].astype(float).sum()
    rules = [c for c in df.columns if c.startswith("findings_") and c != "findings_total"]
    df["_check_findings_total_minus_rules"] = df["findings_total"] - df[rules].sum(axis=1)
    df["_check_distinct_smv_above_participations"] = (
        df["smv_funded"] - df["smv_participations"]
    ).clip(lower=0)
    E = gx.expectations  # noqa: N806 (GX's namespace)
    zero = {"min_value": 0, "max_value": 0}
    return df, [
        E.ExpectColumnValuesToBeBetween(
            column="_check_grants_total", **_allocation_bounds(), meta={"rule": _allocation_rule()}
        ),
        E.ExpectColumnValuesToBeBetween(
            column="_check_findings_total_minus_rules",
            **zero,
            meta={"rule": "findings by rule add up to findings_total"},
        ),
        E.ExpectColumnValuesToBeBetween(
            column="_check_distinct_smv_above_participations",
            **zero,
            meta={"rule": "distinct SMEs funded never exceed SME participations"},
        ),
    ]


def _participant_register(df: pd.DataFrame, gx) -> tuple[pd.DataFrame, list]:
    df = df.copy()
    df["_check_treatment_year_outside_period"] = (
        (df["treatment_year"] < df["programme_first_year"])
        | (df["treatment_year"] > df["programme_last_year"])
    ).astype(int)
    return df, [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="_check_treatment_year_outside_period",
            min_value=0,
            max_value=0,
            meta={"rule": "treatment year within the programme period"},
        ),
        *_within_period(gx, "programme_first_year"),
        *_within_period(gx, "programme_last_year"),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="cvr", regex=r"^[1-9][0-9]{7}$", meta={"rule": "CVR is 8 digits"}
        ),
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
    "effect_estimates": _effect_estimates,
}
