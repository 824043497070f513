"""Check CSV rows column by column: vectorised, exact, and row by row only where needed.

For every cell a vectorised expression (pyarrow compute, RE2 regexes) decides "valid, staged
as this value" for the common simple forms: plain text, ``1234,50``, a valid CVR, an allowed
enum value. Every other non-empty value runs through the field's own converter
(:func:`pipelines.programme.checks.rules.converter`) once per distinct value, so that dates, flags,
ids and ``1.234.567,50`` are judged by the very code the row-by-row path uses.

A row goes to the row-by-row checker (:mod:`pipelines.programme.checks.checker`), which gives the
exact messages and stages the row as ever, when any cell is not valid or is suspicious:
anything CPR-like or holding ``#`` (in every column, contract or not; a superset of what
:func:`~pipelines.programme.checks.identifiers.find_cpr` and the Excel error rule catch), text that
starts like a formula, a blank-looking cell, a row rule broken. All other rows are staged here,
and blank rows are skipped, as the row-by-row path does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.programme.checks.identifiers import (
    CPR_IN_NUMBER,
    CPR_IN_TEXT,
    CVR_WEIGHTS,
    NORMALISED_AWAY,
)
from pipelines.programme.checks.rules import FORMULA_STARTS, converter, staged_schema
from pipelines.programme.checks.values import CellError
from pipelines.programme.contract import DECIMAL_PRECISION, EntitySchema, FieldSpec, FieldType

# What Python's str.strip() removes (str.isspace), as an RE2 class.
_SPACE = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}]"
)
_BLANK = f"^{_SPACE}*$"
# A cell goes row by row if it holds a '#', a character find_cpr() normalises away (full-width
# digits, an invisible character inside a number: NORMALISED_AWAY), what could be a CPR number
# in any form find_cpr() knows, or nine digits (a CPR that lost its leading zero), not inside
# a longer run of digits.
_CPR_9 = r"[1-9][01][0-9]{7}"
_SUSPECT = f"#|{NORMALISED_AWAY}|(?:^|[^0-9])(?:{CPR_IN_TEXT}|{_CPR_9})(?:[^0-9]|$)"
_SUSPECT_AMOUNT = f"#|{NORMALISED_AWAY}|(?:^|[^0-9]){CPR_IN_NUMBER}(?:[^0-9]|$)"
# Text that is already what as_text() makes of it: printable ASCII and Latin-1/Latin
# Extended-A letters (all unchanged by NFC), no space at either end, not formula-like.
_TEXT = r"^[!-*,.-<>-?A-~\x{a1}-\x{17f}](?:[ -~\x{a1}-\x{17f}]*[!-~\x{a1}-\x{17f}])?$"
_DECIMAL = r"^[0-9]+(?:[.,][0-9]{1,2})?$"  # values._SIMPLE_DECIMAL
_CVR = r"^[1-9][0-9]{7}$"
Column = pa.Array | pa.ChunkedArray


@dataclass(frozen=True)
class Sorted:
    staged: pa.Table  # the rows valid in every respect, in the staged schema
    slow: np.ndarray  # positions of the rows the row-by-row checker must see


@dataclass
class _Cells:
    """One column's verdict per cell."""

    ok: np.ndarray  # valid (an empty cell: if the contract allows it to be empty)
    values: Column  # staged values, null where not valid or empty
    suspect: np.ndarray  # may hold a CPR-like number or an Excel error: row by row


