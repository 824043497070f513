"""The firm panel contract: files in ``data/inbound/firm_panel/`` (Parquet or CSV).

Inside DST the panel is built from the firm registers (FIRM, FIRE, UHDI, FoU); outside, the
synthetic generator writes one. Every file is checked before anything is estimated, and a
broken file is rejected with the file, row and column named, because an estimate on a silently
mangled panel is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = (81, 82, 83, 84, 85)
CVR_WEIGHTS = np.array([2, 7, 6, 5, 4, 3, 2, 1])
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # cvr, year, amount, optional_amount, signed_amount, industry, region
    description: str


FIELDS = (
    Field("cvr", "cvr", "CVR number, 8 digits passing the modulus-11 check"),
    Field("year", "year", "Reference year (integer, 2000-2100)"),
    Field("fte", "amount", "Full-time equivalents (årsværk) in the year, >= 0"),
    Field("turnover_dkk", "amount", "Turnover (omsætning), kr., >= 0"),
    Field("value_added_dkk", "signed_amount", "Value added (værditilvækst), kr.; may be negative"),
    Field("export_dkk", "amount", "Export sales, kr., >= 0"),
    Field(
        "rd_expenditure_dkk",
        "optional_amount",
        "Own R&D expenditure (FoU-udgifter), kr., >= 0; empty when the firm was not in DST's "
        "R&D survey that year (unknown, not 0)",
    ),
    Field("industry", "industry", "DB07 industry, 2 digits ('01'..'99')"),
    Field("region", "region", "Region code 81-85 (Nordjylland .. Hovedstaden)"),
)
OPTIONAL = {"is_synthetic": "True when the row comes from the synthetic generator"}
COLUMNS = tuple(f.name for f in FIELDS)


class PanelError(ValueError):
    """The firm panel breaks its contract; the message names file, row and column."""


def cvr_ok(text: pd.Series) -> pd.Series:
    """8 digits, the first not 0, passing the modulus-11 check."""
    ok = text.str.fullmatch(r"[1-9]\d{7}").fillna(False).astype(bool)
    digits = np.zeros((len(text), 8), dtype=np.int64)
    good = text[ok]
    if len(good):
        digits[ok.to_numpy()] = (
            np.frombuffer("".join(good).encode("ascii"), dtype=np.uint8).reshape(-1, 8) - 48
        )
    return ok & pd.Series((digits @ CVR_WEIGHTS) % 11 == 0, index=text.index)


def _numeric(raw: pd.Series, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64")
    text = raw.astype("string").str.strip()
    if decimal_comma:
        # a point only between groups of three digits (1.234.567,5); any other point is a
        # decimal point from another locale (73.2), which read as a separator would be 732
        grouped = text.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
        ok = (grouped | ~text.str.contains(".", regex=False)).fillna(False).astype(bool)
        text = text.where(ok).str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _check(kind: str, raw: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series, str]:
    """(parsed values, mask of bad rows, what a good value looks like)."""
    if kind == "cvr":
        text = raw.astype("string").str.strip()
        return text, ~cvr_ok(text), "8 digits passing the CVR modulus-11 check"
    if kind == "industry":
        text = raw.astype("string").str.strip().str.zfill(2)
        return (
            text,
            ~text.str.fullmatch(r"\d{2}").fillna(False).astype(bool),
            ("a 2-digit DB07 code"),
        )
    values = _numeric(raw, decimal_comma)
    bad = values.isna() | ~np.isfinite(values.fillna(0))
    written = " (a ';' file: decimal comma, e.g. 73,2)" if decimal_comma else ""
    if kind == "optional_amount":  # empty is allowed (not surveyed); anything else must parse
        empty = raw.astype("string").str.strip().fillna("").eq("").to_numpy(dtype=bool)
        parsed_bad = bad.to_numpy(dtype=bool, na_value=True)
        negative = values.to_numpy(dtype=float, na_value=np.nan) < 0
        wrong = pd.Series((parsed_bad & ~empty) | negative, index=raw.index)
        return values, wrong, f"a number >= 0 or empty{written}"
    if kind == "year":
        bad |= (values % 1 != 0) | ~values.between(2000, 2100)
        return values, bad, "a year 2000-2100"
    if kind == "region":
        return values, bad | ~values.isin(REGIONS), "a region code 81-85"
    if kind == "amount":
        return values, bad | (values < 0), f"a number >= 0{written}"
    return values, bad, f"a number{written}"


def _shown(value: object) -> str:
    """A bad value for the message; never a 9- or 10-digit number (it could be a CPR)."""
    text = str(value)[:20]
    if text in ("", "nan", "<NA>", "None"):
        return "(empty)"
    if re.search(r"\d{9}", re.sub(r"\D", "", str(value))):  # whatever separates the digits
        return "a long number (not repeated: it could be a CPR number)"
    return repr(text)


def _read(path: Path) -> tuple[pd.DataFrame, int, bool]:
    """The file's rows as read, the row number of its first data row, and decimal comma."""
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path), 1, False
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline()
        sep = ";" if header.count(";") > header.count(",") else ","
        return (
            pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False),
            2,
            sep == ";",
        )
    except UnicodeDecodeError as exc:
        raise PanelError(f"{path.name}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except (ValueError, OSError) as exc:  # pandas' parser errors, a file that is no Parquet
        raise PanelError(f"{path.name}: cannot be read as a panel file: {exc}") from None


def _problems(
    path: Path, df: pd.DataFrame, first_row: int, rows_label: str, decimal_comma: bool
) -> tuple[pd.DataFrame, list[str]]:
    problems: list[str] = []
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        return df, [
            f"{path.name}, {rows_label} 1 (header), column {c}: required column missing"
            for c in missing
        ]
    out = pd.DataFrame(index=df.index)
    for field in FIELDS:
        values, bad, expected = _check(field.kind, df[field.name], decimal_comma)
        out[field.name] = values
        for idx in np.flatnonzero(bad.to_numpy())[:MAX_PROBLEMS]:
            shown = _shown(df[field.name].iloc[idx])
            problems.append(
                f"{path.name}, {rows_label} {idx + first_row}, column "
                f"{field.name}: {shown} is not {expected}"
            )
    synthetic = df["is_synthetic"] if "is_synthetic" in df.columns else False
    out["is_synthetic"] = (
        pd.Series(synthetic, index=df.index).astype(str).str.lower().isin(["true", "1"])
    )
    out["_file"], out["_row"] = path.name, np.arange(len(df)) + first_row
    return out, problems


def panel_files(folder: Path) -> list[Path]:
    """Parquet and CSV files of a panel folder (or the one file given), sorted by name."""
    if folder.is_file():
        return [folder]
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".parquet", ".csv") and not p.name.startswith(".")
    )


