"""Load a BULK body file into ``raw.dst_<table>``: parsed, checked, replaced atomically.

The raw table is narrow: one column per variable holding the cell's code, ``value`` and
``is_suppressed``. Codes are stored as an ENUM of the requested codes (small, and a code that
was not requested cannot be stored). The labels of those codes go to ``raw.dst_<table>_labels``
(variable, code, label: a lookup joined in dbt staging); where the load came from goes to
``raw._dst_loads`` only, shown for the table by the view ``raw.dst_<table>_provenance``. All
are replaced in one transaction.

DuckDB's CSV reader parses the body (streaming, parallel, flat memory) straight into the new
table, codes as the ENUM and values as numbers with DST's markers as NULL. A body that this
strict reading refuses (a padded marker, a code that was not requested) is read again with every
value as text and the tolerant rules of :class:`ValueSql`. The checks are then one aggregate
over the loaded table: values that are not finite numbers, codes that were not requested (NULL
after the ENUM cast), repeated cells (fewer distinct cell numbers than rows), exactly one row
per requested cell (BULK sends every cell, suppressed ones as ``..``: fewer rows is a body cut
short or cells left out), and not every cell suppressed. When a check fails or the body does
not parse, everything is rolled back and :mod:`pipelines.dst.diagnose` reads the body again to
name the rule and the lines. A good body is read once.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.bookkeeping import DstLoad, ensure_dst_loads, latest_dst_loads, record_dst_load
from pipelines.dst.body import (
    VALUE_COLUMN,
    CheckedBody,
    ValueSql,
    check_header,
    enum_type,
    quote,
    read_body_sql,
    read_header,
)
from pipelines.dst.diagnose import diagnose
from pipelines.dst.errors import DstDataError

LABELS_SUFFIX = "_labels"
PROVENANCE_SUFFIX = "_provenance"
# The repeated-cell check sets one bit per possible cell (the selection's size); larger
# selections count distinct cell numbers instead.
_MAX_BITMAP_CELLS = 1 << 27


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


def labels_table(raw_table: str) -> str:
    """The label lookup beside ``raw.<raw_table>``: ``dst_forsk01`` -> ``dst_forsk01_labels``."""
    return raw_table + LABELS_SUFFIX


def provenance_view(raw_table: str) -> str:
    """The view of the table's latest ``raw._dst_loads`` row: ``dst_forsk01_provenance``."""
    return raw_table + PROVENANCE_SUFFIX


def last_load(con: duckdb.DuckDBPyConnection, table_id: str) -> DstLoad | None:
    """The most recent successful load of a table, if its raw and label tables still exist
    (reads only, so a read-only connection can ask)."""
    return latest_dst_loads(con, with_tables=("", LABELS_SUFFIX)).get(table_id)


@dataclass(frozen=True)
class BodyLoad:
    """One table's body to load: the file, what was asked for, and where it came from."""

    table_id: str
    raw_table: str
    body: Path
    selection: Mapping[str, Sequence[str]]  # variable id -> requested codes
    labels: Mapping[str, Mapping[str, str]]  # variable id -> code -> label
    lang: str
    provenance: LoadProvenance
    body_sha256: str


def load_body(con: duckdb.DuckDBPyConnection, load: BodyLoad) -> dict[str, int]:
    """Parse the body and replace ``raw.<raw_table>`` and its labels in one transaction.

    On any error nothing is replaced: the previous tables stay as they were.
    Returns row and suppressed-cell counts.
    """
    header = check_header(
        read_header(load.body, load.table_id), list(load.selection), load.table_id
    )
    body = CheckedBody(
        load.table_id, load.raw_table, load.body, header, load.selection, ValueSql(load.lang)
    )
    ensure_dst_loads(con)
    failure: duckdb.Error | None = None
    try:
        counts = _write_either(con, body)
        if counts is not None:
            _finish(con, load, body.codes, counts)
            return counts
    except duckdb.Error as exc:
        failure = exc
    finally:
        _rollback(con)  # a no-op after a commit
    diagnose(con, body)
    reason = f"body could not be loaded: {failure}" if failure else "body failed the load checks"
    raise DstDataError(load.table_id, reason) from failure