def _mask(array: Column) -> np.ndarray:
    """A boolean array (null: False) as numpy."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _matches(column: Column, pattern: str, where: np.ndarray | None = None) -> np.ndarray:
    """Cells (of those ``where`` says, default all) that ``pattern`` finds something in."""
    if where is None or where.all():
        return _mask(pc.match_substring_regex(column, pattern))
    found = np.zeros(len(column), dtype=bool)
    if where.any():
        found[where] = _mask(pc.match_substring_regex(pc.filter(column, pa.array(where)), pattern))
    return found


def _cvr_valid(column: Column) -> np.ndarray:
    """8 digits, first not 0, passing modulus 11: identifiers.is_valid_cvr, vectorised."""
    shaped = _matches(column, _CVR)
    valid = np.zeros(len(column), dtype=bool)
    if shaped.any():
        digits = _fixed_width(pc.filter(column, pa.array(shaped)), len(CVR_WEIGHTS))
        total = digits @ np.array(CVR_WEIGHTS) - ord("0") * sum(CVR_WEIGHTS)
        valid[shaped] = total % 11 == 0
    return valid


def _fixed_width(column: Column, width: int) -> np.ndarray:
    """The bytes of a string column whose every value is ``width`` ASCII characters, a row
    per value, read from the Arrow buffer in place (no Python string is made)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    first = np.frombuffer(array.buffers()[1], dtype=np.int32, count=1, offset=4 * array.offset)
    data = np.frombuffer(
        array.buffers()[2], dtype=np.uint8, count=width * len(array), offset=int(first[0])
    )
    return data.reshape(len(array), width)


def _fast_form(
    spec: FieldSpec, column: Column, suspect_pattern: str
) -> tuple[np.ndarray, Column, np.ndarray] | None:
    """Cells decided valid by an expression alone, their staged values, and which of them
    may still be suspect (the rest cannot be: e.g. eight digits are never CPR-like)."""
    if spec.type is FieldType.STRING and not spec.pattern:
        ok = _matches(column, _TEXT)
        return ok, column, _matches(column, suspect_pattern, ok)
    if spec.type is FieldType.ENUM:
        ok = _mask(pc.is_in(column, pa.array(spec.enum)))
        listed = _mask(pc.match_substring_regex(pa.array(spec.enum), suspect_pattern))
        return ok, column, ok & listed.any()
    if spec.type is FieldType.CVR:
        ok = _cvr_valid(column)
        return ok, column, np.zeros(len(column), dtype=bool)
    if (
        spec.type is FieldType.DECIMAL
        and spec.scale >= 2
        and spec.max is None
        and spec.min in (None, 0)
    ):
        length = pc.utf8_length(column).to_numpy(zero_copy_only=False)
        ok = _matches(column, _DECIMAL) & (length <= DECIMAL_PRECISION - spec.scale)
        long = ok & (length >= 9)  # digits only: shorter cannot hold a CPR-like run
        return ok, pc.replace_substring(column, ",", "."), _matches(column, suspect_pattern, long)
    return None


def _by_value(
    spec: FieldSpec,
    column: Column,
    todo: np.ndarray,
    staged_type: pa.DataType,
    suspect_pattern: str,
) -> _Cells:
    """The field's converter on each distinct value of the cells in ``todo``."""
    distinct = pc.unique(pc.filter(column, pa.array(todo)))
    convert = converter(spec)
    text = spec.type is FieldType.STRING
    values: list[object] = []
    for raw in distinct.to_pylist():
        try:
            value = convert(raw) if raw.strip() else None  # blank-looking: row by row
        except CellError:
            value = None
        if text and isinstance(value, str) and value.startswith(FORMULA_STARTS):
            value = None  # counted in a note by the row-by-row path
        values.append(value)
    position = pc.index_in(column, value_set=distinct)
    staged = pa.array(values, staged_type)
    suspect = pc.match_substring_regex(distinct, suspect_pattern)
    return _Cells(
        todo & _mask(pc.take(pc.is_valid(staged), position)),
        pc.take(staged, position),
        todo & _mask(pc.take(suspect, position)),
    )