def read_panel(source: Path) -> pd.DataFrame:
    """All panel files, validated and typed; raises :class:`PanelError` listing what is wrong."""
    files = panel_files(source) if source.exists() else []
    if not files:
        raise PanelError(f"{source}: no firm panel files (*.parquet, *.csv)")
    frames, problems = [], []
    for path in files:
        if path.is_symlink():
            problems.append(f"{path.name}: is a link; panel files must be regular files")
            continue
        df, first_row, decimal_comma = _read(path)
        label = "row" if first_row == 2 else "data row"
        typed, found = _problems(path, df, first_row, label, decimal_comma)
        problems += found
        frames.append(typed)
    if problems:
        raise PanelError(_summary(problems))
    panel = pd.concat(frames, ignore_index=True)
    if panel.empty:
        raise PanelError(f"{source}: the firm panel has no rows")
    repeated = panel.duplicated(["cvr", "year"], keep="first")
    if repeated.any():
        again = panel[repeated].iloc[0]
        first = panel[(panel["cvr"] == again["cvr"]) & (panel["year"] == again["year"])].iloc[0]
        raise PanelError(
            f"{again['_file']}, row {again['_row']}, columns cvr+year: the same "
            f"firm and year as {first['_file']}, row {first['_row']} "
            f"({int(repeated.sum())} repeated row(s) in all); a firm has one row "
            "per year"
        )
    panel["year"] = panel["year"].astype("int64")
    panel["region"] = panel["region"].astype("int64")
    return panel.drop(columns=["_file", "_row"])


def _summary(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS]
    more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    return f"firm panel rejected ({len(problems)} problem(s)):\n  " + "\n  ".join(shown) + more
