"""``klynge.xlsx``: a READ_ME sheet (Danish, then English), a sheet describing every column
(``Kolonner (Columns)``), then one sheet per published table, pleasant in Excel.

Written with XlsxWriter: each cell is written by type (``write_string``, ``write_number``,
``write_boolean``, ``write_datetime``), so text is always text and can never become a formula
(openpyxl turns any string starting with ``=`` into one); text is also neutralised
(:func:`pipelines.publish.cells.neutralise`) for whoever copies it on. Every sheet has a bold,
frozen header row, an autofilter, widths that fit and number formats per column (thousands
separators for kr., one decimal for percentages, dates as dates); codes and CVR are text.

A worksheet holds at most 1,048,576 rows (Excel's limit, header included), and XlsxWriter
silently drops cells written beyond it. A longer table therefore continues on further sheets
(``participant_register (2)``, ...), each with the header; READ_ME lists which rows each holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.catalog import Mart
from pipelines.publish.cells import ColumnFormat, column_format, neutralise
from pipelines.publish.columns_sheet import write_columns_sheet
from pipelines.publish.readme_sheet import write_readme

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.publish.facts import ReleaseFacts

MIN_WIDTH, MAX_WIDTH = 8, 60
WIDTH_SAMPLE = 500  # rows looked at to size a column
# Cells are converted a slice of rows at a time: a million-row table converted whole would hold
# every cell as a Python object at once (over a gigabyte).
CHUNK_ROWS = 50_000
EXCEL_MAX_ROWS = 1_048_576  # per worksheet, the header row included
SHEET_NAME_MAX = 31


@dataclass(frozen=True)
class SheetPart:
    """One worksheet of a table: its name and the table's rows ``first`` to ``end - 1``."""

    name: str
    first: int
    end: int

    @property
    def rows(self) -> int:
        return self.end - self.first


def sheet_parts(table: str, rows: int) -> list[SheetPart]:
    """The worksheets a table of ``rows`` rows takes: one, unless Excel's row limit is hit."""
    per_sheet = EXCEL_MAX_ROWS - 1
    parts = []
    for k, first in enumerate(range(0, max(rows, 1), per_sheet), start=1):
        suffix = "" if k == 1 else f" ({k})"
        name = table[: SHEET_NAME_MAX - len(suffix)] + suffix
        parts.append(SheetPart(name, first, min(first + per_sheet, rows)))
    return parts


def write_xlsx(
    tables: dict[str, pd.DataFrame], marts: tuple[Mart, ...], target: Path, facts: ReleaseFacts
) -> None:
    import xlsxwriter

    options = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "constant_memory": True,
        "default_date_format": "yyyy-mm-dd",
    }
    workbook = xlsxwriter.Workbook(str(target), options)
    try:
        by_name = {m.name: m for m in marts}
        parts = {name: sheet_parts(name, len(df)) for name, df in tables.items()}
        write_readme(workbook, facts, [(by_name[n], p) for n, p in parts.items()])
        write_columns_sheet(workbook, tables, by_name)
        for name, df in tables.items():
            for part in parts[name]:
                _write_table(workbook, part, by_name[name], df.iloc[part.first : part.end])
    finally:
        workbook.close()


def _write_table(workbook, part: SheetPart, mart: Mart, df: pd.DataFrame) -> None:
    sheet = workbook.add_worksheet(part.name)
    header = workbook.add_format(
        {"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}
    )
    types = {c.name: c.data_type for c in mart.columns}
    columns = list(df.columns)
    formats = [column_format(c, types.get(c, "")) for c in columns]
    cell_formats = [workbook.add_format({"num_format": f.excel}) for f in formats]
    for i, (name, fmt) in enumerate(zip(columns, formats, strict=True)):
        sheet.set_column(i, i, _width(name, df[name], fmt), cell_formats[i])
        sheet.write_string(0, i, name, header)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(df), 1), max(len(columns) - 1, 0))
    writers = [_writer(sheet, f) for f in formats]
    for start in range(0, len(df), CHUNK_ROWS):
        part = df.iloc[start : start + CHUNK_ROWS]
        cells = [_cells(part[name], fmt) for name, fmt in zip(columns, formats, strict=True)]
        for r, values in enumerate(zip(*cells, strict=True), start=start + 1):
            for i, value in enumerate(values):
                if value is None:
                    sheet.write_blank(r, i, None, cell_formats[i])
                else:
                    writers[i](r, i, value, cell_formats[i])


def _cells(column: pd.Series, fmt: ColumnFormat) -> list[Any]:
    """The column's cells as written, converted once per column; None is a blank (NULL).

    Text is text (neutralised), booleans booleans, dates and ISO timestamps dates, the rest
    numbers.
    """
    convert = _CONVERT.get(fmt.kind, float)
    return [
        None if null else convert(value)
        for value, null in zip(column.tolist(), column.isna().tolist(), strict=True)
    ]


def _writer(sheet, fmt: ColumnFormat) -> Callable[..., Any]:
    """The worksheet method that writes a (converted, non-blank) cell of this column."""
    if fmt.kind == "boolean":
        return sheet.write_boolean
    if fmt.kind in ("date", "timestamp"):
        return sheet.write_datetime
    if fmt.kind == "timestamp_text":
        return lambda r, c, v, f: (
            sheet.write_datetime if isinstance(v, datetime) else sheet.write_string
        )(r, c, v, f)
    if fmt.kind == "text":
        return sheet.write_string
    return sheet.write_number


def _naive(value: Any) -> datetime | date:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value


def _parse_timestamp(text: str) -> datetime | None:
    try:
        return _naive(datetime.fromisoformat(text))
    except ValueError:
        return None


def _timestamp_text(value: Any) -> datetime | str:
    """An ISO timestamp held as text, as a date cell; any other text stays text."""
    return _parse_timestamp(str(value)) or neutralise(str(value))


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "boolean": bool,
    "date": _naive,
    "timestamp": _naive,
    "timestamp_text": _timestamp_text,
    "text": lambda v: neutralise(str(v)),
}


def _width(name: str, column: pd.Series, fmt: ColumnFormat) -> float:
    if fmt.kind in ("date", "timestamp", "timestamp_text"):
        longest = 19
    elif fmt.kind == "boolean":
        longest = 6
    elif fmt.kind == "text":
        sample = column.head(WIDTH_SAMPLE).dropna().astype(str)
        longest = int(sample.str.len().max()) if len(sample) else 0
    else:
        import pandas as pd

        sample = pd.to_numeric(column.head(WIDTH_SAMPLE), errors="coerce").dropna()
        biggest = float(sample.abs().max()) if len(sample) else 0.0
        digits = len(f"{biggest:,.0f}") + (3 if fmt.excel not in ("0", "#,##0") else 0)
        longest = digits + (2 if "%" in fmt.excel or "pp" in fmt.excel else 0)
    # headers wrap at underscores-long names; keep at most ~24 characters of header per line
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2, min(len(name), 24) + 2)))