def _field(
    spec: FieldSpec, column: Column, staged_type: pa.DataType, suspect_pattern: str
) -> tuple[_Cells, np.ndarray]:
    """The verdict on one contract column, and which of its cells are empty."""
    empty = _mask(pc.equal(column, ""))
    rows = len(column)
    nulls = pa.nulls(rows, staged_type)
    fast = _fast_form(spec, column, suspect_pattern)
    cells = _Cells(np.zeros(rows, dtype=bool), nulls, np.zeros(rows, dtype=bool))
    if fast is not None:
        cells = _Cells(fast[0] & ~empty, fast[1], fast[2] & ~empty)
    todo = ~cells.ok & ~empty
    if todo.any():
        other = _by_value(spec, column, todo, staged_type, suspect_pattern)
        values = (
            pc.if_else(pa.array(cells.ok), cells.values, other.values)
            if cells.ok.any()
            else other.values
        )
        cells = _Cells(cells.ok | other.ok, values, cells.suspect | other.suspect)
    if not cells.ok.all():  # nearly always all are: the values stand as they are
        cells.values = pc.if_else(pa.array(cells.ok), cells.values, nulls)
    cells.ok |= empty & (not spec.required or bool(spec.empty_allowed_when))
    return cells, empty


def _row_rules(
    schema: EntitySchema, values: Mapping[str, Column], empty: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Rows breaking a rule between cells: end before start; empty only for some rows."""
    broken = np.zeros(len(next(iter(values.values()))), dtype=bool)
    for spec in schema.fields:
        if spec.not_before:
            broken |= _mask(pc.less(values[spec.name], values[spec.not_before]))
        for other, allowed in spec.empty_allowed_when.items():
            if spec.name in empty:
                other_ok = _mask(
                    pc.or_kleene(
                        pc.is_null(values[other]), pc.is_in(values[other], pa.array(allowed))
                    )
                )
                broken |= empty[spec.name] & ~other_ok
    return broken


def _blank_rows(cells: pa.Table) -> np.ndarray:
    """Rows whose every cell is empty or spaces (skipped, as the row-by-row path does);
    each column looks only at the rows still blank so far."""
    blank = np.ones(cells.num_rows, dtype=bool)
    for column in cells.columns:
        blank &= _matches(column, _BLANK, blank)
        if not blank.any():
            break
    return blank


def sort_rows(
    schema: EntitySchema,
    index: Mapping[str, int],
    amount_columns: Collection[int],
    cells: pa.Table,
    row_numbers: np.ndarray,
) -> Sorted:
    """Stage the rows valid in every respect; name the others for the row-by-row checker.

    ``index`` maps contract fields to columns of ``cells``; ``amount_columns`` are the
    columns where nine digits are an amount, not a CPR that lost its leading zero.
    """
    rows = cells.num_rows
    target = staged_schema(schema)
    valid = np.ones(rows, dtype=bool)
    values: dict[str, Column] = {}
    empty: dict[str, np.ndarray] = {}
    for spec in schema.fields:
        staged_type = target.field(spec.name).type
        if spec.name not in index:
            values[spec.name] = pa.nulls(rows, staged_type)
            continue
        i = index[spec.name]
        pattern = _SUSPECT_AMOUNT if i in amount_columns else _SUSPECT
        verdict, empty[spec.name] = _field(spec, cells.column(i), staged_type, pattern)
        values[spec.name] = verdict.values
        valid &= verdict.ok & ~verdict.suspect
    for i, column in enumerate(cells.columns):
        if i not in index.values():  # outside the contract: scanned all the same
            valid &= ~_matches(column, _SUSPECT_AMOUNT if i in amount_columns else _SUSPECT)
    valid &= ~_row_rules(schema, values, empty)
    blank = _blank_rows(cells)
    keep = valid & ~blank
    arrays = [values[f.name] for f in schema.fields] + [pa.array(row_numbers)]
    if not keep.all():
        arrays = [pc.filter(a, pa.array(keep)) for a in arrays]
    return Sorted(pa.Table.from_arrays(arrays, schema=target), np.flatnonzero(~valid & ~blank))
