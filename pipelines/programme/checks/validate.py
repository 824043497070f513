"""Check one inbound file against its entity's contract and stage its rows.

Everything that can be decided from the file alone is checked here: the header, every cell's
type and limits (dates within their window), the row rules (end not before start; CVR empty
only for foreign participants), and in every cell of every column, contract or not, personal
data and Excel error values. Checks that need other files (unique keys, references) are
in :mod:`pipelines.programme.checks.crosscheck`. All problems are collected (the first 100 kept), so
a sender can fix a file in one go.

Valid cells are staged in Arrow record batches (flat memory for large files): decimals and
dates as canonical text that the load casts exactly, booleans and integers as such; each batch
holds one DuckDB row group, so that the load writes every row once.

XLSX files, and CSV files whose rows cannot be numbered line by line (line breaks inside
quotes, ragged rows), are checked row by row (:mod:`pipelines.programme.checks.checker`). Other
CSV files are checked column-wise (:mod:`pipelines.programme.checks.columns`), and only rows that
are not valid in every respect go through the row-by-row checks, which give the messages: the same
problems, in the same order, and the same staged rows as checking the whole file row by row.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from pipelines.programme.checks.checker import FileChecker
from pipelines.programme.checks.csvcolumns import read_columns
from pipelines.programme.checks.errors import ProblemList
from pipelines.programme.checks.identifiers import find_cpr
from pipelines.programme.checks.reader import (
    FileError,
    explain_uncalculated_formulas,
    open_table,
    uncalculated_formula_cells,
    uncalculated_formula_note,
)
from pipelines.programme.checks.rules import ROW_GROUP_ROWS, staged_schema
from pipelines.programme.contract import EntitySchema
from pipelines.programme.discover import InboundFile

# Files are checked two at a time: the column-wise checks of a large CSV file run in Arrow's
# C++ kernels, outside the GIL, so that the other files are checked meanwhile on a second core.
CHECK_THREADS = 2


@dataclass
class CheckedFile:
    file: InboundFile
    sha256: str
    size: int
    schema: EntitySchema | None
    problems: ProblemList
    format: str | None = None
    columns: set[str] = field(default_factory=set)  # contract fields present in the file
    batches: list[pa.RecordBatch] = field(default_factory=list)
    rows: int = 0
    notes: list[str] = field(default_factory=list)

    def table(self) -> pa.Table:
        assert self.schema is not None
        return pa.Table.from_batches(self.batches, schema=staged_schema(self.schema))


def check_files(
    files: Sequence[InboundFile], schemas: Mapping[str, EntitySchema]
) -> list[CheckedFile]:
    """:func:`check_file` for each file, in their order; the largest are started first."""

    def check(inbound: InboundFile) -> CheckedFile:
        schema = schemas.get(inbound.entity) if inbound.entity else None
        data = inbound.path.read_bytes() if inbound.is_regular else None  # links: never opened
        return check_file(inbound, schema, data)

    def size(inbound: InboundFile) -> int:
        return inbound.path.stat().st_size if inbound.is_regular else 0

    with ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="programme-check") as pool:
        started = {f.relative: pool.submit(check, f) for f in sorted(files, key=size, reverse=True)}
        return [started[f.relative].result() for f in files]


def check_file(
    inbound: InboundFile, schema: EntitySchema | None, data: bytes | None
) -> CheckedFile:
    """All single-file checks of ``data`` (the bytes of ``inbound.path``; None for a link or
    special file, which is rejected without being opened)."""
    if data is None or not inbound.is_regular:
        checked = CheckedFile(inbound, "", 0, schema, ProblemList(inbound.relative))
        checked.problems.add(
            None,
            None,
            "not_a_regular_file",
            f"{inbound.path.name!r} is a link or special file, not a regular "
            "file; links are never followed: copy the file itself into the "
            "folder",
        )
        return checked
    checked = CheckedFile(
        inbound, hashlib.sha256(data).hexdigest(), len(data), schema, ProblemList(inbound.relative)
    )
    if name_problem := _file_name_problem(inbound.relative):
        checked.problems.add(None, None, *name_problem)
        return checked
    if schema is None:
        checked.problems.add(
            None,
            None,
            "file_name",
            f"the file name {inbound.path.name!r} does not start with an "
            "entity prefix (clusters, projects, participants, "
            "cluster_finances)",
        )
        return checked
    try:
        table = open_table(inbound.path, data, schema.field_names)
        checked.format = table.format
        if table.text_cells and not data.endswith((b"\n", b"\r")):
            checked.notes.append(
                "the file's last line has no line end (Excel ends every line): if the file was "
                "cut off while copying, its last row is incomplete; check it"
            )
        checker = FileChecker(checked, schema, table)
        for row_no, cells in [*table.leading_rows, (table.header_row, list(table.header))]:
            checker.scan_cells(row_no, cells)
        checker.map_header()
        columns = read_columns(data, table) if table.text_cells else None
        if columns is None:
            checker.check_rows(table.rows)
        else:
            checker.check_columns(columns)
            del columns
        _in_row_groups(checked)
        pa.default_memory_pool().release_unused()  # the file's cells: free before the load
        if table.sheet_path is not None:
            cells = uncalculated_formula_cells(data, table.sheet_path)
            explain_uncalculated_formulas(checked.problems, cells, checker.index)
            if note := uncalculated_formula_note(cells):
                checked.notes.append(note)
    except FileError as exc:
        checked.problems.add(exc.row, None, exc.rule, exc.message)
    return checked


def _file_name_problem(name: str) -> tuple[str, str] | None:
    """A file name is published (manifest, README, report, ``source_file`` columns): it may
    hold neither a CPR-like number nor a control or invisible character (a right-to-left
    override would turn the text around it, in every output that lists the file)."""
    # the plain ten-digit forms only: ``participants_150124_1030.csv`` is a date and a time
    if find_cpr(name, amount=True):
        return (
            "personal_data",
            "the file name holds a number that looks like a CPR number (personal data); "
            "file names are published: rename the file without it and send it again",
        )
    hidden = sorted({c for c in name if unicodedata.category(c) in ("Cc", "Cf")})
    if hidden:
        shown = ", ".join(f"U+{ord(c):04X}" for c in hidden)
        return (
            "file_name",
            f"the file name holds control or invisible characters ({shown}); file names are "
            "published: rename the file and send it again",
        )
    return None


def _in_row_groups(checked: CheckedFile) -> None:
    """Restage the valid rows in batches of one DuckDB row group each (the last one shorter).

    The column-wise path stages a batch per block of the CSV file, and rows sent row by row
    follow in batches of their own: loaded as they are, DuckDB would merge them into row
    groups, compressing most rows twice. One copy here costs far less.
    """
    sizes = [b.num_rows for b in checked.batches]
    if all(n == ROW_GROUP_ROWS for n in sizes[:-1]) and sum(sizes[-1:]) <= ROW_GROUP_ROWS:
        return
    checked.batches = checked.table().combine_chunks().to_batches(max_chunksize=ROW_GROUP_ROWS)
