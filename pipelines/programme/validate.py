"""Check one inbound file against its entity's contract, row by row, and stage its rows.

Everything that can be decided from the file alone is checked here: the header, every cell's
type and limits (dates within their window), the row rules (end not before start; CVR empty
only for foreign participants), and in every cell of every column, contract or not, personal
data and Excel error values. Checks that need other files (unique keys, references) are
in :mod:`pipelines.programme.crosscheck`. All problems are collected (the first 100 kept), so
a sender can fix a file in one go.

Valid cells are staged in Arrow record batches (flat memory for large files): decimals and
dates as canonical text that the load casts exactly, booleans and integers as such.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa

from pipelines.programme.contract import DECIMAL_PRECISION, EntitySchema, FieldSpec, FieldType
from pipelines.programme.discover import InboundFile
from pipelines.programme.errors import ProblemList
from pipelines.programme.identifiers import CPR_MASK, find_cpr
from pipelines.programme.reader import (
    FileError,
    Row,
    Table,
    explain_uncalculated_formulas,
    normalise_name,
    open_table,
)
from pipelines.programme.values import (
    CellError,
    as_text,
    decimal_above,
    decimal_below,
    parse_boolean,
    parse_cvr,
    parse_date,
    parse_decimal,
    parse_enum,
    parse_integer,
)

BATCH_ROWS = 65_536
# What Excel shows (and caches in the file) for a formula that failed, e.g. a VLOOKUP.
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
# A text cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INTEGER_LIMIT = 2**31  # INTEGER columns
_NONE_FLAGGED: frozenset[int] = frozenset()
SOURCE_ROW = "_source_row"


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


def staged_type(spec: FieldSpec) -> pa.DataType:
    if spec.type is FieldType.INTEGER:
        return pa.int64()
    if spec.type is FieldType.BOOLEAN:
        return pa.bool_()
    return pa.string()


def staged_schema(schema: EntitySchema) -> pa.Schema:
    return pa.schema([(f.name, staged_type(f)) for f in schema.fields]
                     + [(SOURCE_ROW, pa.int64())])


def _converter(spec: FieldSpec) -> Callable[[object], object]:
    """Parse a non-empty cell and check its limits; raises CellError."""
    if spec.type is FieldType.DECIMAL:
        scale, low, high = spec.scale, spec.min, spec.max
        max_digits = DECIMAL_PRECISION - scale

        def convert_decimal(raw: object) -> object:
            value = parse_decimal(raw, scale)
            if len(value) > max_digits and len(value.lstrip("-").split(".")[0]) > max_digits:
                raise CellError("type", f"{value} is too large (at most {max_digits} digits "
                                        "before the decimal separator)")
            if low is not None and (value[0] == "-" or low != 0) and decimal_below(value, low):
                raise CellError("min", f"must be at least {low}")
            if high is not None and decimal_above(value, high):
                raise CellError("max", f"must be at most {high}")
            return value

        return convert_decimal
    if spec.type is FieldType.INTEGER:
        low, high = spec.min, spec.max

        def convert_integer(raw: object) -> object:
            value = parse_integer(raw)
            if not -INTEGER_LIMIT < value < INTEGER_LIMIT:
                raise CellError("type", f"{value} is too large for a whole-number column")
            if low is not None and value < low:
                raise CellError("min", f"must be at least {low}")
            if high is not None and value > high:
                raise CellError("max", f"must be at most {high}")
            return value

        return convert_integer
    if spec.type is FieldType.ENUM:
        allowed = {v.casefold(): v for v in spec.enum}
        exact = frozenset(spec.enum)
        return lambda raw: raw if raw in exact else parse_enum(raw, allowed)
    if spec.type is FieldType.STRING and spec.pattern:
        pattern = re.compile(spec.pattern)

        def convert_pattern(raw: object) -> object:
            text = as_text(raw)
            if not pattern.fullmatch(text):
                raise CellError("pattern", f"{text!r} does not have the form {spec.pattern} "
                                           f"(e.g. {spec.example})")
            return text

        return convert_pattern
    if spec.type is FieldType.DATE and spec.window is not None:
        window = spec.window

        def convert_date(raw: object) -> object:
            value = parse_date(raw)
            if value not in window:
                raise CellError("date_range", f"{value} is outside {window.earliest} to "
                                              f"{window.latest} ({window.description})")
            return value

        return convert_date
    return {FieldType.DATE: parse_date, FieldType.BOOLEAN: parse_boolean,
            FieldType.CVR: parse_cvr, FieldType.STRING: as_text}[spec.type]


def _blank(cells: list[object], text_cells: bool) -> bool:
    if text_cells:
        return not "".join(cells).strip()  # type: ignore[arg-type]
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


class _FileChecker:
    def __init__(self, checked: CheckedFile, schema: EntitySchema, table: Table):
        self.out = checked
        self.schema = schema
        self.table = table
        self.problems = checked.problems
        self.header = table.header
        self.width = len(table.header)
        self.index: dict[str, int] = {}
        self.arrow_schema = staged_schema(schema)
        self.staged: list[list[object]] = []  # rows not yet in a record batch
        # Columns of amounts and counts, where nine digits are a number, not a CPR (set by
        # map_header); every other column also catches a CPR that lost its leading zero.
        self.amount_columns: set[int] = set()
        self.formula_like = 0
        self.first_formula_like = ""

    def column_name(self, i: int) -> str:
        if i < self.width and self.header[i]:
            return self.header[i]
        return f"(unnamed column {i + 1})"

    def map_header(self) -> None:
        by_name = {f.name.casefold(): f.name for f in self.schema.fields}
        ignored = []
        for i, cell in enumerate(self.header):
            name = by_name.get(normalise_name(cell))
            if name is None:
                if cell:
                    ignored.append(cell)
                continue
            if name in self.index:
                self.problems.add(self.table.header_row, name, "duplicate_column",
                                  f"column {name} appears twice (columns "
                                  f"{self.index[name] + 1} and {i + 1})")
                continue
            self.index[name] = i
        for spec in self.schema.fields:
            if spec.name not in self.index and spec.required:
                self.problems.add(self.table.header_row, spec.name, "missing_column",
                                  f"required column {spec.name} is missing from the header")
        if ignored:
            self.out.notes.append(f"columns not in the contract are checked for personal data "
                                  f"and Excel errors, then not loaded: {', '.join(ignored)}")
        self.out.columns = set(self.index)
        self.amount_columns = {self.index[f.name] for f in self.schema.fields
                               if f.name in self.index
                               and f.type in (FieldType.DECIMAL, FieldType.INTEGER)}

    def scan_cells(self, row_no: int, cells: list[object]) -> frozenset[int]:
        """Every cell of the row, in the contract or not: CPR-like numbers (reported masked)
        and Excel error values. Returns the cells flagged, which are not checked further."""
        if self.table.text_cells:
            joined = "\x1f".join(cells)  # type: ignore[arg-type]
        else:
            joined = "\x1f".join(as_text(c) for c in cells if c is not None)
        if "#" not in joined and not find_cpr(joined):
            return _NONE_FLAGGED  # nearly every row: two passes over one string
        flagged = set()
        for i, c in enumerate(cells):
            if c is None:
                continue
            text = as_text(c)
            column = self.column_name(i)
            if text.upper() in EXCEL_ERRORS:
                flagged.add(i)
                self.problems.add(row_no, column, "excel_error",
                                  f"cell {_cell_ref(i, row_no)} holds the Excel error {text}: "
                                  "a formula failed (e.g. a VLOOKUP that found nothing); "
                                  "fix it in the workbook and send the file again", text)
            elif find_cpr(text, lost_zero=i not in self.amount_columns):
                flagged.add(i)
                self.problems.add(row_no, column, "personal_data",
                                  f"personal data: CPR-like number in column {column} row "
                                  f"{row_no}; participants are firms and institutions, never "
                                  "persons", CPR_MASK)
        return frozenset(flagged)

    def note_formula_like(self, row_no: int, column: str, text: str) -> None:
        """Text that a spreadsheet would run as a formula: loaded, published as text."""
        self.formula_like += 1
        if self.formula_like == 1:
            self.first_formula_like = f"row {row_no}, column {column}"

    def check_rows(self, rows: Iterable[Row]) -> None:
        fields = self.schema.fields
        n_fields = len(fields)
        plan = [(k, spec, self.index[spec.name], _converter(spec))
                for k, spec in enumerate(fields) if spec.name in self.index]
        position = {spec.name: k for k, spec in enumerate(fields)}
        order_rules = [(position[s.name], position[s.not_before], s) for s in fields
                       if s.not_before]
        text_cells = self.table.text_cells
        problems, staged, width = self.problems, self.staged, self.width
        free_text = {k for k, spec, _, _ in plan if spec.type is FieldType.STRING}
        for row_no, cells in rows:
            if _blank(cells, text_cells):
                continue
            flagged = self.scan_cells(row_no, cells)
            if len(cells) != width and self._bad_shape(row_no, cells):
                continue
            values: list[object] = [None] * n_fields
            empty: list[int] = []
            for k, spec, idx, convert in plan:
                raw = cells[idx] if idx < len(cells) else None
                if raw is None or (raw.__class__ is str and not raw.strip()):  # type: ignore
                    if spec.empty_allowed_when:
                        empty.append(k)
                    elif spec.required:
                        problems.add(row_no, spec.name, "required",
                                     f"{spec.name} must not be empty")
                    continue
                if idx in flagged:
                    continue
                try:
                    values[k] = convert(raw)
                except CellError as exc:
                    problems.add(row_no, spec.name, exc.rule, exc.message, as_text(raw))
                    continue
                if k in free_text and values[k].startswith(FORMULA_STARTS):  # type: ignore
                    self.note_formula_like(row_no, spec.name, values[k])  # type: ignore
            for k, before_k, spec in order_rules:
                if values[k] is not None and values[before_k] is not None \
                        and values[k] < values[before_k]:  # type: ignore[operator]
                    problems.add(row_no, spec.name, "date_order",
                                 f"{spec.name} {values[k]} is before {spec.not_before} "
                                 f"{values[before_k]}", values[k])
            for k in empty:
                self._check_empty(row_no, fields[k], values, position)
            values.append(row_no)
            staged.append(values)
            if len(staged) >= BATCH_ROWS:
                self.flush()
        self.flush()
        if self.formula_like:
            self.out.notes.append(
                f"{self.formula_like} text cell(s) start like a spreadsheet formula (=, +, -, @, "
                f"tab or CR; first: {self.first_formula_like}); they are loaded as text and "
                "published as text, never as formulas")

    def _bad_shape(self, row_no: int, cells: list[object]) -> bool:
        """Values beyond the header, or too few cells (CSV): the row cannot be trusted."""
        if any(c is not None and as_text(c) for c in cells[self.width:]):
            message = (f"the row has values beyond the header's {self.width} columns "
                       "(a stray separator?)")
        elif self.table.text_cells and len(cells) < self.width:
            message = (f"the row has {len(cells)} cells but the header has {self.width} "
                       "(wrong delimiter?)")
        else:
            return False
        self.problems.add(row_no, None, "row_shape", message)
        return True

    def _check_empty(self, row_no: int, spec: FieldSpec, values: list[object],
                     position: dict[str, int]) -> None:
        """A required cell left empty where the contract allows it only for some rows."""
        for other, allowed in spec.empty_allowed_when.items():
            value = values[position[other]]
            if value is not None and value not in allowed:
                self.problems.add(row_no, spec.name, "required",
                                  f"{spec.name} may be empty only when {other} is "
                                  f"{' or '.join(allowed)} (here: {value})")
                return

    def flush(self) -> None:
        if not self.staged:
            return
        columns = zip(*self.staged, strict=True)
        arrays = [pa.array(values, type=f.type)
                  for values, f in zip(columns, self.arrow_schema, strict=True)]
        self.out.batches.append(pa.RecordBatch.from_arrays(arrays, schema=self.arrow_schema))
        self.out.rows += len(self.staged)
        self.staged.clear()


def _cell_ref(column_index: int, row_no: int) -> str:
    """A spreadsheet cell reference such as ``D7``."""
    letters, n = "", column_index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row_no}"


def check_file(inbound: InboundFile, schema: EntitySchema | None,
               data: bytes | None) -> CheckedFile:
    """All single-file checks of ``data`` (the bytes of ``inbound.path``; None for a link or
    special file, which is rejected without being opened)."""
    if data is None or not inbound.is_regular:
        checked = CheckedFile(inbound, "", 0, schema, ProblemList(inbound.relative))
        checked.problems.add(None, None, "not_a_regular_file",
                             f"{inbound.path.name!r} is a link or special file, not a regular "
                             "file; links are never followed: copy the file itself into the "
                             "folder")
        return checked
    checked = CheckedFile(inbound, hashlib.sha256(data).hexdigest(), len(data), schema,
                          ProblemList(inbound.relative))
    if schema is None:
        checked.problems.add(None, None, "file_name",
                             f"the file name {inbound.path.name!r} does not start with an "
                             "entity prefix (clusters, projects, participants, "
                             "cluster_finances)")
        return checked
    try:
        table = open_table(inbound.path, data, schema.field_names)
        checked.format = table.format
        checker = _FileChecker(checked, schema, table)
        for row_no, cells in [*table.leading_rows, (table.header_row, list(table.header))]:
            checker.scan_cells(row_no, cells)
        checker.map_header()
        checker.check_rows(table.rows)
        if table.sheet is not None:
            explain_uncalculated_formulas(checked.problems, data, table.sheet, checker.index)
    except FileError as exc:
        checked.problems.add(exc.row, None, exc.rule, exc.message)
    return checked

