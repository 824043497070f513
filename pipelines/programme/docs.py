"""Generate the contract's documentation and templates from the YAML schemas.

    python -m pipelines.programme.docs          # rewrite docs/programme_contract.md, templates
    python -m pipelines.programme.docs --check  # exit 1 if the committed files are stale

The people filling in files read ``docs/programme_contract.md`` and start from
``docs/templates/<entity>.csv`` (a header and one example row, ``;``-separated UTF-8 with BOM so
that Excel shows æøå). Both are generated, never edited by hand; a test keeps them in step
with the schemas.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping
from pathlib import Path

from pipelines.bookkeeping import PROGRAMME_LOADS as LOADS_TABLE
from pipelines.constants import programme
from pipelines.programme.contract import EntitySchema, FieldSpec, FieldType, load_contract
from pipelines.programme.load import LINEAGE_COLUMNS
from pipelines.programme.reader import HEADER_SCAN_ROWS
from pipelines.programme.values import FALSE_WORDS, TRUE_WORDS
from pipelines.settings import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
DOC_PATH = DOCS_DIR / "programme_contract.md"
TEMPLATES_DIR = DOCS_DIR / "templates"

TYPE_TEXT = {
    FieldType.STRING: "text",
    FieldType.INTEGER: "whole number",
    FieldType.DECIMAL: "number",
    FieldType.DATE: "date",
    FieldType.BOOLEAN: "true/false",
    FieldType.ENUM: "one of a list",
    FieldType.CVR: "CVR number",
}

RULES = [
    ("file_name", "The file name starts with no entity prefix."),
    ("file_format", "Not a `.csv` or `.xlsx` file, or an XLSX that cannot be opened."),
    ("not_a_regular_file", "The entry is a link (shortcut) or another special file. Links "
                           "are never followed; the file the link points to is not opened."),
    ("empty_file", "The file is empty (0 bytes, only blanks or separators, or an XLSX whose "
                   "first sheet is empty): usually a copy that did not finish."),
    ("encoding", "A CSV that is neither UTF-8 nor Windows-1252, mixes the two, or is UTF-16."),
    ("csv", "A CSV that does not parse (e.g. an unclosed quote)."),
    ("header", f"None of the first {HEADER_SCAN_ROWS} rows holds the column names (for an "
               "XLSX whose column names are on another sheet, the message names that sheet)."),
    ("missing_column", "A required column is not in the header (row = the header row)."),
    ("duplicate_column", "A column appears twice in the header."),
    ("row_shape", "A CSV row has fewer cells than the header, or a row has values beyond the "
                  "header's columns."),
    ("required", "A required cell is empty."),
    ("type", "A cell is not a valid number, whole number, date or true/false value, or has "
             "more decimals than allowed, or is an ambiguous number such as `1.234`."),
    ("enum", "A value not in the column's list."),
    ("pattern", "A value not of the required form (e.g. cluster ids `K01`)."),
    ("min", "A number below the minimum (amounts and FTE must not be negative)."),
    ("max", "A number above the maximum."),
    ("cvr", "Not 8 digits, or fails the CVR modulus-11 check."),
    ("date_order", "A project ends before it starts."),
    ("date_range", "A date outside its window (see the column's limits): a project must "
                   "start within the programme period, so that it is counted in the marts."),
    ("excel_error", "A cell holds an Excel error value (`#N/A`, `#REF!`, `#VALUE!`, "
                    "`#DIV/0!`, `#NAME?`, `#NUM!`, `#NULL!`, ...), in any column: a formula "
                    "failed, e.g. a VLOOKUP that found nothing."),
    ("uncalculated_formula", "A required XLSX cell holds a formula that was never "
                             "calculated (no saved result, typical of files written by "
                             "scripts): open the file in Excel, save it, send it again."),
    ("unique", "A key appears more than once (within the file or across files of the entity)."),
    ("reference", "An id that is not in the referenced entity's files (e.g. a project's "
                  "cluster_id not in any clusters file)."),
    ("personal_data", "Any cell, in any column, holds something that looks like a CPR number "
                      "(`ddmmyy-xxxx`, ten digits starting with a valid date `ddmmyy`, or "
                      "nine digits that are one with its leading zero lost in an Excel number "
                      "cell; in amount columns only the ten-digit forms). The number is never "
                      "repeated in reports, messages or logs; they show `XXXXXX-XXXX`."),
]


def _limits(spec: FieldSpec) -> str:
    parts = []
    if spec.enum:
        if spec.enum_descriptions:
            parts.append("<br>".join(f"`{v}`: {spec.enum_descriptions.get(v, '')}"
                                     for v in spec.enum))
        else:
            parts.append(", ".join(f"`{v}`" for v in spec.enum))
    if spec.min is not None:
        parts.append(f"≥ {spec.min}")
    if spec.max is not None:
        parts.append(f"≤ {spec.max}")
    if spec.type is FieldType.DECIMAL:
        parts.append(f"at most {spec.scale} decimals")
    if spec.pattern:
        parts.append(f"form `{spec.pattern}`")
    if spec.not_before:
        parts.append(f"not before {spec.not_before}")
    if spec.window:
        w = spec.window
        parts.append(f"from {w.earliest} to {w.latest} ({w.description})")
    return "; ".join(parts)


def _required(spec: FieldSpec) -> str:
    if not spec.required:
        return "no"
    if spec.empty_allowed_when:
        cond = " / ".join(f"{col} is {' or '.join(vals)}"
                          for col, vals in spec.empty_allowed_when.items())
        return f"yes (may be empty when {cond})"
    return "yes"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _entity_section(schema: EntitySchema) -> list[str]:
    lines = [
        f"### {schema.entity} (version {schema.version})",
        "",
        schema.description,
        "",
        f"* File names: `{schema.file_prefix}*.csv` or `{schema.file_prefix}*.xlsx`; "
        f"template: [`templates/{schema.entity}.csv`](templates/{schema.entity}.csv).",
        f"* Loaded into `raw.{schema.raw_table}`.",
    ]
    for key in schema.unique:
        note = " (rows with an empty key cell are not compared)" if any(
            schema.spec(c).empty_allowed_when for c in key) else ""
        lines.append(f"* Unique: {', '.join(f'`{c}`' for c in key)}{note}.")
    for ref in schema.references:
        cols = ", ".join(f"`{c}`" for c in ref.columns)
        lines.append(f"* {cols} must exist in a `{ref.entity}` file.")
    lines += [
        "",
        "| column | type | required | allowed values / limits | description | example |",
        "|---|---|---|---|---|---|",
    ]
    for f in schema.fields:
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"`{f.name}`", TYPE_TEXT[f.type], _required(f), _limits(f), f.description,
            f"`{f.example}`")) + " |")
    return lines + [""]


def render_markdown(schemas: Mapping[str, EntitySchema]) -> str:
    true_words = "/".join(sorted(TRUE_WORDS))
    false_words = "/".join(sorted(FALSE_WORDS))
    versions = ", ".join(f"{s.entity} v{s.version}" for s in schemas.values())
    lines = [
        "# Cluster programme: inbound data contract",
        "",
        "<!-- Generated by `python -m pipelines.programme.docs` from "
        "pipelines/config/programme_contract/*.yaml. Do not edit by hand. -->",
        "",
        f"Contract versions: {versions}.",
        "",
        f"The cluster organisations in the cluster programme {programme().period_label} report "
        "their data as "
        "files. This page says what the files must hold. A file that breaks any rule below is "
        "rejected as a whole; nothing from it is loaded, and the data already loaded stays in "
        "use until a corrected file arrives.",
        "",
        "## Files",
        "",
        "* Put the files in `inbound/programme/` in the pipeline's data folder "
        "(`data/inbound/programme/` by default). Files directly in that folder are the real "
        "reports; sub-folders, hidden files, Excel lock files (`~$...`) and README files "
        "are not read.",
        "* The file name says what the file holds, by its beginning (upper or lower case): "
        + ", ".join(f"`{s.file_prefix}`" for s in schemas.values())
        + ". Anything may follow, e.g. `participants_K03_2026-03.csv`. Several files of one "
        "kind are read together (e.g. one participants file per cluster).",
        "* Every load needs at least one file of each kind, because the four tables are "
        "replaced together. A file with a header and no rows counts (start from the "
        "templates).",
        "* Each load reads the whole folder: keep every current file there. To correct a "
        "file, replace it with a complete new version.",
        "* Formats: `.csv` or `.xlsx` (not `.xls`). XLSX: the first sheet is read. CSV: "
        "separated by `;` or `,` (or tab), found from the header; UTF-8 with or without BOM, "
        "or Windows-1252 (Excel's \"CSV (semikolonsepareret)\"). Values containing the "
        "separator must be in double quotes (Excel does this).",
        f"* The header row holds the column names below, in any order and upper or lower "
        f"case. Title rows above it are fine (the header is looked for in the first "
        f"{HEADER_SCAN_ROWS} rows). Columns not listed are ignored (but still checked for "
        "personal data). Empty rows are ignored.",
        "* Row numbers in reports are the rows as a spreadsheet shows them (the header is "
        "row 1 unless title rows sit above it).",
        "* If the folder holds no report files at all, the synthetic sample in "
        "`inbound/programme/sample/` is loaded instead and every row is marked "
        "`_is_sample = true`. As soon as one real report is there, the sample is ignored.",
        "",
        "## Values",
        "",
        "* **Numbers** (amounts in kroner, FTE): spaces are ignored (`1 234 567,50`). When "
        "both `.` and `,` occur, the last one is the decimal separator and the other "
        "separates thousands in groups of three: `1.234.567,50` and `1,234,567.50` are both "
        "1234567.5. When only one of them occurs more than once it separates thousands "
        "(`1.234.567`). When only one of them occurs once it is the decimal separator: "
        "`1234567,5` and `1234567.5` are the same number, except when exactly three digits "
        "follow it and one to three digits (not a lone 0) precede it: `1.234` or `250,000` "
        "could mean either, so they are rejected as ambiguous; write `1234` or `250000`. At "
        "most 2 decimals. No currency signs or units. Excel number cells are taken as they "
        "are.",
        "* **Dates**: `yyyy-mm-dd` (`2025-03-01`) or `dd-mm-yyyy` (`01-03-2025`), or an "
        "Excel date cell.",
        f"* **True/false**: {true_words} or {false_words} (upper or lower case; "
        "SAND/FALSK is what Danish Excel writes), or an Excel true/false cell.",
        "* **CVR numbers**: 8 digits whose digits, weighted 2, 7, 6, 5, 4, 3, 2, 1, add up "
        "to a multiple of 11 (modulus 11). Spaces and a leading `DK` are ignored.",
        "* **Lists** (e.g. `region`, `participant_type`): one of the values shown, upper or "
        "lower case.",
        "* Leading and trailing spaces are ignored everywhere. An empty cell in an optional "
        "column is loaded as missing (NULL), never as 0.",
        "* **No personal data**: participants are firms and institutions, never persons. A "
        "file with anything that looks like a CPR number, in any column, is rejected.",
        "",
        *_loading_section(),
        "## Rejected files",
        "",
        "A rejected file is moved, unchanged, to `inbound/quarantine/` under a timestamped "
        "name (e.g. `20260301T101500Z_participants_K03.csv`), with a report next to it in "
        "JSON (`...csv.report.json`) and as text (`...csv.report.txt`): the file's SHA-256 "
        "checksum, the time, and each problem with its row, column, rule and value (the "
        "first 100; all are counted). The pipeline run fails with the same information, and "
        "the previously loaded data stays in use. Files of the committed sample are never "
        "moved. Fix the file and put the whole file back in `inbound/programme/`.",
        "",
        "| rule | what it means |",
        "|---|---|",
        *[f"| `{rule}` | {_cell(text)} |" for rule, text in RULES],
        "",
        "## What each file holds",
        "",
    ]
    for schema in schemas.values():
        lines += _entity_section(schema)
    lines += [
        "## In the warehouse",
        "",
        "Each load replaces all four `raw.programme_*` tables in one transaction. Columns "
        "are typed as above: numbers `DECIMAL(18,2)` (exact to the øre), whole numbers "
        "`INTEGER`, dates `DATE`, true/false `BOOLEAN`, everything else `VARCHAR` (CVR "
        "numbers as 8-character text). Every row also carries:",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    meaning = {
        "_source_file": "the file, relative to `inbound/programme/` (e.g. `sample/projects.csv`)",
        "_source_sha256": "SHA-256 checksum of the file as loaded",
        "_source_row": "the row in the file, as a spreadsheet shows it",
        "_loaded_at": "when the load ran (UTC)",
        "_is_sample": "true for rows from the synthetic sample",
        "_contract_version": "the version of this entity's contract the file was checked "
                             "against",
    }
    lines += [f"| `{name}` | `{sql}` | {meaning[name]} |" for name, sql in LINEAGE_COLUMNS]
    lines += [
        "",
        f"`{LOADS_TABLE}` has one row per file of each load: `load_id`, `entity`, `file`, "
        "`sha256`, `row_count`, `loaded_at`, `is_sample`, `contract_version`.",
        "",
    ]
    return "\n".join(lines)


def _loading_section() -> list[str]:
    """When a file set is loaded, and when it is held back without being rejected."""
    return [
        "## When files are loaded",
        "",
        "* **Settled files only.** A file is read once it has stopped changing: last modified "
        "at least `KLYNGE_INBOUND_SETTLE_SECONDS` (default 30) seconds ago, and with the same "
        "size and modification time after the load has read it. While any file is still "
        "being copied or appended to, the whole set is skipped with a warning in the run "
        "(and `skipped_unsettled` in its metadata), the previous load stays in use, and the "
        "next refresh tries again. An unsettled file is never quarantined. This holds for "
        "every way a refresh starts: `make run`, the nightly schedule, the inbound-file "
        "sensor and the Dagster UI.",
        "* **Links are not followed.** A symbolic link (or another special file) in the "
        "folder is rejected with rule `not_a_regular_file`; the file it points to is never "
        "opened, measured or hashed. Copy the file itself into the folder.",
        "* **A load that shrinks the data is held.** If a valid file set would shrink any "
        "of the four tables by more than `KLYNGE_MAX_SHRINK_SHARE` (default 0.5, i.e. 50 %) "
        "of its rows in the last good load (for example a participants file holding only "
        "its header), nothing is loaded, the previous load stays in use, and the run fails "
        "with the numbers. If the smaller set is right, acknowledge exactly that set with "
        "`make acknowledge-shrink` (it writes `inbound/programme/.acknowledge-shrink` with "
        "the files' names and checksums) and refresh again: the set is loaded and the "
        "acknowledgement is used up. Replacing the synthetic sample by real reports is never "
        "held.",
        "* **Text that looks like a formula** (starting with `=`, `+`, `-` or `@`) is "
        "loaded as text, with a warning in the run; published CSV and XLSX files neutralise "
        "it so that a spreadsheet never runs it.",
        "",
    ]


def render_template(schema: EntitySchema) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(schema.field_names)
    writer.writerow([f.example for f in schema.fields])
    return buf.getvalue().encode("utf-8-sig")


def rendered(schemas: Mapping[str, EntitySchema], docs_dir: Path = DOCS_DIR
             ) -> dict[Path, bytes]:
    """Every generated file and its exact bytes."""
    files = {docs_dir / DOC_PATH.name: render_markdown(schemas).encode("utf-8")}
    for schema in schemas.values():
        files[docs_dir / TEMPLATES_DIR.name / f"{schema.entity}.csv"] = render_template(schema)
    return files


def stale(schemas: Mapping[str, EntitySchema], docs_dir: Path = DOCS_DIR) -> list[Path]:
    """Generated files whose committed bytes differ from what the schemas give."""
    return [p for p, data in rendered(schemas, docs_dir).items()
            if not p.exists() or p.read_bytes() != data]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.programme.docs")
    parser.add_argument("--check", action="store_true",
                        help="only check that the committed files are up to date")
    args = parser.parse_args(argv)
    schemas = load_contract()
    if args.check:
        out_of_date = stale(schemas)
        for path in out_of_date:
            print(f"out of date: {path}", file=sys.stderr)
        return 1 if out_of_date else 0
    for path, data in rendered(schemas).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
