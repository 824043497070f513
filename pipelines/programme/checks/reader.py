"""Read an inbound file (CSV or XLSX) into rows numbered as a person sees them.

CSV: UTF-8 with or without BOM, else Windows-1252 (what Danish Excel writes with "CSV
(semikolonsepareret)"). The delimiter (``;``, ``,`` or tab) is the one that makes a header row
with the contract's column names. XLSX: the first sheet of the workbook, cell values as stored
(formulas as last calculated).

Title rows above the header are allowed in both: the header is the row among the first
``HEADER_SCAN_ROWS`` that holds most of the contract's column names (at least two). Row numbers
count every line of the file (record, for CSV with line breaks inside quotes), title and blank
rows included, so that "row 7" is the row a spreadsheet shows as 7.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from pathlib import Path
from xml.etree import ElementTree

from pipelines.programme.checks.values import as_text

HEADER_SCAN_ROWS = 10
MAX_XLSX_UNPACKED_BYTES = 1 << 30  # a full Excel sheet of report rows unpacks to far less
DELIMITERS = (";", ",", "\t")
CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx",)
SUPPORTED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES

_UTF8_BOM = b"\xef\xbb\xbf"
_DATA_BYTE = re.compile(rb"[^ \t\r\n;,]")  # anything but blanks and separators
_END_OF_FILE = "\uffff"  # a Unicode noncharacter: no text decoded from a CSV file holds it
# A UTF-8 multi-byte sequence; in a file that is not valid UTF-8 as a whole, these mean two
# encodings were mixed (e.g. rows pasted from another file), which would garble letters.
_UTF8_SEQUENCE = re.compile(rb"[\xc3\xc2][\x80-\xbf]")

# A cell may be as long as the file: the csv module's default limit (128 KiB) would reject a
# long cell on the row-by-row path that the column-wise path (pyarrow) accepts.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))

Row = tuple[int, list[object]]
# warnings.catch_warnings() swaps process-wide state: workbooks opened in parallel (files are
# checked two at a time) take turns, so that no thread restores another's filters.
_QUIET = threading.Lock()


class FileError(Exception):
    """The file as a whole cannot be read: no row-level checking is possible."""

    def __init__(self, rule: str, message: str, row: int | None = None):
        self.rule = rule
        self.message = message
        self.row = row
        super().__init__(message)


@dataclass
class Table:
    format: str  # e.g. "CSV ';' UTF-8 with BOM"
    header_row: int
    header: list[str]  # as written (trimmed)
    rows: Iterator[Row]  # data rows after the header
    leading_rows: list[Row] = field(default_factory=list)  # title rows above the header
    text_cells: bool = True  # CSV: every cell is a str
    sheet_path: str | None = None  # XLSX: the part in the zip of the sheet read
    codec: str | None = None  # CSV: how the bytes decode, and the delimiter
    delimiter: str | None = None


# Invisible characters that a copy from a web page or a second BOM leaves in a column name.
_INVISIBLE = str.maketrans(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad")))


def normalise_name(cell: object) -> str:
    """Column names match case-insensitively after trimming, invisible characters ignored."""
    return "" if cell is None else as_text(cell).translate(_INVISIBLE).strip().casefold()


def _header_score(cells: Sequence[object], expected: set[str]) -> int:
    return len({normalise_name(c) for c in cells} & expected)


def _find_header(first: list[Row], expected: set[str]) -> tuple[int, int]:
    """Index in ``first`` of the best header row and its score (first one wins a tie)."""
    best, best_score = -1, 0
    for i, (_, cells) in enumerate(first):
        score = _header_score(cells, expected)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _no_header(expected: set[str]) -> FileError:
    return FileError(
        "header",
        f"none of the first {HEADER_SCAN_ROWS} rows holds the column "
        f"names; expected a header with {', '.join(sorted(expected))}",
    )


def _needed_score(expected: set[str]) -> int:
    return min(2, len(expected))


def open_table(path: Path, data: bytes, expected: Sequence[str]) -> Table:
    """Open ``data`` (the bytes of ``path``) and find its header row."""
    suffix = path.suffix.lower()
    names = {n.casefold() for n in expected}
    if not data:
        raise FileError(
            "empty_file",
            "the file is empty (0 bytes): it was probably not "
            "saved or not copied completely; send it again",
        )
    if suffix in CSV_SUFFIXES:
        return _open_csv(data, names)
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(data, names)
    raise FileError(
        "file_format",
        f"{suffix or 'no extension'} files are not read; send {' or '.join(SUPPORTED_SUFFIXES)}",
    )


def detect_encoding(data: bytes) -> tuple[str, str]:
    """The codec of a CSV file and a label for it: UTF-8 (BOM or not), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(
            "encoding", "the file is UTF-16 text; save it as CSV UTF-8 or CSV (semikolonsepareret)"
        )
    if b"\x00" in data:
        raise FileError("encoding", "the file holds NUL bytes: it is not a CSV text file")
    try:
        data.decode("utf-8")  # validates; the text is read again, streamed, below
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if exc.reason == "unexpected end of data":
            # the last line stops inside a UTF-8 letter: a copy cut off (Excel ends every
            # line, the last one included, so no whole Windows-1252 file ends like this)
            raise FileError(
                "encoding",
                f"the file ends in the middle of a UTF-8 letter (line {line}): it was probably "
                "cut off while copying; send it again (a Windows-1252 file whose last line ends "
                "in a letter such as Å: end it with a line break, as Excel does)",
                row=line,
            ) from None
        if data.startswith(_UTF8_BOM) or _UTF8_SEQUENCE.search(data):
            raise FileError(
                "encoding",
                f"the file mixes UTF-8 with another encoding (byte "
                f"0x{data[exc.start]:02x} on line {line} is not UTF-8); "
                "save it again as CSV UTF-8",
                row=line,
            ) from None
        try:
            data.decode("cp1252")
        except UnicodeDecodeError as exc2:
            line = data[: exc2.start].count(b"\n") + 1
            raise FileError(
                "encoding",
                f"the file is neither UTF-8 nor Windows-1252 (byte "
                f"0x{data[exc2.start]:02x} on line {line})",
                row=line,
            ) from None
        return "cp1252", "Windows-1252"
    if (at := data.find(_END_OF_FILE.encode())) >= 0:
        line = data[:at].count(b"\n") + 1
        raise FileError(
            "encoding",
            f"line {line} holds U+FFFF, which is no character: the file is not text",
            row=line,
        )
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig", "UTF-8 with BOM"
    return "utf-8", "UTF-8"


