"""Great Expectations suites, one per published mart, kept as code: the publish gate.

GX owns the gate's value rules (``docs/architecture.md``, "Which check lives where"): columns
and types as the dbt contract, row bounds, recent DST data, shares within 0-100, parts adding up
to their whole within rounding, grants against the allocation, years within the programme
period. Structure (keys, accepted codes, relationships, year gaps, reconciliation of raw rows
to the marts) is dbt's, tested while the marts are built, and not repeated here. Constants and
tolerances come from ``config/programme.yaml`` (:mod:`pipelines.constants`), the size groups
from dbt's seed. Rules that relate rows to each other are computed here into ``_check_*``
columns that a plain GX expectation then judges, because GX has no cross-row arithmetic.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.catalog import Mart
from pipelines.quality.mart_rules import MART_RULES

DST_MAX_AGE_YEARS = 3
# dbt contract type -> pandas dtypes DuckDB may hand back (float64 when an int column has NULLs)
PANDAS_TYPES = {
    "integer": ["int8", "int16", "int32", "int64", "Int32Dtype", "Int64Dtype", "float64"],
    "bigint": ["int32", "int64", "Int64Dtype", "float64"],
    "double": ["float32", "float64", "Float64Dtype"],
    "varchar": ["str", "object"],  # handed to GX as object, see as_validation_frame
    "boolean": ["bool", "BooleanDtype", "object"],
    "date": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]", "object"],
    "timestamp": ["datetime64[ns]", "datetime64[us]", "object"],
    "decimal(18,2)": ["float64"],
}


def _percent_columns(mart: Mart) -> list[str]:
    """Shares and funding rates: always within 0-100 (changes and grant drawn may exceed it)."""
    return [
        c.name
        for c in mart.columns
        if c.name.endswith("_share_pct")
        or (c.name.startswith("smv_funding_rate") and c.name.endswith("_pct"))
        or c.name in ("share_of_total_pct", "share_of_size_group_pct", "smv_share_pct")
    ]


def as_validation_frame(df: pd.DataFrame) -> pd.DataFrame:
    """pandas 3 string columns as plain objects: GX's pandas type check predates StringDtype."""
    strings = [c for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)]
    return df.astype(dict.fromkeys(strings, object)) if strings else df


def build_suite(
    mart: Mart,
    df: pd.DataFrame,
    gx,
    today: date | None = None,
) -> tuple[pd.DataFrame, list]:
    """The frame to validate (with any ``_check_*`` columns) and the expectations for it."""
    today = today or date.today()
    E = gx.expectations  # noqa: N806 (GX's namespace)
    df = as_validation_frame(df)
    df, extra = MART_RULES.get(mart.name, lambda d, _: (d, []))(df, gx)
    contract_columns = [c.name for c in mart.columns]
    derived = [c for c in df.columns if c.startswith("_check_")]
    expectations = [
        E.ExpectTableColumnsToMatchOrderedList(
            column_list=contract_columns + derived, meta={"rule": "columns as the dbt contract"}
        ),
        E.ExpectTableRowCountToBeBetween(
            min_value=mart.min_rows,
            max_value=mart.max_rows,
            meta={"rule": "row count within expected bounds"},
        ),
    ]
    for column in mart.columns:
        if column.data_type in PANDAS_TYPES:
            expectations.append(
                E.ExpectColumnValuesToBeInTypeList(
                    column=column.name,
                    type_list=PANDAS_TYPES[column.data_type],
                    meta={"rule": f"type {column.data_type}"},
                )
            )
    for column in _percent_columns(mart):
        expectations.append(
            E.ExpectColumnValuesToBeBetween(
                column=column, min_value=0, max_value=100, meta={"rule": "share within 0-100"}
            )
        )
    if mart.source == "dst" and "year" in contract_columns:
        expectations.append(
            E.ExpectColumnMaxToBeBetween(
                column="year",
                min_value=today.year - DST_MAX_AGE_YEARS,
                meta={"rule": f"latest DST year no older than {DST_MAX_AGE_YEARS} years"},
            )
        )
    return df, expectations + extra
