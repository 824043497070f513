"""Check CSV rows column by column: vectorised, exact, and row by row only where needed.

For every cell a vectorised expression (pyarrow compute, RE2 regexes) decides "valid, staged
as this value" for the common simple forms: plain text, ``1234,50``, a valid CVR, an allowed
enum value. Every other non-empty value runs through the field's own converter
(:func:`pipelines.programme.rules.converter`) once per distinct value, so that dates, flags,
ids and ``1.234.567,50`` are judged by the very code the row-by-row path uses.

A row goes to the row-by-row checker (:mod:`pipelines.programme.validate`), which gives the
exact messages and stages the row as ever, when any cell is not valid or is suspicious:
anything CPR-like or holding ``#`` (in every column, contract or not; a superset of what
:func:`~pipelines.programme.identifiers.find_cpr` and the Excel error rule catch), text that
starts like a formula, a blank-looking cell, a row rule broken. All other rows are staged here,
and blank rows are skipped, as the row-by-row path does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.programme.contract import DECIMAL_PRECISION, EntitySchema, FieldSpec, FieldType
from pipelines.programme.rules import FORMULA_STARTS, converter, staged_schema
from pipelines.programme.values import CellError

# What Python's str.strip() removes (str.isspace), as an RE2 class.
_SPACE = (r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
          r"\x{202f}\x{205f}\x{3000}]")
_BLANK = f"^{_SPACE}*$"
# Six digits that could be ddmmyy and four more (dash or space between allowed), or nine
# digits (a CPR that lost its leading zero), not inside a longer run of digits; or a '#'.
_CPR_10 = r"[0-3][0-9][01][0-9]{3}[- ]?[0-9]{4}"
_CPR_9 = r"[1-9][01][0-9]{7}"
_SUSPECT = f"#|(?:^|[^0-9])(?:{_CPR_10}|{_CPR_9})(?:[^0-9]|$)"
_SUSPECT_AMOUNT = f"#|(?:^|[^0-9]){_CPR_10}(?:[^0-9]|$)"  # nine digits are a number here
# Text that is already what as_text() makes of it: printable ASCII and Latin-1/Latin
# Extended-A letters (all unchanged by NFC), no space at either end, not formula-like.
_TEXT = r"^[!-*,.-<>-?A-~\x{a1}-\x{17f}](?:[ -~\x{a1}-\x{17f}]*[!-~\x{a1}-\x{17f}])?$"
_DECIMAL = r"^[0-9]+(?:[.,][0-9]{1,2})?$"  # values._SIMPLE_DECIMAL
_CVR = r"^[1-9][0-9]{7}$"
_CVR_WEIGHTS = np.array([2, 7, 6, 5, 4, 3, 2, 1], dtype=np.int64)


@dataclass(frozen=True)
class Sorted:
    staged: pa.RecordBatch  # the rows valid in every respect, in the staged schema
    slow: np.ndarray  # positions of the rows the row-by-row checker must see


def _mask(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _cvr_valid(column: pa.Array) -> np.ndarray:
    """8 digits, first not 0, passing modulus 11: identifiers.is_valid_cvr, vectorised."""
    shaped = _mask(pc.match_substring_regex(column, _CVR))
    digits = np.zeros((len(column), 8), dtype=np.int64)
    if shaped.any():
        numbers = pc.cast(pc.filter(column, pa.array(shaped)), pa.int64()).to_numpy()
        powers = 10 ** np.arange(7, -1, -1, dtype=np.int64)
        digits[shaped] = (numbers[:, None] // powers) % 10
    return shaped & ((digits @ _CVR_WEIGHTS) % 11 == 0)


def _fast_form(spec: FieldSpec, column: pa.Array) -> tuple[np.ndarray, pa.Array] | None:
    """Cells decided valid by an expression alone, and their staged values."""
    if spec.type is FieldType.STRING and not spec.pattern:
        return _mask(pc.match_substring_regex(column, _TEXT)), column
    if spec.type is FieldType.ENUM:
        return _mask(pc.is_in(column, pa.array(spec.enum))), column
    if spec.type is FieldType.CVR:
        return _cvr_valid(column), column
    if (spec.type is FieldType.DECIMAL and spec.scale >= 2 and spec.max is None
            and spec.min in (None, 0)):
        simple = _mask(pc.match_substring_regex(column, _DECIMAL))
        short = _mask(pc.less_equal(pc.utf8_length(column), DECIMAL_PRECISION - spec.scale))
        return simple & short, pc.replace_substring(column, ",", ".")
    return None


def _by_value(spec: FieldSpec, column: pa.Array, todo: np.ndarray,
              staged_type: pa.DataType) -> tuple[np.ndarray, pa.Array]:
    """The field's converter on each distinct value of the cells in ``todo``."""
    distinct = pc.unique(pc.filter(column, pa.array(todo)))
    convert = converter(spec)
    text = spec.type is FieldType.STRING
    values: list[object] = []
    valid: list[bool] = []
    for raw in distinct.to_pylist():
        try:
            value = convert(raw) if raw.strip() else None  # blank-looking: row by row
        except CellError:
            value = None
        if text and isinstance(value, str) and value.startswith(FORMULA_STARTS):
            value = None  # counted in a note by the row-by-row path
        values.append(value)
        valid.append(value is not None)
    position = pc.index_in(column, value_set=distinct)
    ok = todo & _mask(pc.take(pa.array(valid, pa.bool_()), position))
    return ok, pc.take(pa.array(values, staged_type), position)


