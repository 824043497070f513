"""The XLSX ``READ_ME`` sheet: what the workbook is, whether it is real data, what answers what."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pipelines.catalog import Mart
from pipelines.constants import programme
from pipelines.publish.cells import neutralise

if TYPE_CHECKING:
    from pipelines.publish.facts import ReleaseFacts
    from pipelines.publish.xlsx import SheetPart

UNITS = [
    ("*_dkk", "kroner (kr.), shown with thousands separators"),
    ("*_mio_dkk", "million kroner (mio. kr.)"),
    ("*_fixed_mio_dkk", "mio. kr. in fixed prices of the base year (deflator: sheet price_index)"),
    ("*_pct", "percent, 0-100 (shown with one decimal; the cell keeps full precision)"),
    ("*_pp", "percentage points"),
    ("is_*, series_break, ...", "TRUE / FALSE"),
    ("year, *_year", "calendar year"),
]


def write_readme(workbook, facts: ReleaseFacts, sheets: list[tuple[Mart, list[SheetPart]]]) -> None:
    """Title and notices, the release's provenance, the sheets and what each answers, units."""
    sheet = workbook.add_worksheet("READ_ME")
    fmt = _formats(workbook)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90, fmt["wrap"])
    sheet.set_column(2, 3, 22, fmt["wrap"])

    row = _line(sheet, 0, [f"klynge-pipeline release {facts.release}"], fmt["title"])
    period = programme().period_label
    row = (
        _line(
            sheet,
            row,
            [f"Evaluation datasets of the Danish cluster programme {period} (Klyngeprogrammet)."],
        )
        + 1
    )
    for notice in facts.notices:
        row = _line(sheet, row, ["NOTICE", notice], fmt["alert"])
    if not facts.notices:
        row = _line(
            sheet,
            row,
            ["Data", "Built from Statistics Denmark and the cluster organisations' reported data."],
        )
    row = _provenance(sheet, row + 1, facts, fmt)
    row = _line(sheet, row + 1, ["Sheet", "What it answers", "One row per", "Rows"], fmt["head"])
    for mart, parts in sheets:
        for part in parts:
            sheet.write_string(row, 0, part.name, fmt["bold"])
            sheet.write_string(row, 1, neutralise(_answers(mart, part, parts)), fmt["wrap"])
            sheet.write_string(row, 2, neutralise(mart.grain), fmt["wrap"])
            sheet.write_number(row, 3, part.rows)
            row += 1
    row = _line(sheet, row + 1, ["Column names", "Unit"], fmt["head"])
    for pattern, unit in UNITS:
        row = _line(sheet, row, [pattern, unit])
    _line(
        sheet,
        row + 1,
        [
            "More",
            "Every column is described in data_dictionary.md and in the "
            "DuckDB file's column comments; provenance in manifest.json.",
        ],
    )


def _answers(mart: Mart, part: SheetPart, parts: list[SheetPart]) -> str:
    """What the sheet answers; for a table split over sheets, which of its rows this one holds."""
    from pipelines.publish.xlsx import EXCEL_MAX_ROWS

    answers = mart.answers or mart.description
    if len(parts) == 1:
        return answers
    total = parts[-1].end
    held = f"rows {part.first + 1:,} to {part.end:,} of {total:,}"
    if part is parts[0]:
        return (
            f"{answers} This sheet holds {held}; the table continues on sheets "
            f"{', '.join(p.name for p in parts[1:])}, because an Excel sheet holds at most "
            f"{EXCEL_MAX_ROWS - 1:,} rows. The whole table is in csv/{mart.name}.csv, "
            f"parquet/{mart.name}.parquet and klynge.duckdb."
        )
    return f"{mart.name}, continued: {held}."


def _formats(workbook) -> dict[str, object]:
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True}),
        "head": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "alert": workbook.add_format({"bold": True, "font_color": "#B00000", "text_wrap": True}),
        "when": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "align": "left"}),
    }


def _provenance(sheet, row: int, facts: ReleaseFacts, fmt: dict[str, object]) -> int:
    """One row per provenance item (a date as a date cell); returns the next free row."""
    created = _parse(facts.created_at)
    for key, value in [
        ("Release id", facts.release),
        ("Version (cite this)", facts.version),
        ("Run id", facts.run_id),
        ("Created (UTC)", created or facts.created_at),
        ("Git commit", facts.git_commit),
        ("Price base year", facts.price_base_year),
        ("DST source mode", facts.dst_source_mode),
        ("DST fallback reason", facts.fallback_reason or "none (not a fallback)"),
        ("DST versions", facts.dst_versions()),
        ("Programme files", facts.programme_files()),
        ("Programme data", "the generated SAMPLE" if facts.sample else "reported data"),
    ]:
        sheet.write_string(row, 0, key, fmt["bold"])
        if isinstance(value, datetime):
            sheet.write_datetime(row, 1, value, fmt["when"])
        elif isinstance(value, int):
            sheet.write_number(row, 1, value)
        else:
            sheet.write_string(row, 1, neutralise(str(value)), fmt["wrap"])
        row += 1
    return row


def _line(sheet, row: int, texts: list[str], fmt=None) -> int:
    for col, text in enumerate(texts):
        sheet.write_string(row, col, neutralise(text), fmt)
    return row + 1


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None