def _csv_rows(data: bytes, codec: str, delimiter: str) -> Iterator[Row]:
    """Rows decoded as they are read (a large file is never held as one big string).

    A quote left open at the end of the file (a copy cut off inside a quoted cell, or a stray
    ``"``) is an error: the csv module would take the rest of the file as that one cell,
    silently losing the rows after it. To see it, a character that no decoded file holds is
    fed after the last line: it comes back as a row of its own, or inside the open cell.
    """
    text = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
    reader = csv.reader(chain(text, [_END_OF_FILE]), delimiter=delimiter)
    row_no = 0
    try:
        for cells in reader:
            if cells == [_END_OF_FILE]:
                return
            if cells and cells[-1].endswith(_END_OF_FILE):
                raise FileError(
                    "csv",
                    f'a double quote (") opened in row {row_no + 1} is never closed, so the '
                    "rest of the file would be one cell: the file was cut off while copying, "
                    'or a cell holds a stray "; check that row and send the file again',
                    row=row_no + 1,
                )
            row_no += 1
            yield row_no, cells
    except csv.Error as exc:
        raise FileError("csv", f"the file does not parse as CSV: {exc}", row=row_no + 1) from None


def _open_csv(data: bytes, expected: set[str]) -> Table:
    codec, label = detect_encoding(data)
    if _DATA_BYTE.search(data, len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0) is None:
        raise FileError("empty_file", "the file holds no data, only blanks or separators")
    scored = []
    errors: dict[str, FileError] = {}
    for delimiter in DELIMITERS:
        first: list[Row] = []
        try:
            first.extend(islice(_csv_rows(data, codec, delimiter), HEADER_SCAN_ROWS))
        except FileError as exc:  # e.g. a quote that looks open under another delimiter
            errors[delimiter] = exc
        index, score = _find_header(first, expected)
        scored.append((score, -DELIMITERS.index(delimiter), delimiter, index))
    score, _, delimiter, index = max(scored)
    if score < _needed_score(expected):
        raise _no_header(expected)
    if delimiter in errors:  # the file's delimiter, and its first rows do not parse
        raise errors[delimiter]
    rows = _csv_rows(data, codec, delimiter)
    leading = [next(rows) for _ in range(index)]
    header_row, header = next(rows)
    shown = {"\t": "tab"}.get(delimiter, repr(delimiter))
    return Table(
        format=f"CSV {shown} {label}",
        header_row=header_row,
        header=[as_text(c) for c in header],
        rows=rows,
        leading_rows=leading,
        codec=codec,
        delimiter=delimiter,
    )


