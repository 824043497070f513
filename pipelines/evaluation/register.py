"""Reading the participant register: the DST submission CSV or the published Parquet/DuckDB."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.evaluation.contract import cvr_ok

NEEDED = ("cvr", "cluster_id", "treatment_year", "size_group_at_entry")


class RegisterError(ValueError):
    """The register file cannot be used; the message names the file, row and column."""


def read_register(path: Path) -> pd.DataFrame:
    """The register with ``cvr`` as text and ``treatment_year`` as integer."""
    if not path.is_file():
        raise RegisterError(f"{path}: participant register not found")
    try:
        if path.suffix.lower() == ".parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise RegisterError(
            f"{path.name}: not UTF-8 text ({exc.reason}); save it as UTF-8"
        ) from None
    except (ValueError, OSError) as exc:  # pandas' parser errors, a file that is no Parquet
        raise RegisterError(f"{path.name}: cannot be read as a register: {exc}") from None
    return check_register(df, path.name)


def check_register(df: pd.DataFrame, name: str = "participant_register") -> pd.DataFrame:
    missing = [c for c in NEEDED if c not in df.columns]
    if missing:
        raise RegisterError(f"{name}, row 1 (header): column(s) {', '.join(missing)} missing")
    if df.empty:
        raise RegisterError(f"{name}: no participants (the register has no rows)")
    out = df.copy()
    out["cvr"] = out["cvr"].astype(str).str.strip()
    bad = ~cvr_ok(out["cvr"])
    years = pd.to_numeric(out["treatment_year"], errors="coerce")
    not_whole = years.isna() | (years % 1 != 0) | ~years.between(2000, 2100)
    for column, mask in (("cvr", bad), ("treatment_year", not_whole)):
        if mask.any():
            row = int(mask.to_numpy().argmax()) + 2
            raise RegisterError(
                f"{name}, row {row}, column {column}: {int(mask.sum())} value(s) not valid"
            )
    out["treatment_year"] = years.astype("int64")
    return out
