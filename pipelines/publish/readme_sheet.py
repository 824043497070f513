"""The XLSX ``READ_ME`` sheet: what the workbook is, whether it is real data, what answers what.

Its readers are Danish: every text is in Danish first, then in English (a label reads
"Dansk / English"; a sentence is a Danish row followed by its English row).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pipelines.catalog import Mart
from pipelines.constants import generations_text, programme
from pipelines.publish.cells import neutralise
from pipelines.publish.columns_sheet import COLUMNS_SHEET

if TYPE_CHECKING:
    from pipelines.publish.facts import ReleaseFacts
    from pipelines.publish.xlsx import SheetPart

# column names -> unit, in Danish and in English
UNITS = [
    (
        "*_dkk",
        "kroner (kr.), vist med tusindtalsseparator",
        "kroner (DKK), shown with thousands separators",
    ),
    ("*_mio_dkk", "millioner kroner (mio. kr.)", "million kroner (DKK million)"),
    (
        "*_fixed_mio_dkk",
        "mio. kr. i faste priser i basisåret (deflator: arket price_index)",
        "DKK million in fixed prices of the base year (deflator: sheet price_index)",
    ),
    (
        "*_pct",
        "procent, 0-100 (vist med én decimal; cellen har den fulde præcision)",
        "percent, 0-100 (shown with one decimal; the cell keeps full precision)",
    ),
    ("*_pp", "procentpoint", "percentage points"),
    ("is_*, series_break, ...", "SAND / FALSK", "TRUE / FALSE"),
    ("year, *_year", "kalenderår", "calendar year"),
]


def write_readme(workbook, facts: ReleaseFacts, sheets: list[tuple[Mart, list[SheetPart]]]) -> None:
    """Title and notices, the release's provenance, the sheets and what each answers, units."""
    sheet = workbook.add_worksheet("READ_ME")
    fmt = _formats(workbook)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 90, fmt["wrap"])
    sheet.set_column(2, 2, 40, fmt["wrap"])
    sheet.set_column(3, 3, 12, fmt["wrap"])

    row = _line(sheet, 0, [f"klynge-pipeline: udgivelse / release {facts.release}"], fmt["title"])
    period = programme().period_label
    row = _line(
        sheet,
        row,
        [
            "Dansk",
            f"Evalueringsdata for det danske klyngeprogram {period} (Klyngeprogrammet) og dets "
            f"generationer ({generations_text('da')}); tabeller med generationer har den i "
            "kolonnen programme.",
        ],
        fmt["bold"],
    )
    row = _line(
        sheet,
        row,
        [
            "English",
            f"Evaluation datasets of the Danish cluster programme {period} and its generations "
            f"({generations_text()}); tables keyed by generation carry it in the column "
            "programme.",
        ],
        fmt["bold"],
    )
    row = _line(sheet, row, ["Sådan læses den", READING_DA])
    row = _line(sheet, row, ["How to read it", READING_EN]) + 1
    for notice in facts.notices:
        row = _line(sheet, row, ["BEMÆRK / NOTICE", notice], fmt["alert"])
    if not facts.notices:
        row = _line(sheet, row, ["Data", DATA_DA])
        row = _line(sheet, row, ["", DATA_EN])
    row = _provenance(sheet, row + 1, facts, fmt)
    row = _line(sheet, row + 1, SHEETS_HEADER, fmt["head"])
    for mart, parts in sheets:
        for part in parts:
            sheet.write_string(row, 0, part.name, fmt["bold"])
            sheet.write_string(row, 1, neutralise(_answers(mart, part, parts)), fmt["wrap"])
            sheet.write_string(row, 2, neutralise(mart.grain), fmt["wrap"])
            sheet.write_number(row, 3, part.rows)
            row += 1
    row = _line(sheet, row + 1, ["Kolonnenavne / Column names", "Enhed", "Unit"], fmt["head"])
    for pattern, unit_da, unit_en in UNITS:
        row = _line(sheet, row, [pattern, unit_da, unit_en])
    row = _line(sheet, row + 1, ["Mere", MORE_DA])
    _line(sheet, row, ["More", MORE_EN])


READING_DA = (
    "Ét ark pr. tabel; arket hedder som tabellen i DuckDB-, Parquet- og CSV-filerne. "
    "Kolonnenavnene er tekniske (fx smv_funding_dkk); arket "
    f"{COLUMNS_SHEET} forklarer hver kolonne med type, enhed og beskrivelse på dansk og "
    "engelsk (hvor en kolonne endnu ikke har en dansk beskrivelse, står kun den engelske). "
    "Beløb er i kroner (kr.), andele i procent (0-100). Tabellernes egne tekster (fx hvad et "
    "ark besvarer) er på engelsk."
)
READING_EN = (
    "One sheet per table, named as the table in the DuckDB, Parquet and CSV files. The "
    "column names are technical (e.g. smv_funding_dkk); the sheet "
    f"{COLUMNS_SHEET} explains every column with its type, unit and description in Danish and "
    "English. Amounts are in kroner (DKK), shares in percent (0-100)."
)
DATA_DA = "Bygget på Danmarks Statistik og klyngeorganisationernes indberettede data."
DATA_EN = "Built from Statistics Denmark and the cluster organisations' reported data."
SHEETS_HEADER = [
    "Ark / Sheet",
    "Hvad arket besvarer / What it answers",
    "Én række pr. / One row per",
    "Rækker / Rows",
]
MORE_DA = (
    f"Hver kolonne er beskrevet i arket {COLUMNS_SHEET}, i data_dictionary.md og i "
    "DuckDB-filens kolonnekommentarer; dataenes oprindelse står i manifest.json."
)
MORE_EN = (
    f"Every column is described in the sheet {COLUMNS_SHEET}, in data_dictionary.md and in "
    "the DuckDB file's column comments; provenance in manifest.json."
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
        ("Udgivelses-id / Release id", facts.release),
        ("Version (citér denne / cite this)", facts.version),
        ("Kørsels-id / Run id", facts.run_id),
        ("Oprettet / Created (UTC)", created or facts.created_at),
        ("Git-commit / Git commit", facts.git_commit),
        ("Prisbasisår / Price base year", facts.price_base_year),
        ("DST-kilde / DST source mode", facts.dst_source_mode),
        ("DST fallback reason", facts.fallback_sentences() or "none (not a fallback)"),
        ("DST-versioner / DST versions", facts.dst_versions()),
        ("Programfiler / Programme files", facts.programme_files()),
        (
            "Programdata / Programme data",
            "det genererede EKSEMPEL / the generated SAMPLE"
            if facts.sample
            else "indberettede data / reported data",
        ),
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
