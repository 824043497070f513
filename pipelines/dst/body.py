"""What a BULK body looks like: its header, its value column, and how DuckDB reads it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.dst.errors import DstDataError

VALUE_COLUMN = "INDHOLD"
# DST marks suppressed (confidential) or missing cells with these: NULL, never 0.
SUPPRESSED_MARKERS = ("..", "...", "-", "", ":")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def read_header(body: Path, table: str) -> list[str]:
    """The header line's column names (a UTF-8 BOM and CRLF are allowed)."""
    with open(body, "rb") as fh:
        first = fh.readline()
    try:
        line = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DstDataError(table, f"line 1: body is not UTF-8: {exc}") from exc
    if not line:
        raise DstDataError(table, "body is empty (no header line)")
    return [c.strip().strip('"') for c in line.split(";")]


def check_header(header: list[str], variables: Sequence[str], table: str) -> list[str]:
    """Map header columns to the requested variable ids (and INDHOLD), in header order.

    Case does not matter: DST has sent both ``Tid`` and ``TID``.
    """
    by_lower = {v.lower(): v for v in [*variables, VALUE_COLUMN]}
    got = sorted(h.lower() for h in header)
    if got != sorted(by_lower):
        raise DstDataError(
            table,
            f"line 1: body columns {header} do not match the requested variables plus "
            f"{VALUE_COLUMN}: {sorted(by_lower.values(), key=str.lower)}",
        )
    return [by_lower[h.lower()] for h in header]


def read_body_sql(typed: bool = False) -> str:
    """``read_csv`` of the body, columns named as the header says (no sniffing).

    Parameters: the path and a ``{column: type}`` struct; a typed read adds the decimal
    separator, the suppression markers (read as NULL) and the code columns they do not apply to.
    """
    typed_options = ", decimal_separator=?, nullstr=?, force_not_null=?" if typed else ""
    return f"""read_csv(?, delim=';', header=false, skip=1, columns=?, quote='"', escape='"',
                        auto_detect=false, strict_mode=true, null_padding=false{typed_options})"""


def enum_type(codes: Sequence[str]) -> str:
    """An ENUM of the codes: a code outside it cannot be stored."""
    return "enum(" + ", ".join("'" + c.replace("'", "''") + "'" for c in codes) + ")"


# Trimmed around a value: spaces, tabs, line ends and no-break spaces alike.
_BLANKS = "chr(32) || chr(9) || chr(10) || chr(13) || chr(160)"


class ValueSql:
    """SQL expressions over the body's ``INDHOLD`` text (alias ``s``).

    ``NaN`` and infinities pass a cast to DOUBLE, so the checks ask for a finite value
    (:attr:`is_number`).
    """

    def __init__(self, lang: str):
        text = f"trim(s.{quote(VALUE_COLUMN)}, {_BLANKS})"
        markers = ", ".join(f"'{m}'" for m in SUPPRESSED_MARKERS)
        self.is_suppressed = f"(s.{quote(VALUE_COLUMN)} is null or {text} in ({markers}))"
        # Danish number format: decimal comma, no thousands separator in API bodies.
        self.numeric_text = f"replace({text}, ',', '.')" if lang == "da" else text
        self.decimal_separator = "," if lang == "da" else "."

    @property
    def is_number(self) -> str:
        return f"coalesce(isfinite(try_cast({self.numeric_text} as double)), false)"


@dataclass(frozen=True)
class CheckedBody:
    """A body whose header matched the request: what loading and diagnosing it both need."""

    table_id: str
    raw_table: str
    path: Path
    header: list[str]  # variable ids (as requested) and INDHOLD, in the body's order
    selection: Mapping[str, Sequence[str]]
    values: ValueSql

    @property
    def variables(self) -> list[str]:
        return [c for c in self.header if c != VALUE_COLUMN]

    @property
    def codes(self) -> dict[str, list[str]]:
        """Each variable's requested codes, without repeats, in the order requested."""
        return {var: list(dict.fromkeys(self.selection[var])) for var in self.variables}

    def read_args(self) -> list:
        """The parameters of :func:`read_body_sql` for this body, every column as text."""
        return [str(self.path), {col: "VARCHAR" for col in self.header}]

    def typed_read_args(self) -> list:
        """The parameters of ``read_body_sql(typed=True)``: each variable as the ENUM of its
        requested codes, the value as a number, DST's markers as NULL in the value only.

        A code that was not requested, a number in another format or a padded marker is a
        conversion error, never a silent NULL (``force_not_null`` reads a marker in a code
        column as text, which no ENUM holds).
        """
        codes = self.codes
        types = {
            col: "DOUBLE" if col == VALUE_COLUMN else enum_type(codes[col]) for col in self.header
        }
        return [
            str(self.path),
            types,
            self.values.decimal_separator,
            list(SUPPRESSED_MARKERS),
            self.variables,
        ]
