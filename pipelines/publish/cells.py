"""How a published cell is written to CSV and XLSX: one place for both writers.

* Text is neutralised against formula injection the OWASP way: a cell starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so a spreadsheet shows it
  as text instead of evaluating it (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Numbers are
  never touched: only text columns pass through :func:`neutralise`.
* Each column's kind and display follow its name and dbt contract type: ``*_dkk`` kroner,
  ``*_mio_dkk`` mio. kr., ``*_pct`` percent (0-100), ``*_pp`` percentage points, years
  without a thousands separator, the deflator with four decimals.
* CSV is for Danish Excel: booleans as ``SAND``/``FALSK`` (Danish Excel's own names for TRUE and
  FALSE, which it reads back as logical values), and doubles rounded to what the column
  means (2 decimals for percentages) instead of 17 significant digits. Full precision stays in
  DuckDB and Parquet; XLSX keeps it too and only formats the display.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_TRUE, CSV_FALSE = "SAND", "FALSK"
YEAR_COLUMNS = frozenset({"year", "first_year", "last_year", "price_base_year"})
DEFLATOR_COLUMNS = frozenset({"deflator", "base_year_deflator"})
INDEX_COLUMNS = frozenset({"price_index_base_100"})
# text columns holding ISO timestamps: dates as dates in XLSX
TIMESTAMP_TEXT_SUFFIXES = ("_updated", "_at")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it literally (OWASP CSV injection guidance)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# Unicode's directional embeddings, overrides and isolates: text holding one (e.g. U+202E,
# RIGHT-TO-LEFT OVERRIDE) can turn around the text after it, up to the end of the paragraph.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_bidi_controls(text: str) -> str:
    """``text`` without directional controls, for a page: a sender's name can then not reverse
    the page's own words beside it (wrapping it in an isolate is not enough: a name starting
    with POP DIRECTIONAL ISOLATE would close that isolate)."""
    return text.translate(_BIDI_CONTROLS)


@dataclass(frozen=True)
class ColumnFormat:
    kind: str  # text, timestamp_text, boolean, date, timestamp, integer, number
    excel: str  # XLSX number format ("@" for text)
    csv_decimals: int | None = None  # doubles in CSV are rounded to this many decimals
    unit: str = ""


def column_format(name: str, data_type: str) -> ColumnFormat:
    """How column ``name`` of contract type ``data_type`` is shown."""
    dtype = data_type.lower()
    if dtype in ("varchar", "text", "string", ""):
        if name.endswith(TIMESTAMP_TEXT_SUFFIXES):
            return ColumnFormat("timestamp_text", "yyyy-mm-dd hh:mm:ss")
        return ColumnFormat("text", "@")
    if dtype == "boolean":
        return ColumnFormat("boolean", "General")
    if dtype == "date":
        return ColumnFormat("date", "yyyy-mm-dd")
    if dtype.startswith("timestamp"):
        return ColumnFormat("timestamp", "yyyy-mm-dd hh:mm:ss")
    if name in YEAR_COLUMNS or name == "source_row":
        return ColumnFormat("integer", "0")
    if dtype in ("integer", "bigint", "smallint", "hugeint", "int"):
        return ColumnFormat("integer", "#,##0", unit="count")
    return _number_format(name)


def _number_format(name: str) -> ColumnFormat:
    if name.endswith("_mio_dkk"):
        return ColumnFormat("number", "#,##0.0", 3, "mio. kr.")
    if name.endswith("_dkk"):
        return ColumnFormat("number", "#,##0", 2, "kr.")
    if name.endswith("_pct"):
        return ColumnFormat("number", '0.0" %"', 2, "% (0-100)")
    if name.endswith("_pp"):
        return ColumnFormat("number", '0.0" pp"', 2, "percentage points")
    if name in DEFLATOR_COLUMNS:
        return ColumnFormat("number", "0.0000", 6, "ratio")
    if name in INDEX_COLUMNS:
        return ColumnFormat("number", "0.0", 4, "index, base year = 100")
    return ColumnFormat("number", "#,##0.00", 4)
