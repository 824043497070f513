"""The XLSX column sheet (``Kolonner (Columns)``): every column of every table sheet, explained.

The table sheets' headers are the columns' technical names (``smv_funding_rate_pct``); this
sheet says for each one its table, its kind, its unit and what it holds, in Danish and in
English. Descriptions come from dbt (:mod:`pipelines.catalog`): the English ``description``
and, where written, the Danish ``meta.description_da``; where only English exists, the Danish
column is left empty and the English one is read. Every text passes through
:func:`pipelines.publish.cells.neutralise`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.catalog import Mart
from pipelines.publish.cells import YEAR_COLUMNS, column_format, neutralise

if TYPE_CHECKING:
    import pandas as pd

COLUMNS_SHEET = "Kolonner (Columns)"
HEADER = [
    "Tabel / Table",
    "Kolonne / Column",
    "Type",
    "Enhed / Unit",
    "Beskrivelse (dansk)",
    "Description (English)",
]
WIDTHS = [28, 34, 22, 24, 70, 70]

# column kind (pipelines.publish.cells.ColumnFormat.kind) -> Danish / English
KIND_TEXT = {
    "text": "tekst / text",
    "timestamp_text": "tidspunkt / timestamp",
    "boolean": "SAND/FALSK / TRUE/FALSE",
    "date": "dato / date",
    "timestamp": "tidspunkt / timestamp",
    "integer": "heltal / whole number",
    "number": "tal / number",
}
# the unit of cells.column_format -> Danish / English
UNIT_TEXT = {
    "kr.": "kr. / DKK",
    "mio. kr.": "mio. kr. / DKK million",
    "% (0-100)": "procent (0-100) / percent (0-100)",
    "percentage points": "procentpoint / percentage points",
    "ratio": "forholdstal / ratio",
    "index, base year = 100": "indeks, basisår = 100 / index, base year = 100",
    "count": "antal / count",
}


def unit_text(name: str, data_type: str) -> str:
    """The column's unit in Danish and English, or "" when it has none."""
    if name.endswith("_fixed_mio_dkk"):
        return "mio. kr., faste priser i basisåret / DKK million, fixed prices of the base year"
    if name in YEAR_COLUMNS:
        return "kalenderår / calendar year"
    return UNIT_TEXT.get(column_format(name, data_type).unit, "")


def column_rows(tables: dict[str, pd.DataFrame], marts: dict[str, Mart]) -> list[list[str]]:
    """One row per column of each table as it is written (table, column, type, unit, da, en)."""
    rows = []
    for table, df in tables.items():
        documented = {c.name: c for c in marts[table].columns}
        for name in df.columns:
            column = documented.get(name)
            data_type = column.data_type if column else ""
            kind = KIND_TEXT.get(column_format(name, data_type).kind, "")
            rows.append(
                [
                    table,
                    str(name),
                    f"{kind} ({data_type})" if data_type else kind,
                    unit_text(name, data_type),
                    column.description_da if column else "",
                    " ".join(column.description.split()) if column else "",
                ]
            )
    return rows


def write_columns_sheet(workbook, tables: dict[str, pd.DataFrame], marts: dict[str, Mart]) -> None:
    """The column sheet: a frozen, filtered header row, then one row per column."""
    sheet = workbook.add_worksheet(COLUMNS_SHEET)
    head = workbook.add_format(
        {"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}
    )
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for i, (title, width) in enumerate(zip(HEADER, WIDTHS, strict=True)):
        sheet.set_column(i, i, width, wrap)
        sheet.write_string(0, i, neutralise(title), head)
    rows = column_rows(tables, marts)
    for r, values in enumerate(rows, start=1):
        for c, text in enumerate(values):
            if text:
                sheet.write_string(r, c, neutralise(text), wrap)
            else:
                sheet.write_blank(r, c, None, wrap)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(HEADER) - 1)