def _write_either(con: duckdb.DuckDBPyConnection, body: CheckedBody) -> dict[str, int] | None:
    """The typed read first; a body it refuses is read again as text with the tolerant rules.

    The typed read parses codes and numbers in DuckDB's CSV reader, which costs far less than
    casting text afterwards; it refuses anything unusual (a padded marker, a decimal point in
    a Danish body, a code not requested) rather than guess, and the text read then decides
    exactly as before. Where the typed read succeeds the two give the same table.
    """
    try:
        return _write(con, body, typed=True)
    except (duckdb.ConversionException, duckdb.InvalidInputException):
        _rollback(con)
    return _write(con, body, typed=False)


def _columns(body: CheckedBody, typed: bool) -> tuple[str, list]:
    """The new table's select list over the body (alias ``s``) and the reader's parameters."""
    codes, values = body.codes, body.values
    if typed:
        cols = [f"s.{quote(var)} as {quote(column_name(var))}" for var in codes]
        value = f"s.{quote(VALUE_COLUMN)}"
        cols += [f"{value} as value", f"{value} is null as is_suppressed"]
        return ", ".join(cols), body.typed_read_args()
    cols = [
        f"try_cast(s.{quote(var)} as {enum_type(codes[var])}) as {quote(column_name(var))}"
        for var in codes
    ]
    cols += [
        f"""case when {values.is_suppressed} or not {values.is_number} then null
                 else try_cast({values.numeric_text} as double) end as value""",
        f"{values.is_suppressed} as is_suppressed",
    ]
    return ", ".join(cols), body.read_args()


def _write(con: duckdb.DuckDBPyConnection, body: CheckedBody, typed: bool) -> dict[str, int] | None:
    """Write the new table in an open transaction and check it; None when a check fails.

    A cell's number combines each code's position among the requested codes over the
    variables; it is NULL when a code was not requested. One aggregate then counts rows,
    suppressed cells, values that are not numbers, NULL cell numbers and distinct cell numbers.
    """
    codes = body.codes
    cells = math.prod(len(c) for c in codes.values())
    if cells == 0:
        return None
    key_terms: list[str] = []
    stride = 1
    for var in reversed(list(codes)):
        key_terms.append(f"enum_code({quote(column_name(var))})::bigint * {stride}")
        stride *= len(codes[var])
    key = " + ".join(key_terms)
    target = f"raw.{quote(body.raw_table)}"
    if cells <= _MAX_BITMAP_CELLS:
        distinct = f"bit_count(bitstring_agg({key}, 0, {cells - 1}))"
    else:
        distinct = f"count(distinct {key})"
    select, args = _columns(body, typed)
    con.execute("begin transaction")
    con.execute(
        f"create or replace table {target} as select {select} from {read_body_sql(typed)} s",
        args,
    )
    rows, suppressed, not_numbers, unrequested, distinct_cells = con.execute(
        f"""select count(*), count(*) filter (where is_suppressed),
                   count(*) filter (where not is_suppressed
                                      and (value is null or not isfinite(value))),
                   count(*) filter (where ({key}) is null), {distinct}
            from {target}"""
    ).fetchone()
    if (
        rows != cells  # a body cut short at a line end, or cells left out: BULK sends all
        or suppressed == rows  # not one number: nothing to replace the last good load with
        or not_numbers
        or unrequested
        or distinct_cells != rows
    ):
        return None
    return {"rows": rows, "suppressed": suppressed}


def _finish(
    con: duckdb.DuckDBPyConnection,
    load: BodyLoad,
    codes: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    """Replace the label lookup, record the load and commit the open transaction.

    The provenance view holds no data of its own: it shows the table's latest load record, so
    that dbt (and Dagster's lineage) reads it as one more table written by this table's asset.
    """
    raw_table, provenance = load.raw_table, load.provenance
    lookup = [
        (var, code, load.labels.get(var, {}).get(code)) for var in codes for code in codes[var]
    ]
    con.execute(
        f"""create or replace table raw.{quote(labels_table(raw_table))} as
            select unnest(?::varchar[]) as variable, unnest(?::varchar[]) as code,
                   unnest(?::varchar[]) as label""",
        [[r[0] for r in lookup], [r[1] for r in lookup], [r[2] for r in lookup]],
    )
    record_dst_load(
        con,
        DstLoad(
            load.table_id,
            raw_table,
            provenance.dst_updated,
            provenance.selection_hash,
            provenance.source_mode,
            provenance.synthetic,
            counts["rows"],
            counts["suppressed"],
            load.body_sha256,
            provenance.loaded_at,
        ),
        provenance_view(raw_table),
    )
    con.execute("commit")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # nothing to roll back after a commit, or after a failed COMMIT that ended the transaction
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("rollback")