def _xlsx_rows(sheet) -> Iterator[Row]:
    row_no = 0
    try:
        for row_no, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield row_no, list(cells)
    except (KeyError, ValueError, TypeError, SyntaxError, zipfile.BadZipFile) as exc:
        raise FileError(
            "file_format",
            f"the XLSX sheet cannot be read after row {row_no}: {exc}",
            row=row_no + 1,
        ) from None


def _open_xlsx(data: bytes, expected: set[str]) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked_size(data)
    try:
        with _QUIET, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style warnings say nothing about the data
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        hidden = sheet.sheet_state != "visible"
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        IndexError,
        KeyError,
        OSError,
        ValueError,
        SyntaxError,
    ) as exc:  # SyntaxError: broken XML inside the zip
        raise FileError("file_format", f"not a readable XLSX workbook: {exc}") from None
    if hidden:  # the first sheet is the one read; its sender cannot see what it holds
        book.close()
        raise FileError(
            "header",
            f"the workbook's first sheet {sheet.title!r} is hidden, and only the first sheet "
            f"is read: unhide it, or delete it or move the sheet with the data to the front",
        )
    sheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
    rows = _xlsx_rows(sheet)
    first = list(islice(rows, HEADER_SCAN_ROWS))
    index, score = _find_header(first, expected)
    if score < _needed_score(expected):
        other = _sheet_with_header(book, expected)
        book.close()
        if not any(any(c is not None for c in cells) for _, cells in first) and other is None:
            raise FileError(
                "empty_file",
                f"the workbook's first sheet {sheet.title!r} is "
                "empty and no sheet holds the column names",
            )
        if other is not None:
            raise FileError(
                "header",
                f"the column names are on sheet {other!r}, but only the "
                f"first sheet ({sheet.title!r}) is read: move sheet "
                f"{other!r} to the front or delete the other sheets",
            )
        raise _no_header(expected)
    header_row, header = first[index]

    def remaining() -> Iterator[Row]:
        try:
            yield from first[index + 1 :]
            yield from rows
        finally:
            book.close()

    return Table(
        format=f"XLSX sheet {sheet.title!r}",
        header_row=header_row,
        header=["" if c is None else as_text(c) for c in header],
        rows=remaining(),
        leading_rows=first[:index],
        text_cells=False,
        sheet_path=first_sheet_part(data),
    )


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook that unpacks to more than ``MAX_XLSX_UNPACKED_BYTES`` (a zip bomb, or
    far beyond any report): its parts' sizes are read from the zip's directory, and a part
    never yields more than its stated size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileError("file_format", f"not a readable XLSX workbook: {exc}") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise FileError(
            "file_format",
            f"the workbook unpacks to {unpacked / 2**30:,.1f} GiB, more than the "
            f"{MAX_XLSX_UNPACKED_BYTES / 2**30:,.0f} GiB read: send the data as CSV, "
            "or check the file",
        )


