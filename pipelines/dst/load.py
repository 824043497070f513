"""Load a BULK body file into ``raw.dst_<table>``: parsed, checked, labelled, replaced atomically.

DuckDB's CSV reader does the parsing (streaming, parallel, flat memory); every value is read as
text first so that suppressed markers and decimal commas are handled explicitly and a bad value
is reported with its line rather than silently turned into NULL.

The new table is written straight from the CSV reader (one pass, no staging copy, no sort:
rows keep the body's order) inside the swap transaction and checked with one aggregate query;
codes are looked up through an ENUM of the requested codes, which also yields each cell's
position in the selection for the repeated-cell check. When a check fails or the body does not
parse, that is rolled back and the body is diagnosed: staged as text and checked rule by rule,
so the error names the rule and example lines. A good body is read once.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.dst.errors import DstDataError

VALUE_COLUMN = "INDHOLD"
# DST marks suppressed (confidential) or missing cells with these: NULL, never 0.
SUPPRESSED_MARKERS = ("..", "...", "-", "", ":")
LOADS_TABLE = "raw._dst_loads"
_MAX_EXAMPLES = 5
# The fast path's repeated-cell check sets one bit per possible cell (the selection's size);
# larger selections count distinct cell numbers instead.
_MAX_BITMAP_CELLS = 1 << 27
_KEY_COLUMN = "_dst_cell"


@dataclass(frozen=True)
class LoadProvenance:
    source_mode: str  # "live" or "snapshot"
    dst_updated: str  # tableinfo's ``updated``: the table's data version
    loaded_at: datetime
    synthetic: bool
    selection_hash: str


def column_name(variable_id: str) -> str:
    """Variable id as a column name: lower case, Danish letters kept (``OMRÅDE`` -> ``område``)."""
    return variable_id.lower()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _read_header(body: Path, table: str) -> list[str]:
    with open(body, "rb") as fh:
        first = fh.readline()
    try:
        line = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DstDataError(table, f"body is not UTF-8: {exc}") from exc
    if not line:
        raise DstDataError(table, "body is empty (no header line)")
    return [c.strip().strip('"') for c in line.split(";")]


def _check_header(header: list[str], variables: Sequence[str], table: str) -> list[str]:
    """Map header columns to the requested variable ids (and INDHOLD), in header order.

    Case does not matter: DST has sent both ``Tid`` and ``TID``.
    """
    by_lower = {v.lower(): v for v in [*variables, VALUE_COLUMN]}
    got = sorted(h.lower() for h in header)
    if got != sorted(by_lower):
        raise DstDataError(
            table,
            f"body columns {header} do not match the requested variables plus {VALUE_COLUMN}: "
            f"{sorted(by_lower.values(), key=str.lower)}",
        )
    return [by_lower[h.lower()] for h in header]


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        f"""create table if not exists {LOADS_TABLE} (
            table_id varchar, raw_table varchar, dst_updated varchar, selection_hash varchar,
            source_mode varchar, synthetic boolean, row_count bigint, suppressed_count bigint,
            body_sha256 varchar, loaded_at timestamp)"""
    )


def last_load(con: duckdb.DuckDBPyConnection, table_id: str) -> dict | None:
    """The most recent successful load of a table, if its raw table still exists (reads only,
    so a read-only connection can ask)."""
    if not con.execute("select count(*) from information_schema.tables where table_schema = "
                       "'raw' and table_name = '_dst_loads'").fetchone()[0]:
        return None
    row = con.execute(
        f"""select l.dst_updated, l.selection_hash, l.source_mode, l.synthetic, l.row_count,
                   l.suppressed_count, l.loaded_at
            from {LOADS_TABLE} l
            join information_schema.tables t
              on t.table_schema = 'raw' and t.table_name = l.raw_table
            where l.table_id = ? order by l.loaded_at desc limit 1""",
        [table_id],
    ).fetchone()
    if row is None:
        return None
    keys = ("dst_updated", "selection_hash", "source_mode", "synthetic", "row_count",
            "suppressed_count", "loaded_at")
    return dict(zip(keys, row, strict=True))


def load_body(
    con: duckdb.DuckDBPyConnection,
    *,
    table_id: str,
    raw_table: str,
    body: Path,
    selection: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]],
    lang: str,
    provenance: LoadProvenance,
    body_sha256: str,
) -> dict[str, int]:
    """Parse ``body`` and replace ``raw.<raw_table>`` in one transaction.

    On any error nothing is replaced: the previous table stays as it was.
    Returns row and suppressed-cell counts.
    """
    header = _check_header(_read_header(body, table_id), list(selection), table_id)
    variables = [c for c in header if c != VALUE_COLUMN]
    ensure_raw_schema(con)
    values = _ValueSql(lang)
    try:
        counts = _write(con, table_id, raw_table, body, header, variables, selection, labels,
                        values, provenance, body_sha256)
        failure: duckdb.Error | None = None
    except duckdb.Error as exc:
        counts, failure = None, exc
    if counts is not None:
        return counts
    _diagnose(con, table_id, raw_table, body, header, variables, selection, values)
    raise DstDataError(table_id, f"body could not be loaded: {failure}") from failure


class _ValueSql:
    """SQL expressions over the staged ``INDHOLD`` text (alias ``s``)."""

    def __init__(self, lang: str):
        text = f"trim(s.{_quote(VALUE_COLUMN)})"
        markers = ", ".join(f"'{m}'" for m in SUPPRESSED_MARKERS)
        self.is_suppressed = f"(s.{_quote(VALUE_COLUMN)} is null or {text} in ({markers}))"
        # Danish number format: decimal comma, no thousands separator in API bodies.
        self.numeric_text = f"replace({text}, ',', '.')" if lang == "da" else text


# The body as text columns named as the header says (no sniffing); parameters: path, columns.
_READ_BODY = """read_csv(?, delim=';', header=false, skip=1, columns=?, quote='"', escape='"',
                         auto_detect=false, strict_mode=true, null_padding=false)"""


def _diagnose(
    con: duckdb.DuckDBPyConnection,
    table_id: str,
    raw_table: str,
    body: Path,
    header: list[str],
    variables: list[str],
    selection: Mapping[str, Sequence[str]],
    values: _ValueSql,
) -> None:
    """Stage the body as text and check it rule by rule; raise naming the rule and lines."""
    staged = f"_stage_{raw_table}"
    try:
        _stage(con, staged, body, table_id, header)
        _validate(con, staged, table_id, variables, selection, values)
    finally:
        con.execute(f"drop table if exists {staged}")


def _stage(con: duckdb.DuckDBPyConnection, staged: str, body: Path, table_id: str,
           header: list[str]) -> None:
    """Read the body as text columns named as the header says (no sniffing)."""
    columns = {col: "VARCHAR" for col in header}
    try:
        con.execute(
            f"""create or replace temp table {staged} as
                select row_number() over () + 1 as _line, *
                from {_READ_BODY}""",
            [str(body), columns],
        )
    except duckdb.Error as exc:
        raise DstDataError(table_id, f"body does not parse as ';'-separated CSV: {exc}") from exc


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write(
    con: duckdb.DuckDBPyConnection,
    table_id: str,
    raw_table: str,
    body: Path,
    header: list[str],
    variables: list[str],
    selection: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]],
    values: _ValueSql,
    provenance: LoadProvenance,
    body_sha256: str,
) -> dict[str, int] | None:
    """Write and check the new table in one pass; None when a check fails (rolled back).

    Beside the columns, values and labels the table gets a cell number: each code's position
    among the requested codes (NULL for a code that was not requested), combined over the
    variables. The checks then need one aggregate: values that are not numbers, NULL cell
    numbers (unrequested codes), distinct cell numbers fewer than rows (repeated cells), no
    rows. All pass: drop the cell number, record the load, commit. A DuckDB error (e.g. the body
    does not parse) is rolled back and raised. Either way the old table stays.
    """
    codes = {var: list(dict.fromkeys(selection[var])) for var in variables}
    cells = math.prod(len(c) for c in codes.values())
    if cells == 0:
        return None
    select_cols: list[str] = []
    key_terms: list[str] = []
    stride = 1
    for var in reversed(variables):
        col = column_name(var)
        enum = "enum(" + ", ".join(_literal(c) for c in codes[var]) + ")"
        position = f"enum_code(try_cast(s.{_quote(var)} as {enum}))"
        var_labels = labels.get(var, {})
        label_list = "[" + ", ".join(
            _literal(var_labels[c]) if c in var_labels else "null::varchar"
            for c in codes[var]) + "]"
        select_cols[:0] = [f"s.{_quote(var)} as {_quote(col)}",
                           f"{label_list}[{position} + 1] as {_quote(col + '_label')}"]
        key_terms.append(f"{position}::bigint * {stride}")
        stride *= len(codes[var])
    target = f"raw.{_quote(raw_table)}"
    key = _quote(_KEY_COLUMN)
    if cells <= _MAX_BITMAP_CELLS:
        distinct = f"bit_count(bitstring_agg({key}, 0, {cells - 1}))"
    else:
        distinct = f"(select count(distinct {key}) from {target})"
    columns = {col: "VARCHAR" for col in header}
    con.execute("begin transaction")
    try:
        con.execute(
            f"""create or replace table {target} as
                select {", ".join(select_cols)},
                       case when {values.is_suppressed} then null
                            else try_cast({values.numeric_text} as double) end as value,
                       {values.is_suppressed} as is_suppressed,
                       ?::varchar as _source_mode,
                       ?::varchar as _dst_updated,
                       ?::timestamp as _loaded_at,
                       ?::boolean as _is_synthetic,
                       {" + ".join(key_terms)} as {key}
                from {_READ_BODY} s""",
            [provenance.source_mode, provenance.dst_updated, provenance.loaded_at,
             provenance.synthetic, str(body), columns],
        )
        rows, suppressed, not_numbers, unrequested, distinct_cells = con.execute(
            f"""select count(*), count(*) filter (where is_suppressed),
                       count(*) filter (where value is null and not is_suppressed),
                       count(*) filter (where {key} is null), {distinct}
                from {target}"""
        ).fetchone()
        if rows == 0 or not_numbers or unrequested or distinct_cells != rows:
            con.execute("rollback")
            return None
        con.execute(f"alter table {target} drop column {key}")
        con.execute(
            f"insert into {LOADS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [table_id, raw_table, provenance.dst_updated, provenance.selection_hash,
             provenance.source_mode, provenance.synthetic, rows, suppressed, body_sha256,
             provenance.loaded_at],
        )
        con.execute("commit")
    except BaseException:
        _rollback(con)
        raise
    return {"rows": rows, "suppressed": suppressed}


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # a failed COMMIT has already ended the transaction: nothing to roll back then
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("rollback")


def _examples(rows: list[tuple]) -> str:
    return "; ".join(f"line {line}: {value!r}" for line, value in rows)


def _validate(
    con: duckdb.DuckDBPyConnection,
    staged: str,
    table_id: str,
    variables: list[str],
    selection: Mapping[str, Sequence[str]],
    values: _ValueSql,
) -> None:
    """Reject bodies with non-numeric values, unrequested codes, repeated cells or no rows."""
    bad = con.execute(
        f"""select _line, {_quote(VALUE_COLUMN)} from {staged} s
            where not {values.is_suppressed}
              and try_cast({values.numeric_text} as double) is null
            order by _line limit {_MAX_EXAMPLES}"""
    ).fetchall()
    if bad:
        raise DstDataError(
            table_id, f"column {VALUE_COLUMN} holds values that are not numbers: {_examples(bad)}"
        )
    for var in variables:
        stray = con.execute(
            f"""select _line, {_quote(var)} from {staged}
                where {_quote(var)} is null or not list_contains(?, {_quote(var)})
                order by _line limit {_MAX_EXAMPLES}""",
            [list(selection[var])],
        ).fetchall()
        if stray:
            raise DstDataError(
                table_id, f"column {var} holds codes that were not requested: {_examples(stray)}"
            )
    key_cols = ", ".join(_quote(v) for v in variables)
    dupes = con.execute(
        f"""select {key_cols}, count(*) as n from {staged} group by all having count(*) > 1
            limit {_MAX_EXAMPLES}"""
    ).fetchall()
    if dupes:
        raise DstDataError(table_id, f"body repeats cells for the same variable values: {dupes}")
    if con.execute(f"select count(*) from {staged}").fetchone()[0] == 0:
        raise DstDataError(table_id, "body has a header but no rows")
