"""Why a BULK body was rejected: the rule it breaks and the lines that break it.

Runs only after the one-pass load has rolled back: the body is staged as text with its line
numbers and checked rule by rule, so the error names the table, the rule and example lines.
"""

from __future__ import annotations

import math

import duckdb

from pipelines.dst.body import VALUE_COLUMN, CheckedBody, quote, read_body_sql
from pipelines.dst.errors import DstDataError

_MAX_EXAMPLES = 5


def diagnose(con: duckdb.DuckDBPyConnection, body: CheckedBody) -> None:
    """Stage the body as text and check it rule by rule; raise naming the rule and lines."""
    staged = f"_stage_{body.raw_table}"
    try:
        _stage(con, staged, body)
        _check(con, staged, body)
    finally:
        con.execute(f"drop table if exists {quote(staged)}")


def _stage(con: duckdb.DuckDBPyConnection, staged: str, body: CheckedBody) -> None:
    try:
        con.execute(
            f"""create or replace temp table {quote(staged)} as
                select row_number() over () + 1 as _line, * from {read_body_sql()}""",
            body.read_args(),
        )
    except duckdb.Error as exc:
        hint = _mixed_line_ends(body.path)
        raise DstDataError(
            body.table_id,
            f"body does not parse as ';'-separated CSV: {f'{hint}; ' if hint else ''}{exc}",
        ) from exc


def _mixed_line_ends(path) -> str | None:
    """Where a body first changes between CRLF and LF line ends (DuckDB's reader stops
    there without naming a line)."""
    first_crlf = None
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break
            crlf = line.endswith(b"\r\n")
            if first_crlf is None:
                first_crlf = crlf
            elif crlf != first_crlf:
                before, now = ("CRLF", "LF") if first_crlf else ("LF", "CRLF")
                return f"line {number} ends with {now} where the lines before end with {before}"
    return None


def _examples(rows: list[tuple]) -> str:
    return "; ".join(f"line {line}: {value!r}" for line, value in rows)


def _check(con: duckdb.DuckDBPyConnection, staged: str, body: CheckedBody) -> None:
    """Reject bodies with non-numeric values, unrequested codes, repeated cells or no rows."""
    table, table_id, variables, values = quote(staged), body.table_id, body.variables, body.values
    bad = con.execute(
        f"""select _line, {quote(VALUE_COLUMN)} from {table} s
            where not {values.is_suppressed} and not {values.is_number}
            order by _line limit {_MAX_EXAMPLES}"""
    ).fetchall()
    if bad:
        raise DstDataError(
            table_id,
            f"column {VALUE_COLUMN} holds values that are not finite numbers: {_examples(bad)}",
        )
    for var in variables:
        stray = con.execute(
            f"""select _line, {quote(var)} from {table}
                where {quote(var)} is null or not list_contains(?, {quote(var)})
                order by _line limit {_MAX_EXAMPLES}""",
            [list(body.selection[var])],
        ).fetchall()
        if stray:
            raise DstDataError(
                table_id, f"column {var} holds codes that were not requested: {_examples(stray)}"
            )
    key_cols = ", ".join(quote(v) for v in variables)
    dupes = con.execute(
        f"""select list(_line order by _line), {key_cols} from {table}
            group by all having count(*) > 1 order by min(_line) limit {_MAX_EXAMPLES}"""
    ).fetchall()
    if dupes:
        cells = "; ".join(
            "lines "
            + _lines(lines)
            + ": "
            + ", ".join(f"{var}={code}" for var, code in zip(variables, codes, strict=True))
            for lines, *codes in dupes
        )
        raise DstDataError(table_id, f"body repeats cells for the same variable values: {cells}")
    rows, suppressed = con.execute(
        f"select count(*), count(*) filter (where {values.is_suppressed}) from {table} s"
    ).fetchone()
    if rows == 0:
        raise DstDataError(table_id, "body has a header but no rows")
    _check_every_cell_sent(con, staged, body, rows)
    if suppressed == rows:
        raise DstDataError(
            table_id,
            f"every one of the {rows:,} cells is suppressed or missing ('..'): the body holds "
            "no number, so the last load is kept",
        )


def _check_every_cell_sent(
    con: duckdb.DuckDBPyConnection, staged: str, body: CheckedBody, rows: int
) -> None:
    """BULK sends one line per requested cell, suppressed ones included: fewer lines is a
    body cut short (a connection closed early at a line end) or cells left out."""
    codes = body.codes
    cells = math.prod(len(c) for c in codes.values())
    if rows == cells:
        return
    grid = " cross join ".join(
        f"(select unnest(?::varchar[]) as {quote(var)})" for var in body.variables
    )
    missing = con.execute(
        f"""select * from {grid} except select {", ".join(quote(v) for v in body.variables)}
            from {quote(staged)} order by all limit {_MAX_EXAMPLES}""",
        [codes[var] for var in body.variables],
    ).fetchall()
    examples = "; ".join(
        ", ".join(f"{var}={code}" for var, code in zip(body.variables, cell, strict=True))
        for cell in missing
    )
    raise DstDataError(
        body.table_id,
        f"body has {rows:,} data lines for {cells:,} requested cells (BULK sends every cell, "
        f"suppressed ones as '..'): cut short or incomplete; missing e.g. {examples}",
    )


def _lines(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:_MAX_EXAMPLES]))
    more = len(lines) - _MAX_EXAMPLES
    return shown + (f" and {more:,} more" if more > 0 else "")