def _sheet_with_header(book, expected: set[str]) -> str | None:
    """The title of a later sheet whose first rows hold the header, if any."""
    for sheet in book.worksheets[1:]:
        try:
            first = list(islice(_xlsx_rows(sheet), HEADER_SCAN_ROWS))
        except FileError:
            continue
        if _find_header(first, expected)[1] >= _needed_score(expected):
            return sheet.title
    return None


def explain_uncalculated_formulas(problems, cells: list[str], columns: dict[str, int]) -> None:
    """Re-word "must not be empty" for cells that hold a formula Excel never calculated
    (``cells``: :func:`uncalculated_formula_cells`).

    Files written by scripts or converters can carry formulas without a cached result, which
    read as empty.
    """
    if not cells:
        return
    from openpyxl.utils import get_column_letter

    uncalculated = set(cells)
    for problem in list(problems):
        if problem.rule != "required" or problem.row is None or problem.column not in columns:
            continue
        if f"{get_column_letter(columns[problem.column] + 1)}{problem.row}" in uncalculated:
            problems.replace(
                problem,
                replace(
                    problem,
                    rule="uncalculated_formula",
                    message=f"{problem.column} holds a formula that was never calculated "
                    "(no saved result): open the file in Excel, save it, and send it again",
                ),
            )


# A cell with content (a self-closing <c .../> holds none; attributes hold no '/'), its formula
# and its saved result, with or without a namespace prefix (<x:c>, written by .NET tools).
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>/]*)>(.*?)</(?:\w+:)?c>", re.DOTALL)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_SAVED_RESULT = re.compile(rb"<(?:\w+:)?v>")
_CELL_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_SHOWN_CELLS = 10
_XML_CHUNK = 1 << 20


_PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def first_sheet_part(data: bytes) -> str | None:
    """The zip part holding the workbook's first sheet (``xl/worksheets/sheet1.xml``), as the
    workbook names it: its first ``<sheet>`` and that sheet's relationship. None when the
    workbook does not say."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ElementTree.ParseError):
            return None
    sheet = next((e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"), None)
    if sheet is None:
        return None
    wanted = sheet.get(_OFFICE_RELATIONSHIP_ID)
    for link in links.iter(f"{_PACKAGE_RELATIONSHIPS}Relationship"):
        if link.get("Id") == wanted:
            target = link.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def uncalculated_formula_cells(data: bytes, sheet_path: str) -> list[str]:
    """The cells (``E7``) of the sheet that hold a formula without a saved result: they read
    as empty. The sheet's XML is streamed a stretch of whole rows at a time, and only a stretch
    holding a formula is searched cell by cell."""
    cells = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet_path) as xml:
        tail = b""
        while chunk := xml.read(_XML_CHUNK):
            stretch = tail + chunk
            end = stretch.rfind(b"row>") + 4  # after </row> (or </x:row>): whole cells only
            if end < 4:
                tail = stretch
                continue
            stretch, tail = stretch[:end], stretch[end:]
            if _FORMULA.search(stretch) is None:
                continue
            for match in _CELL.finditer(stretch):
                inner = match.group(2)
                # a saved result is <v>...</v>; scripts write none, or an empty <v/>
                if _FORMULA.search(inner) and not _SAVED_RESULT.search(inner):
                    ref = _CELL_REF.search(match.group(1))
                    cells.append(ref.group(1).decode() if ref else "?")
    return cells


def uncalculated_formula_note(cells: list[str]) -> str | None:
    """A note naming the cells that hold a formula without a saved result. Where an empty
    cell is not allowed the check already says why (:func:`explain_uncalculated_formulas`);
    elsewhere the value would be lost unseen."""
    if not cells:
        return None
    more = len(cells) - _SHOWN_CELLS
    return (
        f"{len(cells)} cell(s) hold a formula Excel never calculated (no saved result), read "
        f"as empty: {', '.join(cells[:_SHOWN_CELLS])}{f' and {more} more' if more > 0 else ''}; "
        "open the file in Excel, save it, and send it again if they should hold values"
    )
