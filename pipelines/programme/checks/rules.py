"""What each contract field accepts, one cell at a time: the converters and the staged types.

Shared by the row-by-row checks (:mod:`pipelines.programme.checks.checker`) and the column-wise
ones (:mod:`pipelines.programme.checks.columns`), which run the very same converter on each distinct
value it cannot decide with a vectorised expression, so both give identical results.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa

from pipelines.programme.checks.values import (
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
from pipelines.programme.contract import DECIMAL_PRECISION, EntitySchema, FieldSpec, FieldType

# What Excel shows (and caches in the file) for a formula that failed, e.g. a VLOOKUP.
EXCEL_ERRORS = frozenset(
    {
        "#N/A",
        "#REF!",
        "#VALUE!",
        "#DIV/0!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        # the same errors as Danish Excel shows them and writes them into a CSV it saves
        "#I/T",
        "#REFERENCE!",
        "#VÆRDI!",
        "#DIVISION/0!",
        "#NAVN?",
        "#NUL!",
    }
)
# A text cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INTEGER_LIMIT = 2**31  # INTEGER columns
SOURCE_ROW = "_source_row"
# DuckDB writes a table in row groups of this many rows. Staged batches of that size become row
# groups as they are; smaller ones are merged on insert, which compresses their rows twice.
ROW_GROUP_ROWS = 122_880


def staged_type(spec: FieldSpec) -> pa.DataType:
    if spec.type is FieldType.INTEGER:
        return pa.int64()
    if spec.type is FieldType.BOOLEAN:
        return pa.bool_()
    return pa.string()


def staged_schema(schema: EntitySchema) -> pa.Schema:
    return pa.schema([(f.name, staged_type(f)) for f in schema.fields] + [(SOURCE_ROW, pa.int64())])


def converter(spec: FieldSpec) -> Callable[[object], object]:
    """Parse a non-empty cell and check its limits; raises CellError."""
    if spec.type is FieldType.DECIMAL:
        return _decimal_converter(spec)
    if spec.type is FieldType.INTEGER:
        return _integer_converter(spec)
    if spec.type is FieldType.ENUM:
        allowed = {v.casefold(): v for v in spec.enum}
        exact = frozenset(spec.enum)
        return lambda raw: raw if raw in exact else parse_enum(raw, allowed)
    if spec.type is FieldType.STRING and spec.pattern:
        return _pattern_converter(spec)
    if spec.type is FieldType.DATE and spec.window is not None:
        return _date_converter(spec)
    return {
        FieldType.DATE: parse_date,
        FieldType.BOOLEAN: parse_boolean,
        FieldType.CVR: parse_cvr,
        FieldType.STRING: as_text,
    }[spec.type]


def _decimal_converter(spec: FieldSpec) -> Callable[[object], object]:
    scale, low, high = spec.scale, spec.min, spec.max
    max_digits = DECIMAL_PRECISION - scale

    def convert_decimal(raw: object) -> object:
        value = parse_decimal(raw, scale)
        if len(value) > max_digits and len(value.lstrip("-").split(".")[0]) > max_digits:
            raise CellError(
                "type",
                f"{value} is too large (at most {max_digits} digits before the decimal separator)",
            )
        if low is not None and (value[0] == "-" or low != 0) and decimal_below(value, low):
            raise CellError("min", f"must be at least {low}")
        if high is not None and decimal_above(value, high):
            raise CellError("max", f"must be at most {high}")
        return value

    return convert_decimal


def _integer_converter(spec: FieldSpec) -> Callable[[object], object]:
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


def _pattern_converter(spec: FieldSpec) -> Callable[[object], object]:
    pattern = re.compile(spec.pattern)

    def convert_pattern(raw: object) -> object:
        text = as_text(raw)
        if not pattern.fullmatch(text):
            raise CellError(
                "pattern", f"{text!r} does not have the form {spec.pattern} (e.g. {spec.example})"
            )
        return text

    return convert_pattern


def _date_converter(spec: FieldSpec) -> Callable[[object], object]:
    window = spec.window

    def convert_date(raw: object) -> object:
        value = parse_date(raw)
        if value not in window:
            raise CellError(
                "date_range",
                f"{value} is outside {window.earliest} to {window.latest} ({window.description})",
            )
        return value

    return convert_date
