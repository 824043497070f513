"""The row-by-row checks of one open file: header, cells, row rules, staging.

:mod:`pipelines.programme.checks.validate` opens the file and decides the path; this checker
maps the header to the contract, scans every cell (contract or not) for personal data and Excel
error values, converts each contract cell with :func:`pipelines.programme.checks.rules.converter`,
checks the row rules, and stages valid rows in Arrow record batches of ``BATCH_ROWS`` rows. CSV
files that can be checked column-wise (:mod:`pipelines.programme.checks.columns`) send only their
doubtful rows here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa

from pipelines.programme.checks.columns import sort_rows
from pipelines.programme.checks.csvcolumns import Columns, rows_at
from pipelines.programme.checks.identifiers import CPR_MASK, find_cpr
from pipelines.programme.checks.reader import Row, Table, normalise_name
from pipelines.programme.checks.rules import (
    EXCEL_ERRORS,
    FORMULA_STARTS,
    ROW_GROUP_ROWS,
    converter,
    staged_schema,
)
from pipelines.programme.checks.values import CellError, as_text
from pipelines.programme.contract import EntitySchema, FieldSpec, FieldType

if TYPE_CHECKING:
    from pipelines.programme.checks.validate import CheckedFile

BATCH_ROWS = ROW_GROUP_ROWS
_NONE_FLAGGED: frozenset[int] = frozenset()


class _RowPlan(NamedTuple):
    """How each row of the file is checked, worked out once from the header."""

    # (field index, spec, column index in the file, converter) for each field in the header
    cells: list[tuple[int, FieldSpec, int, Callable[[object], object]]]
    position: dict[str, int]  # field name -> index among the contract's fields
    order_rules: list[tuple[int, int, FieldSpec]]  # field not before field
    free_text: frozenset[int]  # fields of free text (formula-like text is noted)


def _blank(cells: list[object], text_cells: bool) -> bool:
    if text_cells:
        return not "".join(cells).strip()  # type: ignore[arg-type]
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


class FileChecker:
    """The checks of one open file, header to last row; problems go to ``checked.problems``,
    valid rows to ``checked.batches``."""

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
                self.problems.add(
                    self.table.header_row,
                    name,
                    "duplicate_column",
                    f"column {name} appears twice (columns {self.index[name] + 1} and {i + 1})",
                )
                continue
            self.index[name] = i
        for spec in self.schema.fields:
            if spec.name not in self.index and spec.required:
                self.problems.add(
                    self.table.header_row,
                    spec.name,
                    "missing_column",
                    f"required column {spec.name} is missing from the header",
                )
        absent = {f.name.casefold() for f in self.schema.absent}
        if never := [c for c in ignored if normalise_name(c) in absent]:
            self.out.notes.append(
                f"generation {self.schema.generation} never reported "
                f"{', '.join(never)} (its contract leaves it out): checked for personal data and "
                "Excel errors, then not loaded"
            )
        if ignored := [c for c in ignored if normalise_name(c) not in absent]:
            self.out.notes.append(
                f"columns not in the contract are checked for personal data "
                f"and Excel errors, then not loaded: {', '.join(ignored)}"
            )
        self.out.columns = set(self.index)
        self.amount_columns = {
            self.index[f.name]
            for f in self.schema.fields
            if f.name in self.index and f.type in (FieldType.DECIMAL, FieldType.INTEGER)
        }

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
                self.problems.add(
                    row_no,
                    column,
                    "excel_error",
                    f"cell {_cell_ref(i, row_no)} holds the Excel error {text}: "
                    "a formula failed (e.g. a VLOOKUP that found nothing); "
                    "fix it in the workbook and send the file again",
                    text,
                )
            elif find_cpr(text, amount=i in self.amount_columns):
                flagged.add(i)
                self.problems.add(
                    row_no,
                    column,
                    "personal_data",
                    f"personal data: CPR-like number in column {column} row "
                    f"{row_no}; participants are firms and institutions, never "
                    "persons",
                    CPR_MASK,
                )
        return frozenset(flagged)

    def note_formula_like(self, row_no: int, column: str, text: str) -> None:
        """Text that a spreadsheet would run as a formula: loaded, published as text."""
        self.formula_like += 1
        if self.formula_like == 1:
            self.first_formula_like = f"row {row_no}, column {column}"

    def check_rows(self, rows: Iterable[Row]) -> None:
        """Row by row: each non-blank row's cells scanned and converted, the row rules checked,
        the row staged (with the problems found, so a sender fixes a file in one go)."""
        plan = self._plan()
        text_cells, width, staged = self.table.text_cells, self.width, self.staged
        for row_no, cells in rows:
            if _blank(cells, text_cells):
                continue
            flagged = self.scan_cells(row_no, cells)
            if len(cells) != width and self._bad_shape(row_no, cells):
                continue
            values, empty = self._convert(row_no, cells, flagged, plan)
            self._check_row_rules(row_no, values, empty, plan)
            values.append(row_no)
            staged.append(values)
            if len(staged) >= BATCH_ROWS:
                self.flush()
        self.flush()
        if self.formula_like:
            self.out.notes.append(
                f"{self.formula_like} text cell(s) start like a spreadsheet formula (=, +, -, @, "
                f"tab or CR; first: {self.first_formula_like}); they are loaded as text and "
                "published as text, never as formulas"
            )

    def _plan(self) -> _RowPlan:
        fields = self.schema.fields
        position = {spec.name: k for k, spec in enumerate(fields)}
        cells = [
            (k, spec, self.index[spec.name], converter(spec))
            for k, spec in enumerate(fields)
            if spec.name in self.index
        ]
        return _RowPlan(
            cells=cells,
            position=position,
            order_rules=[
                (position[s.name], position[s.not_before], s) for s in fields if s.not_before
            ],
            free_text=frozenset(k for k, spec, _, _ in cells if spec.type is FieldType.STRING),
        )

    def _convert(
        self, row_no: int, cells: list[object], flagged: frozenset[int], plan: _RowPlan
    ) -> tuple[list[object], list[int]]:
        """The row's converted values (None where empty or wrong) and the fields left empty
        that the contract allows empty only for some rows."""
        problems = self.problems
        values: list[object] = [None] * len(self.schema.fields)
        empty: list[int] = []
        for k, spec, idx, convert in plan.cells:
            raw = cells[idx] if idx < len(cells) else None
            if raw is None or (raw.__class__ is str and not raw.strip()):  # type: ignore
                if spec.empty_allowed_when:
                    empty.append(k)
                elif spec.required:
                    problems.add(row_no, spec.name, "required", f"{spec.name} must not be empty")
                continue
            if idx in flagged:
                continue
            try:
                values[k] = convert(raw)
            except CellError as exc:
                problems.add(row_no, spec.name, exc.rule, exc.message, as_text(raw))
                continue
            if k in plan.free_text and values[k].startswith(FORMULA_STARTS):  # type: ignore
                self.note_formula_like(row_no, spec.name, values[k])  # type: ignore
        return values, empty

    def _check_row_rules(
        self, row_no: int, values: list[object], empty: list[int], plan: _RowPlan
    ) -> None:
        """Rules across the row's cells: date order, and cells empty only for some rows."""
        for k, before_k, spec in plan.order_rules:
            if (
                values[k] is not None
                and values[before_k] is not None
                and values[k] < values[before_k]
            ):  # type: ignore[operator]
                self.problems.add(
                    row_no,
                    spec.name,
                    "date_order",
                    f"{spec.name} {values[k]} is before {spec.not_before} {values[before_k]}",
                    values[k],
                )
        for k in empty:
            self._check_empty(row_no, self.schema.fields[k], values, plan.position)

    def check_columns(self, columns: Columns) -> None:
        """CSV, the fast path: rows valid in every respect are staged column-wise; the others
        go through :meth:`check_rows`, for exactly the messages and staging of the row path."""
        result = sort_rows(
            self.schema, self.index, self.amount_columns, columns.cells, columns.row_numbers
        )
        self.out.batches += result.staged.to_batches()
        self.out.rows += result.staged.num_rows
        self.check_rows(rows_at(columns, result.slow))

    def _bad_shape(self, row_no: int, cells: list[object]) -> bool:
        """Values beyond the header, or too few cells (CSV): the row cannot be trusted."""
        if any(c is not None and as_text(c) for c in cells[self.width :]):
            message = (
                f"the row has values beyond the header's {self.width} columns (a stray separator?)"
            )
        elif self.table.text_cells and len(cells) < self.width:
            message = (
                f"the row has {len(cells)} cells but the header has {self.width} (wrong delimiter?)"
            )
        else:
            return False
        self.problems.add(row_no, None, "row_shape", message)
        return True

    def _check_empty(
        self, row_no: int, spec: FieldSpec, values: list[object], position: dict[str, int]
    ) -> None:
        """A required cell left empty where the contract allows it only for some rows."""
        for other, allowed in spec.empty_allowed_when.items():
            value = values[position[other]]
            if value is not None and value not in allowed:
                self.problems.add(
                    row_no,
                    spec.name,
                    "required",
                    f"{spec.name} may be empty only when {other} is "
                    f"{' or '.join(allowed)} (here: {value})",
                )
                return

    def flush(self) -> None:
        if not self.staged:
            return
        columns = zip(*self.staged, strict=True)
        arrays = [
            pa.array(values, type=f.type)
            for values, f in zip(columns, self.arrow_schema, strict=True)
        ]
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