def _field(spec: FieldSpec, column: pa.Array, empty: np.ndarray,
           staged_type: pa.DataType) -> tuple[np.ndarray, pa.Array]:
    """Per cell: valid (an empty cell: if the contract allows it), and the staged value."""
    fast = _fast_form(spec, column)
    ok = np.zeros(len(column), dtype=bool)
    values = pa.nulls(len(column), staged_type)
    if fast is not None:
        ok, values = fast[0] & ~empty, fast[1]
    todo = ~ok & ~empty
    if todo.any():
        slow_ok, slow_values = _by_value(spec, column, todo, staged_type)
        values = pc.if_else(pa.array(ok), values, slow_values) if ok.any() else slow_values
        ok |= slow_ok
    values = pc.if_else(pa.array(ok), values, pa.nulls(len(column), staged_type))
    return ok | (empty & (not spec.required or bool(spec.empty_allowed_when))), values


def _row_rules(schema: EntitySchema, values: Mapping[str, pa.Array],
               empty: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rows breaking a rule between cells: end before start; empty only for some rows."""
    broken = np.zeros(len(next(iter(values.values()))), dtype=bool)
    for spec in schema.fields:
        if spec.not_before:
            broken |= _mask(pc.less(values[spec.name], values[spec.not_before]))
        for other, allowed in spec.empty_allowed_when.items():
            if spec.name in empty:
                other_ok = _mask(pc.or_kleene(pc.is_null(values[other]),
                                              pc.is_in(values[other], pa.array(allowed))))
                broken |= empty[spec.name] & ~other_ok
    return broken


def sort_rows(schema: EntitySchema, index: Mapping[str, int], amount_columns: Collection[int],
              cells: pa.Table, row_numbers: np.ndarray) -> Sorted:
    """Stage the rows valid in every respect; name the others for the row-by-row checker.

    ``index`` maps contract fields to columns of ``cells``; ``amount_columns`` are the
    columns where nine digits are an amount, not a CPR that lost its leading zero.
    """
    rows = cells.num_rows
    suspect = np.zeros(rows, dtype=bool)
    blank = np.ones(rows, dtype=bool)
    for i, column in enumerate(cells.columns):
        pattern = _SUSPECT_AMOUNT if i in amount_columns else _SUSPECT
        suspect |= _mask(pc.match_substring_regex(column, pattern))
        blank &= _mask(pc.match_substring_regex(column, _BLANK))
    target = staged_schema(schema)
    valid = ~suspect
    values: dict[str, pa.Array] = {}
    empty: dict[str, np.ndarray] = {}
    for spec in schema.fields:
        staged_type = target.field(spec.name).type
        if spec.name not in index:
            values[spec.name] = pa.nulls(rows, staged_type)
            continue
        column = cells.column(index[spec.name]).combine_chunks()
        empty[spec.name] = _mask(pc.equal(column, ""))
        ok, values[spec.name] = _field(spec, column, empty[spec.name], staged_type)
        valid &= ok
    valid &= ~_row_rules(schema, values, empty)
    keep = pa.array(valid & ~blank)
    arrays = [pc.filter(values[f.name], keep) for f in schema.fields]
    arrays.append(pa.array(row_numbers[valid & ~blank]))
    staged = pa.RecordBatch.from_arrays(arrays, schema=target)
    return Sorted(staged, np.flatnonzero(~valid & ~blank))
