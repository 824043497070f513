"""Read the data rows of a CSV file as Arrow string columns, numbered as a spreadsheet shows them.

The fast path of the checks: pyarrow's CSV reader (C++, multi-threaded) parses the rows after
the header into one string column per header column, all text, nothing converted. It is used
only when its rows are provably the rows the ``csv`` module gives the row-by-row path, with
known row numbers: every record on one line (no line break inside quotes), lines ended by LF
or CRLF, every row exactly as wide as the header, an even number of quote characters (pyarrow
takes a quote left open at the end of the file as closed). For any other file :func:`read_columns`
returns None and the file is checked row by row, exactly as before.

Row numbers: pyarrow skips empty lines, which the row-by-row path numbers and then skips as
blank rows; so the i-th row read is the i-th non-empty line after the header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from pipelines.programme.checks.reader import Table
from pipelines.programme.checks.values import as_text

_UTF8_BOM = b"\xef\xbb\xbf"
_BLOCK_BYTES = 4 << 20  # pyarrow's unit of parallel parsing


@dataclass(frozen=True)
class Columns:
    cells: pa.Table  # one string column per header column, in header order; "" for empty
    row_numbers: np.ndarray  # int64, the spreadsheet row of each row of ``cells``


def _header_end(data: bytes, table: Table) -> int | None:
    """Byte offset just after the header line, if the title rows and the header are one
    line each (else row numbers cannot be counted by lines)."""
    offset = 0
    for _ in range(table.header_row):
        found = data.find(b"\n", offset)
        if found < 0:
            return None
        offset = found + 1
    assert table.codec is not None and table.delimiter is not None
    text = data[:offset].decode(table.codec)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter))
    except csv.Error:  # e.g. a quote opened on the header line and closed on the next
        return None
    if len(records) != table.header_row or [as_text(c) for c in records[-1]] != table.header:
        return None
    return offset


def _parse(body: bytes | memoryview, table: Table, quoted: bool) -> pa.Table | None:
    """The rows of ``body``; ``quoted`` when it holds a quote character, so that a value may
    hold a line break (without one, pyarrow splits the rows faster)."""
    width = len(table.header)
    names = [f"c{i}" for i in range(width)]
    try:
        return pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=table.delimiter, newlines_in_values=quoted),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # e.g. a row narrower or wider than the header: row by row


def _row_numbers(body: bytes, start: int, rows: int, first: int) -> np.ndarray | None:
    """Spreadsheet row numbers of the ``rows`` rows read from ``body[start:]``, whose first
    line is row ``first``; None unless every non-empty line is exactly one row.

    A row spans at least one line and rows never share one, so as many rows as lines means
    one row per line; fewer means empty lines (numbered, then skipped) or line breaks inside
    quotes (which make the count fall short of the non-empty lines)."""
    lines = body.count(b"\n", start) + (len(body) > start and not body.endswith(b"\n"))
    if rows == lines:
        return np.arange(first, first + rows, dtype=np.int64)
    raw = np.frombuffer(body, dtype=np.uint8, offset=start)
    ends = np.flatnonzero(raw == 10)  # LF; a CR only ever comes right before an LF (checked)
    starts = np.concatenate(([0], ends + 1))[:lines]
    stops = np.concatenate((ends, [len(raw)]))[:lines]
    length = stops - starts
    empty = length == 0
    single = np.flatnonzero(length == 1)
    empty[single] = raw[starts[single]] == 13
    filled = np.flatnonzero(~empty)
    if len(filled) != rows:
        return None
    return filled.astype(np.int64) + first


def read_columns(data: bytes, table: Table) -> Columns | None:
    """The data rows of CSV ``data`` (opened as ``table``) as columns, or None to read it row
    by row."""
    if table.codec is None or table.delimiter is None:
        return None
    offset = _header_end(data, table)
    if offset is None:
        return None
    body, start = data, offset
    if table.codec == "cp1252":  # pyarrow reads UTF-8; Python's codec is the row path's
        body, start = data[offset:].decode("cp1252").encode("utf-8"), 0
    if body.startswith(_UTF8_BOM, start):
        return None  # pyarrow would drop a BOM that the csv module keeps in the first cell
    if body.count(b"\r", start) != body.count(b"\r\n", start):
        return None  # a lone CR ends a row for both readers, but not a line here
    if body.count(b'"', start) % 2:
        return None  # a stray quote, or one left open at the end: the row path names it
    cells = _parse(memoryview(body)[start:], table, body.find(b'"', start) >= 0)
    if cells is None:
        return None
    numbers = _row_numbers(body, start, cells.num_rows, table.header_row + 1)
    if numbers is None:
        return None
    return Columns(cells, numbers)


def rows_at(
    columns: Columns, positions: np.ndarray, chunk: int = 65_536
) -> Iterator[tuple[int, list[object]]]:
    """The rows at ``positions`` as the row-by-row checker reads them: (row number, cells)."""
    for start in range(0, len(positions), chunk):
        part = positions[start : start + chunk]
        taken = columns.cells.take(pa.array(part))
        cells = zip(*(c.to_pylist() for c in taken.columns), strict=True)
        yield from zip(columns.row_numbers[part].tolist(), map(list, cells), strict=True)
