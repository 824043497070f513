"""Reading the participant register: the DST submission CSV or the published Parquet/DuckDB."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

NEEDED = ("cvr", "cluster_id", "treatment_year", "size_group_at_entry")


class RegisterError(ValueError):
    """The register file cannot be used; the message names the file, row and column."""


def read_register(path: Path) -> pd.DataFrame:
    """The register with ``cvr`` as text and ``treatment_year`` as integer."""
    if not path.is_file():
        raise RegisterError(f"{path}: participant register not found")
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    return check_register(df, path.name)


def check_register(df: pd.DataFrame, name: str = "participant_register") -> pd.DataFrame:
    missing = [c for c in NEEDED if c not in df.columns]
    if missing:
        raise RegisterError(f"{name}, row 1 (header): column(s) {', '.join(missing)} missing")
    out = df.copy()
    out["cvr"] = out["cvr"].astype(str).str.strip()
    bad = ~out["cvr"].str.fullmatch(r"\d{8}")
    years = pd.to_numeric(out["treatment_year"], errors="coerce")
    for column, mask in (("cvr", bad), ("treatment_year", years.isna())):
        if mask.any():
            row = int(mask.to_numpy().argmax()) + 2
            raise RegisterError(
                f"{name}, row {row}, column {column}: {int(mask.sum())} value(s) not valid"
            )
    out["treatment_year"] = years.astype("int64")
    return out
